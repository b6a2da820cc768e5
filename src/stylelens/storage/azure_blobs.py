"""Product images and masks in Azure Blob Storage, behind the same `BlobStore` contract as the local folder.

Locally (and against Azurite in the tests) the store connects with a connection string. In production it has no
key at all: it reaches the account URL with the container app's user-assigned managed identity, which holds only
"Storage Blob Data Contributor" on the account (deploy/azure/main.bicep).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings

from stylelens.config import AzureSettings
from stylelens.errors import NotFound
from stylelens.storage.blobs import check_key


def azure_credential(azure: AzureSettings) -> Any:
    """The identity StyleLens presents to Azure when no connection string is set.

    Building a credential contacts nothing; a token is asked for only on the first request to Azure.
    """
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if azure.managed_identity_client_id:
        return ManagedIdentityCredential(client_id=azure.managed_identity_client_id)
    return DefaultAzureCredential()


def provision(create: Callable[[], object]) -> None:
    """Create a container or queue if this identity may; in production the infrastructure made it already.

    Least privilege: the app's identity holds data roles only, so creating answers 403 there, which is fine.
    """
    try:
        create()
    except ResourceExistsError:
        pass
    except HttpResponseError as exc:
        if exc.status_code != 403:
            raise


class AzureBlobStore:
    """Blobs in one container of an Azure Storage account; the container is created on first use."""

    def __init__(self, container: ContainerClient) -> None:
        self.container = container
        provision(container.create_container)

    @classmethod
    def from_settings(cls, azure: AzureSettings, credential: Any = None) -> AzureBlobStore:
        """A connection string when one is set (Azurite, a developer's account), else URL + managed identity."""
        if azure.storage_connection_string:
            service = BlobServiceClient.from_connection_string(azure.storage_connection_string)
        elif azure.blob_account_url:
            service = BlobServiceClient(azure.blob_account_url, credential=credential or azure_credential(azure))
        else:
            raise ValueError("Azure blobs need STYLELENS_AZURE__STORAGE_CONNECTION_STRING or __BLOB_ACCOUNT_URL")
        return cls(service.get_container_client(azure.blob_container))

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.container.upload_blob(
            check_key(key), data, overwrite=True, content_settings=ContentSettings(content_type=content_type)
        )

    def get(self, key: str) -> bytes:
        try:
            return bytes(self.container.download_blob(check_key(key)).readall())
        except ResourceNotFoundError as exc:
            raise NotFound(f"no blob {key!r}") from exc

    def delete(self, key: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self.container.delete_blob(check_key(key))

    def exists(self, key: str) -> bool:
        return bool(self.container.get_blob_client(check_key(key)).exists())

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(self.container.list_blob_names(name_starts_with=prefix or None))
