// StyleLens on Azure: the API and the ingestion worker on Container Apps, the catalog and its vectors on
// PostgreSQL Flexible Server with pgvector, images and jobs in a private Storage account, secrets in Key Vault,
// telemetry in Log Analytics + Application Insights. Everything private behind one VNet except the API's ingress.
// The apps authenticate with one user-assigned managed identity; no storage key exists (shared keys are off).
//
// Deploy: az deployment group create -g RG -f deploy/azure/main.bicep -p image=... postgresAdminPassword=...
// Checked in `make test` by checkov (tests/deploy/test_bicep.py); each skipped check is justified where it applies.

targetScope = 'resourceGroup'

@description('EU region only: the catalog and shoppers\' photos stay in the EU (GDPR).')
@allowed([
  'westeurope'
  'northeurope'
  'francecentral'
  'germanywestcentral'
  'swedencentral'
])
param location string = 'francecentral'

@description('Short lower-case prefix of every resource name.')
@minLength(3)
@maxLength(11)
param prefix string = 'stylelens'

@description('The image to run, e.g. stylelensacr.azurecr.io/stylelens:<git sha> (pushed by .github/workflows/deploy.yml).')
param image string

@description('Name of the Azure Container Registry holding the image (created here).')
param registryName string = '${prefix}acr${uniqueString(resourceGroup().id)}'

@description('Password of the PostgreSQL administrator; stored in Key Vault, never in app settings.')
@secure()
param postgresAdminPassword string

@description('API replicas: at least two for zero-downtime revisions, at most this many under load.')
param apiMaxReplicas int = 20

@description('Concurrent requests per API replica before Container Apps adds one (search is CPU-bound: ~1 per vCPU core).')
param apiConcurrency int = 4

@description('Ingestion worker replicas at most; zero when the queue is empty.')
param workerMaxReplicas int = 10

@description('Jobs waiting per worker replica before KEDA adds one.')
param jobsPerWorker int = 20

param tags object = {
  app: 'stylelens'
  owner: 'fashion-insta'
}

var suffix = uniqueString(resourceGroup().id)
var storageName = take('${prefix}st${suffix}', 24)
var vaultName = take('${prefix}-kv-${suffix}', 24)
var jobsQueue = 'stylelens-jobs'
var blobContainer = 'stylelens'

// ---------------------------------------------------------------- network
resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: '${prefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [ '10.40.0.0/16' ] }
    subnets: [
      {
        name: 'apps'
        properties: {
          addressPrefix: '10.40.0.0/23'
          delegations: [ { name: 'apps', properties: { serviceName: 'Microsoft.App/environments' } } ]
        }
      }
      {
        name: 'private-endpoints'
        properties: { addressPrefix: '10.40.2.0/24', privateEndpointNetworkPolicies: 'Disabled' }
      }
      {
        name: 'postgres'
        properties: {
          addressPrefix: '10.40.3.0/24'
          delegations: [ { name: 'postgres', properties: { serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers' } } ]
        }
      }
    ]
  }
}

var privateZones = [
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.vaultcore.azure.net'
  '${prefix}.private.postgres.database.azure.com'
]

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for zone in privateZones: {
  name: zone
  location: 'global'
  tags: tags
}]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [for (zone, i) in privateZones: {
  parent: zones[i]
  name: '${prefix}-vnet'
  location: 'global'
  properties: { registrationEnabled: false, virtualNetwork: { id: vnet.id } }
}]

// ---------------------------------------------------------------- identity
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-id'
  location: location
  tags: tags
}

// ---------------------------------------------------------------- monitoring
resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${prefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 90
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${prefix}-insights'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    IngestionMode: 'LogAnalytics'
    DisableIpMasking: false
  }
}

// ---------------------------------------------------------------- storage: images, masks, jobs
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_43: the name is computed (lower-case prefix + uniqueString, cut to 24): checkov cannot evaluate it
  name: storageName
  location: location
  tags: tags
  sku: { name: 'Standard_GZRS' }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Disabled'
    networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' }
    encryption: {
      requireInfrastructureEncryption: true
      keySource: 'Microsoft.Storage'
      services: {
        blob: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource images 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: blobContainer
  properties: { publicAccess: 'None' }
}

resource jobKeys 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: '${jobsQueue}-keys'
  properties: { publicAccess: 'None' }
}

// Idempotency keys of queued jobs are only needed while a duplicate delivery can still arrive.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-job-keys'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: [ 'blockBlob' ], prefixMatch: [ '${jobsQueue}-keys/' ] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 14 } } }
          }
        }
      ]
    }
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource jobs 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: jobsQueue
}

resource poison 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${jobsQueue}-poison'
}

