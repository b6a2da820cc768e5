"""The Azure templates parse, pass checkov's policies (every skip justified) and say what the issue asks:
HTTP-concurrency scaling for the API, queue-length scaling for the worker, pgvector allowed, private storage,
least-privilege roles for one user-assigned identity, EU regions only, OIDC deploys.

No Bicep CLI installs from the registries here: pycep parses the syntax (checkov alone passes a broken file,
reporting only "Parsing errors") and checkov, from its own venv (`make test` installs it), checks the policies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pycep import BicepParser

REPO = Path(__file__).resolve().parents[2]
BICEP = REPO / "deploy" / "azure" / "main.bicep"
WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"
CHECKOV = Path(sys.executable).parent.parent / "iac" / "bin" / "checkov"
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",  # Owner
    "b24988ac-6180-42a0-ab88-20f7382dd24c",  # Contributor
    "17d1049b-9a84-46fb-8f53-869881c3d3ab",  # Storage Account Contributor
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    parsed: dict[str, Any] = BicepParser().parse(file_path=BICEP)
    return parsed


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    config: dict[str, Any] = template["resources"][name]["config"]
    return config


def expr(node: Any) -> Any:
    """A Bicep property access as pycep parses it ({'operator': property_accessor ...}), written back as a.b.c."""
    if isinstance(node, dict) and node.get("operator", {}).get("type") == "property_accessor":
        operands = node["operator"]["operands"]
        return f"{expr(operands['operand_1'])}.{expr(operands['operand_2'])}"
    return node


def checkov(path: Path, framework: str) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: `make test` installs checkov into its own venv")
    command = [str(CHECKOV), "-f", str(path), "--framework", framework, "--skip-download", "-o", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_a_syntax_error_is_caught_by_the_parse() -> None:
    broken = BICEP.read_text().replace("resource vnet 'Microsoft.Network", "resource vnet = 'Microsoft.Network", 1)
    with pytest.raises(Exception):  # noqa: B017 - lark's error type varies with the mistake
        BicepParser().parse(text=broken)


def test_checkov_passes_and_every_skip_is_justified() -> None:
    report = checkov(BICEP, "bicep")
    summary = report["summary"]
    assert summary["parsing_errors"] == 0 and summary["failed"] == 0, report["results"]["failed_checks"]
    assert summary["passed"] >= 20
    for skipped in report["results"]["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "").strip()) > 20, skipped["check_id"]


def test_checkov_passes_the_workflow() -> None:
    report = checkov(WORKFLOW, "github_actions")
    assert report["summary"]["failed"] == 0, report["results"]["failed_checks"]


def test_only_eu_regions(template: dict[str, Any]) -> None:
    location = template["parameters"]["location"]
    allowed = location["decorators"][-1]["argument"] if "decorators" in location else None
    text = BICEP.read_text()
    regions = {"westeurope", "northeurope", "francecentral", "germanywestcentral", "swedencentral"}
    assert allowed is None or set(allowed) <= regions
    assert "@allowed([" in text and all(f"'{r}'" in text for r in regions)
    assert location["default"] in regions


def test_api_scales_on_http_concurrency_and_worker_on_queue_length(template: dict[str, Any]) -> None:
    api = props(template, "api")["properties"]
    assert api["configuration"]["ingress"]["external"] is True
    assert api["configuration"]["ingress"]["allowInsecure"] is False
    # photo_id searches reach the replica that remembers the photo (a 410 and a new upload elsewhere)
    assert api["configuration"]["ingress"]["stickySessions"]["affinity"] == "sticky"
    api_scale = api["template"]["scale"]
    assert api_scale["minReplicas"] >= 2 and "http" in api_scale["rules"][0]
    worker = props(template, "worker")["properties"]
    assert "ingress" not in worker["configuration"]
    rule = worker["template"]["scale"]["rules"][0]["custom"]
    assert (
        rule["type"] == "azure-queue" and expr(rule["identity"]) == "identity.id"
    )  # KEDA reads the queue as the identity
    assert worker["template"]["scale"]["minReplicas"] == 0
    assert worker["template"]["containers"][0]["command"] == ["stylelens", "worker"]


def test_pgvector_is_allowed_and_the_database_is_private(template: dict[str, Any]) -> None:
    extensions = props(template, "pgExtensions")
    assert extensions["name"] == "azure.extensions" and "VECTOR" in extensions["properties"]["value"]
    network = props(template, "postgres")["properties"]["network"]
    assert network["publicNetworkAccess"] == "Disabled" and "delegatedSubnetResourceId" in network


def test_storage_is_private_and_keyless(template: dict[str, Any]) -> None:
    storage = props(template, "storage")["properties"]
    assert storage["allowSharedKeyAccess"] is False and storage["allowBlobPublicAccess"] is False
    assert storage["publicNetworkAccess"] == "Disabled" and storage["networkAcls"]["defaultAction"] == "Deny"
    assert props(template, "vault")["properties"]["publicNetworkAccess"] == "Disabled"


def test_one_identity_with_narrow_roles(template: dict[str, Any]) -> None:
    assignments = {
        name: r for name, r in template["resources"].items() if r["type"] == "Microsoft.Authorization/roleAssignments"
    }
    assert len(assignments) >= 5
    text = BICEP.read_text()
    assert not any(role in text for role in BROAD_ROLES)
    for name, resource in assignments.items():
        config = resource["config"]
        assert config["scope"] not in {"resourceGroup()", "subscription()"}, name  # a resource, never the group
        assert expr(config["properties"]["principalId"]) == "identity.properties.principalId", name
    for app in ("api", "worker"):
        identity = props(template, app)["identity"]
        assert identity["type"] == "UserAssigned"


def test_apps_get_secrets_from_key_vault_and_run_the_azure_backends(template: dict[str, Any]) -> None:
    text = BICEP.read_text()
    for setting in (
        "STYLELENS_STORAGE__BLOB_BACKEND', value: 'azure'",
        "STYLELENS_INDEX__BACKEND', value: 'pgvector'",
        "STYLELENS_JOBS__BACKEND', value: 'azure'",
        "STYLELENS_STORAGE__DATABASE_URL', secretRef: 'database-url'",
        "STYLELENS_TELEMETRY__AZURE_MONITOR_CONNECTION_STRING', secretRef: 'appinsights'",
    ):
        assert setting in text
    assert "keyVaultUrl: databaseUrl.properties.secretUri" in text


def test_workflow_tests_builds_pushes_and_deploys_with_oidc() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    jobs = workflow["jobs"]
    assert jobs["build"]["needs"] == "test" and jobs["deploy"]["needs"] == "build"
    assert workflow["permissions"] == {"contents": "read"}
    for name in ("build", "deploy"):
        assert jobs[name]["permissions"]["id-token"] == "write"
        login = next(s for s in jobs[name]["steps"] if str(s.get("uses", "")).startswith("azure/login"))
        assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # no client secret: OIDC
    assert "make test" in jobs["test"]["steps"][-1]["run"]
    assert "docker push" in jobs["build"]["steps"][-1]["run"]
    assert "--template-file deploy/azure/main.bicep" in jobs["deploy"]["steps"][2]["run"]
