"""The same contract tests on both backend sets: local folder / HNSW in process / database queue (embedded
defaults) and Azure Blob Storage / PostgreSQL + pgvector / Azure Storage Queue (Azurite and a real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from azure.identity import ManagedIdentityCredential
from azure.storage.blob import BlobServiceClient
from backend_contracts import BlobStoreContract, JobQueueContract, VectorIndexContract
from cloud_servers import Azurite

from stylelens.config import AzureSettings
from stylelens.index.base import VectorIndex
from stylelens.index.hnsw import HnswIndex
from stylelens.index.pgvector import PgVectorIndex
from stylelens.jobs.azure_queue import AzureJobQueue
from stylelens.jobs.base import JobQueue
from stylelens.jobs.database import queue_for_tests
from stylelens.storage.azure_blobs import AzureBlobStore
from stylelens.storage.blobs import BlobStore, LocalBlobStore


def azure_settings(azurite: Azurite, name: str) -> AzureSettings:
    return AzureSettings(storage_connection_string=azurite.connection_string, blob_container=name, jobs_queue=name)


class TestLocalBlobStore(BlobStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> BlobStore:
        return LocalBlobStore(tmp_path / "blobs")


class TestAzureBlobStore(BlobStoreContract):
    @pytest.fixture
    def store(self, azurite: Azurite, unique_name: str) -> BlobStore:
        return AzureBlobStore.from_settings(azure_settings(azurite, unique_name))

    def test_blobs_keep_their_content_type(self, store: AzureBlobStore) -> None:
        store.put("products/FI-2.jpg", b"\xff\xd8", "image/jpeg")
        properties = store.container.get_blob_client("products/FI-2.jpg").get_blob_properties()
        assert properties.content_settings.content_type == "image/jpeg"


def test_production_uses_the_managed_identity_not_a_key() -> None:
    """With an account URL and no connection string, requests are signed by the user-assigned identity.

    Only the client is built: no token is asked for (that would contact the instance metadata address).
    """
    settings = AzureSettings(
        blob_account_url="https://stylelensprod.blob.core.windows.net", managed_identity_client_id="0000-client-id"
    )
    credential = ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
    service = BlobServiceClient(settings.blob_account_url, credential=credential)
    store = AzureBlobStore.__new__(AzureBlobStore)  # skip container creation: it would call Azure
    store.container = service.get_container_client(settings.blob_container)
    assert store.container.credential is credential
    assert store.container.url == "https://stylelensprod.blob.core.windows.net/stylelens"
    with pytest.raises(ValueError, match="CONNECTION_STRING or __BLOB_ACCOUNT_URL"):
        AzureBlobStore.from_settings(AzureSettings())


class TestHnswIndex(VectorIndexContract):
    @pytest.fixture
    def make_index(self, tmp_path: Path) -> Callable[[int], VectorIndex]:
        return lambda dim: HnswIndex(tmp_path / "index", dim)


class TestPgVectorIndex(VectorIndexContract):
    @pytest.fixture
    def make_index(self, database_url: str) -> Iterator[Callable[[int], VectorIndex]]:
        opened: list[PgVectorIndex] = []

        def make(dim: int) -> VectorIndex:
            opened.append(PgVectorIndex(database_url, dim, pool_size=2))
            return opened[-1]

        yield make
        for index in opened:
            index.close()

    def test_search_uses_the_hnsw_index(self, make_index: Callable[[int], VectorIndex]) -> None:
        index = make_index(8)
        assert isinstance(index, PgVectorIndex)
        with index.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(
                conn.exec_driver_sql(
                    "EXPLAIN SELECT label FROM catalog_vectors ORDER BY embedding <=> '[1,0,0,0,0,0,0,0]' LIMIT 5"
                ).scalars()
            )
        assert "catalog_vectors_hnsw" in plan


class TestPgVectorHalfPrecisionIndex(VectorIndexContract):
    """The float16 graph (half the index memory) keeps every promise of the contract too."""

    @pytest.fixture
    def make_index(self, database_url: str) -> Iterator[Callable[[int], VectorIndex]]:
        opened: list[PgVectorIndex] = []

        def make(dim: int) -> VectorIndex:
            opened.append(PgVectorIndex(database_url, dim, half_precision=True, pool_size=2))
            return opened[-1]

        yield make
        for index in opened:
            index.close()

    def test_search_uses_the_half_precision_graph(self, make_index: Callable[[int], VectorIndex]) -> None:
        index = make_index(8)
        assert isinstance(index, PgVectorIndex)
        with index.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            query = f"EXPLAIN SELECT label FROM catalog_vectors ORDER BY {index.indexed} <=> %s::halfvec(8) LIMIT 5"
            plan = "\n".join(conn.exec_driver_sql(query, ("[1,0,0,0,0,0,0,0]",)).scalars())
        assert "catalog_vectors_hnsw_half" in plan


class TestAzureJobQueue(JobQueueContract):
    @pytest.fixture
    def queue(self, azurite: Azurite, unique_name: str) -> AzureJobQueue:
        return AzureJobQueue.from_settings(azure_settings(azurite, unique_name), max_attempts=3)


class TestDatabaseJobQueue(JobQueueContract):
    @pytest.fixture
    def queue(self, tmp_path: Path) -> JobQueue:
        return queue_for_tests(tmp_path, max_attempts=3)