resource storageEndpoints 'Microsoft.Network/privateEndpoints@2023-11-01' = [for (service, i) in [ 'blob', 'queue' ]: {
  name: '${prefix}-st-${service}-pe'
  location: location
  tags: tags
  properties: {
    subnet: { id: vnet.properties.subnets[1].id }
    privateLinkServiceConnections: [
      { name: service, properties: { privateLinkServiceId: storage.id, groupIds: [ service ] } }
    ]
  }
}]

resource storageEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = [for (service, i) in [ 'blob', 'queue' ]: {
  parent: storageEndpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [ { name: service, properties: { privateDnsZoneId: zones[i].id } } ]
  }
}]

// ---------------------------------------------------------------- Key Vault: database URL, telemetry connection
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'premium' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Disabled'
    networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' }
  }
}

resource vaultEndpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {
  name: '${prefix}-kv-pe'
  location: location
  tags: tags
  properties: {
    subnet: { id: vnet.properties.subnets[1].id }
    privateLinkServiceConnections: [
      { name: 'vault', properties: { privateLinkServiceId: vault.id, groupIds: [ 'vault' ] } }
    ]
  }
}

resource vaultEndpointDns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = {
  parent: vaultEndpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [ { name: 'vault', properties: { privateDnsZoneId: zones[2].id } } ]
  }
}

resource databaseUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'database-url'
  properties: {
    contentType: 'text/plain'
    attributes: { enabled: true, exp: dateTimeToEpoch(dateTimeAdd(utcNow(), 'P1Y')) }
    value: 'postgresql+psycopg://stylelens:${postgresAdminPassword}@${postgres.properties.fullyQualifiedDomainName}:5432/stylelens?sslmode=require'
  }
}

resource telemetryConnection 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'appinsights-connection-string'
  properties: {
    contentType: 'text/plain'
    attributes: { enabled: true, exp: dateTimeToEpoch(dateTimeAdd(utcNow(), 'P1Y')) }
    value: insights.properties.ConnectionString
  }
}

// ---------------------------------------------------------------- PostgreSQL + pgvector
resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2023-12-01-preview' = {
  name: '${prefix}-pg-${suffix}'
  location: location
  tags: tags
  sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' }
  properties: {
    version: '16'
    administratorLogin: 'stylelens'
    administratorLoginPassword: postgresAdminPassword
    storage: { storageSizeGB: 128, autoGrow: 'Enabled' }
    backup: { backupRetentionDays: 14, geoRedundantBackup: 'Enabled' }
    highAvailability: { mode: 'ZoneRedundant' }
    network: {
      delegatedSubnetResourceId: vnet.properties.subnets[2].id
      privateDnsZoneArmResourceId: zones[3].id
      publicNetworkAccess: 'Disabled'
    }
    authConfig: { activeDirectoryAuth: 'Enabled', passwordAuth: 'Enabled', tenantId: subscription().tenantId }
  }
  dependsOn: [ zoneLinks ]
}

// pgvector must be allow-listed before `CREATE EXTENSION vector` (the app runs it on first start).
resource pgExtensions 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2023-12-01-preview' = {
  parent: postgres
  name: 'azure.extensions'
  properties: { value: 'VECTOR', source: 'user-override' }
}

resource pgConnectionLogs 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2023-12-01-preview' = {
  parent: postgres
  name: 'log_connections'
  properties: { value: 'on', source: 'user-override' }
  dependsOn: [ pgExtensions ]
}

resource pgTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2023-12-01-preview' = {
  parent: postgres
  name: 'require_secure_transport'
  properties: { value: 'on', source: 'user-override' }
  dependsOn: [ pgConnectionLogs ]
}

resource catalogDb 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2023-12-01-preview' = {
  parent: postgres
  name: 'stylelens'
  properties: { charset: 'UTF8', collation: 'en_US.utf8' }
  dependsOn: [ pgTls ]
}

// ---------------------------------------------------------------- container registry
resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: registryName
  location: location
  tags: tags
  sku: { name: 'Premium' }
  properties: {
    adminUserEnabled: false
    // checkov:skip=CKV_AZURE_139: GitHub-hosted runners push over the internet (OIDC, no admin user); pulls use the identity
    publicNetworkAccess: 'Enabled'
    zoneRedundancy: 'Enabled'
    dataEndpointEnabled: true
    policies: {
      quarantinePolicy: { status: 'enabled' }
      retentionPolicy: { status: 'enabled', days: 30 }
      trustPolicy: { type: 'Notary', status: 'enabled' }
    }
  }
}

// ---------------------------------------------------------------- least-privilege role assignments
var roles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// Blobs: only the two containers the app uses, not the account.
resource imagesRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: images
  name: guid(images.id, identity.id, roles.blobDataContributor)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
  }
}

