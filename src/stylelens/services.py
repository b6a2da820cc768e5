"""The long-lived parts of StyleLens, built once from settings: database, blobs, index, models, search."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from stylelens.auth.accounts import Accounts
from stylelens.auth.limits import RateLimiter
from stylelens.auth.oidc import OidcVerifier
from stylelens.catalog.fetch import ImageFetcher
from stylelens.catalog.ingest import CatalogIngestor
from stylelens.catalog.sync import CatalogSync
from stylelens.config import Settings
from stylelens.errors import NotReady
from stylelens.index.base import VectorIndex
from stylelens.index.hnsw import HnswIndex
from stylelens.jobs.base import JobQueue
from stylelens.privacy.office import PrivacyOffice
from stylelens.recommend.search import VisualSearch
from stylelens.recommend.service import Recommender
from stylelens.storage import db
from stylelens.storage.blobs import BlobStore, LocalBlobStore
from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.embedder import Embedder
from stylelens.vision.segmenter import GarmentSegmenter


@dataclass
class Services:
    """Everything a request or a command needs, wired from one Settings object (lazily)."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        engine = db.make_engine(self.settings.storage.resolved_database_url())
        db.upgrade(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine)

    @cached_property
    def blobs(self) -> BlobStore:
        if self.settings.storage.blob_backend == "azure":
            from stylelens.storage.azure_blobs import AzureBlobStore

            return AzureBlobStore.from_settings(self.settings.azure)
        return LocalBlobStore(self.settings.storage.resolved_blob_dir())

    @cached_property
    def embedder(self) -> Embedder:
        vision = self.settings.vision
        head = self.embedder_head
        return Embedder(self.settings.models_dir, name=vision.backbone, threads=vision.threads, projection=head)

    @property
    def embedder_head(self) -> Path | None:
        """The folder of the active trained embedder head in the model registry (None: the frozen backbone)."""
        from stylelens.training.registry import ModelRegistry  # torch-free

        active = ModelRegistry(self.settings.registry_dir).active("embedder")
        return active.path if active is not None else None

    def check_embedder(self) -> None:
        """NotReady telling the operator to rebuild when the catalog was embedded by another embedder."""
        from stylelens.index.embedder_check import check_embedder

        check_embedder(self.sessions, self.embedder.identity)

    @cached_property
    def analyser(self) -> GarmentAnalyser:
        from stylelens.vision.head_training import heads_current, load_heads
        from stylelens.vision.person import PersonFinder
        from stylelens.vision.silhouette import load_silhouette

        # The category and pattern heads read the embedder's vectors: each embedder (head) has its own.
        backbone, models = self.embedder.identity, self.settings.models_dir
        heads = load_heads(models, backbone) if heads_current(models, backbone) else None
        category, pattern = heads or (None, None)
        silhouette = load_silhouette(models, self.settings.vision.threads)
        return GarmentAnalyser(
            self.embedder, category, pattern, PersonFinder(), segmenter=self.segmenter, silhouette=silhouette
        )

    @cached_property
    def segmenter(self) -> GarmentSegmenter | None:
        """The registry's active garment segmenter for photos without a person (None: the classical mask)."""
        from stylelens.vision.segmenter import active_segmenter

        return active_segmenter(self.settings.models_dir, self.settings.vision.threads, self.settings.registry_dir)

    @cached_property
    def index(self) -> VectorIndex:
        s = self.settings.index
        if s.backend == "pgvector":
            from stylelens.index.pgvector import PgVectorIndex

            url = self.settings.storage.resolved_database_url()
            dim = self.embedder.dim
            half = s.pgvector_half_precision
            return PgVectorIndex(
                url, dim, m=s.m, ef_construction=s.ef_construction, ef_search=s.ef_search, half_precision=half
            )
        from stylelens.index.embedder_check import REBUILD_HINT, index_dim_mismatch

        if (saved := index_dim_mismatch(self.settings.index_dir, self.embedder.dim)) is not None:
            raise NotReady(
                f"The vector index at {self.settings.index_dir} holds {saved}-d vectors but the embedder "
                f"({self.embedder.identity}) makes {self.embedder.dim}-d ones: {REBUILD_HINT}."
            )
        return HnswIndex(
            self.settings.index_dir, self.embedder.dim, m=s.m, ef_construction=s.ef_construction, ef_search=s.ef_search
        )

    @cached_property
    def ingestor(self) -> CatalogIngestor:
        return CatalogIngestor(self.sessions, self.blobs, self.index, self.analyser, model_name=self.embedder.identity)

    @cached_property
    def search(self) -> VisualSearch:
        return self.visual_search()

    def built_search(self) -> VisualSearch | None:
        """The search the API serves if it has been built (None: no photo searched yet, and nothing built now)."""
        built = self.__dict__.get("search")
        return built if isinstance(built, VisualSearch) else None

    def visual_search(self, recent_photos: int | None = None) -> VisualSearch:
        """A visual search on this service's models, index and ranker, remembering as many recent photos as the
        settings say (or `recent_photos`); `search` is the one the API serves."""
        v = self.settings.vision
        from stylelens.recommend.hook import SearchReranker  # re-ranks when taste, size or words are given

        return VisualSearch(
            self.analyser,
            self.index,
            self.sessions,
            max_bytes=v.max_bytes,
            max_pixels=v.max_pixels,
            ranker=SearchReranker(self.recommender),
            recent_photos=v.recent_photos if recent_photos is None else recent_photos,
            recent_photo_s=v.recent_photo_s,
        )

    @cached_property
    def recommender(self) -> Recommender:
        """For-you feed, similar items, complete the look, refinements; taste only under consent (recommend/)."""
        from stylelens.recommend.wiring import build_recommender

        return build_recommender(self)

    @cached_property
    def privacy(self) -> PrivacyOffice:
        """Consents, saved photos, the audit trail and pseudonyms (privacy/)."""
        return PrivacyOffice.build(self.settings, self.sessions, self.blobs)

    @cached_property
    def accounts(self) -> Accounts:
        """Shoppers' sign-in: OIDC when an issuer is configured, local accounts, device sessions (auth/)."""
        a = self.settings.auth
        oidc = OidcVerifier(a.oidc_issuer, a.oidc_audience, a.oidc_jwks_url) if a.oidc_issuer else None
        return Accounts(self.sessions, self.privacy.audit, a.session_days, oidc, a.local_accounts)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        return RateLimiter()

    @cached_property
    def job_queue(self) -> JobQueue:
        """The durable queue the workers take jobs from (a table in the catalog database by default)."""
        if self.settings.jobs.backend == "azure":
            from stylelens.jobs.azure_queue import AzureJobQueue

            attempts = self.settings.integration.job_max_attempts
            return AzureJobQueue.from_settings(self.settings.azure, max_attempts=attempts)
        from stylelens.jobs.database import DatabaseJobQueue

        return DatabaseJobQueue(self.sessions, max_attempts=self.settings.integration.job_max_attempts)

    @cached_property
    def image_fetcher(self) -> ImageFetcher:
        i = self.settings.integration
        return ImageFetcher(
            concurrency=i.fetch_concurrency,
            timeout_s=i.fetch_timeout_s,
            retries=i.fetch_retries,
            max_bytes=i.image_max_bytes,
            max_pixels=i.image_max_pixels,
            cpu_workers=i.fetch_cpu_workers or None,
            image_side=i.image_side,
        )

    @cached_property
    def catalog_sync(self) -> CatalogSync:
        """Keeps the catalog equal to the shop's feeds and webhooks (catalog/sync.py)."""
        return CatalogSync(self.ingestor, self.image_fetcher, colour_words=self.settings.integration.colour_words)

    def demo_marker(self) -> dict[str, int] | None:
        """The seed and size of the demo catalog already built here, if any."""
        path = self.settings.storage.data_dir / "demo-catalog.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def mark_demo(self, seed: int, size: int) -> None:
        path = self.settings.storage.data_dir / "demo-catalog.json"
        path.write_text(json.dumps({"seed": seed, "size": size}))
