"""Choosing the Azure backends by settings: refused at start when a setting they need is missing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stylelens.config import Settings

AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/x;"
)


def test_embedded_defaults_need_nothing() -> None:
    settings = Settings()
    assert (settings.storage.blob_backend, settings.index.backend, settings.jobs.backend) == (
        "local",
        "hnsw",
        "database",
    )
    assert settings.telemetry.enabled is False


def test_azure_backends_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "STYLELENS_STORAGE__DATABASE_URL": "postgresql://stylelens@db.example:5432/stylelens",
        "STYLELENS_STORAGE__BLOB_BACKEND": "azure",
        "STYLELENS_INDEX__BACKEND": "pgvector",
        "STYLELENS_JOBS__BACKEND": "azure",
        "STYLELENS_AZURE__BLOB_ACCOUNT_URL": "https://acct.blob.core.windows.net",
        "STYLELENS_AZURE__QUEUE_ACCOUNT_URL": "https://acct.queue.core.windows.net",
        "STYLELENS_AZURE__MANAGED_IDENTITY_CLIENT_ID": "client-id",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.index.backend == "pgvector" and settings.azure.managed_identity_client_id == "client-id"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"index": {"backend": "pgvector"}}, "PostgreSQL storage.database_url"),
        ({"storage": {"blob_backend": "azure"}}, "storage.blob_backend=azure needs"),
        ({"jobs": {"backend": "azure"}, "azure": {"queue_account_url": "https://a.queue.core.windows.net"}}, "both"),
    ],
)
def test_an_azure_backend_without_its_settings_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**changes)  # type: ignore[arg-type]


def test_a_connection_string_is_enough_for_blobs_and_jobs() -> None:
    settings = Settings(
        storage={"blob_backend": "azure"},  # type: ignore[arg-type]
        jobs={"backend": "azure"},  # type: ignore[arg-type]
        azure={"storage_connection_string": AZURITE},  # type: ignore[arg-type]
    )
    assert settings.azure.blob_container == "stylelens"