resource jobKeysRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: jobKeys
  name: guid(jobKeys.id, identity.id, roles.blobDataContributor)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
  }
}

// Queues: the job queue and its poison queue only (updating a message's lease needs messages/write).
resource jobsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: jobs
  name: guid(jobs.id, identity.id, roles.queueDataContributor)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
  }
}

resource poisonRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: poison
  name: guid(poison.id, identity.id, roles.queueDataContributor)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
  }
}

resource secretsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource pullRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, identity.id, roles.acrPull)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

// ---------------------------------------------------------------- Container Apps
resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${prefix}-env'
  location: location
  tags: tags
  properties: {
    vnetConfiguration: { infrastructureSubnetId: vnet.properties.subnets[0].id, internal: false }
    zoneRedundant: true
    workloadProfiles: [ { name: 'Consumption', workloadProfileType: 'Consumption' } ]
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

var secrets = [
  { name: 'database-url', keyVaultUrl: databaseUrl.properties.secretUri, identity: identity.id }
  { name: 'appinsights', keyVaultUrl: telemetryConnection.properties.secretUri, identity: identity.id }
]

var settings = [
  { name: 'STYLELENS_STORAGE__DATABASE_URL', secretRef: 'database-url' }
  { name: 'STYLELENS_STORAGE__BLOB_BACKEND', value: 'azure' }
  { name: 'STYLELENS_INDEX__BACKEND', value: 'pgvector' }
  { name: 'STYLELENS_JOBS__BACKEND', value: 'azure' }
  { name: 'STYLELENS_AZURE__BLOB_ACCOUNT_URL', value: storage.properties.primaryEndpoints.blob }
  { name: 'STYLELENS_AZURE__QUEUE_ACCOUNT_URL', value: storage.properties.primaryEndpoints.queue }
  { name: 'STYLELENS_AZURE__BLOB_CONTAINER', value: blobContainer }
  { name: 'STYLELENS_AZURE__JOBS_QUEUE', value: jobsQueue }
  { name: 'STYLELENS_AZURE__MANAGED_IDENTITY_CLIENT_ID', value: identity.properties.clientId }
  { name: 'STYLELENS_TELEMETRY__ENABLED', value: 'true' }
  { name: 'STYLELENS_TELEMETRY__AZURE_MONITOR_CONNECTION_STRING', secretRef: 'appinsights' }
  { name: 'APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL', value: 'true' }
]

resource api 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${prefix}-api'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identity.id}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      // Sticky: a shopper's filter change sends the photo_id of a search that only the replica which read the
      // photo remembers (in its memory); on another replica it would be a 410 and the photo sent again.
      ingress: {
        external: true
        targetPort: 8000
        transport: 'auto'
        allowInsecure: false
        stickySessions: { affinity: 'sticky' }
      }
      registries: [ { server: registry.properties.loginServer, identity: identity.id } ]
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'api'
          image: image
          command: [ 'stylelens', 'serve' ]
          resources: { cpu: json('2.0'), memory: '4Gi' }
          env: concat(settings, [ { name: 'STYLELENS_TELEMETRY__SERVICE_NAME', value: 'stylelens-api' } ])
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 15 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 8000 }, periodSeconds: 10, failureThreshold: 3 }
            { type: 'Startup', httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 5, failureThreshold: 24 }
          ]
        }
      ]
      scale: {
        minReplicas: 2
        maxReplicas: apiMaxReplicas
        rules: [ { name: 'http-concurrency', http: { metadata: { concurrentRequests: string(apiConcurrency) } } } ]
      }
    }
  }
  dependsOn: [ pullRole, secretsRole, imagesRole, jobsRole, catalogDb ]
}

resource worker 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${prefix}-worker'
  location: location
  tags: tags
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identity.id}': {} } }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      registries: [ { server: registry.properties.loginServer, identity: identity.id } ]
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: image
          command: [ 'stylelens', 'worker' ]
          resources: { cpu: json('2.0'), memory: '4Gi' }
          env: concat(settings, [ { name: 'STYLELENS_TELEMETRY__SERVICE_NAME', value: 'stylelens-worker' } ])
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: workerMaxReplicas
        rules: [
          {
            name: 'ingestion-queue'
            custom: {
              type: 'azure-queue'
              identity: identity.id
              metadata: { accountName: storage.name, queueName: jobsQueue, queueLength: string(jobsPerWorker) }
            }
          }
        ]
      }
    }
  }
  dependsOn: [ pullRole, secretsRole, imagesRole, jobKeysRole, jobsRole, poisonRole, catalogDb ]
}

output apiUrl string = 'https://${api.properties.configuration.ingress.fqdn}'
output registryLoginServer string = registry.properties.loginServer
output identityClientId string = identity.properties.clientId
