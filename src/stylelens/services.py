"""The long-lived parts of StyleLens, built once from settings: database, blobs, index, models, search."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from stylelens.catalog.ingest import CatalogIngestor
from stylelens.config import Settings
from stylelens.index.hnsw import HnswIndex
from stylelens.recommend.search import VisualSearch
from stylelens.storage import db
from stylelens.storage.blobs import BlobStore, LocalBlobStore
from stylelens.vision.analysis import GarmentAnalyser
from stylelens.vision.embedder import Embedder


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
        return LocalBlobStore(self.settings.storage.resolved_blob_dir())

    @cached_property
    def embedder(self) -> Embedder:
        vision = self.settings.vision
        return Embedder(self.settings.models_dir, name=vision.backbone, threads=vision.threads)

    @cached_property
    def analyser(self) -> GarmentAnalyser:
        return GarmentAnalyser(self.embedder)

    @cached_property
    def index(self) -> HnswIndex:
        s = self.settings.index
        return HnswIndex(
            self.settings.index_dir, self.embedder.dim, m=s.m, ef_construction=s.ef_construction, ef_search=s.ef_search
        )

    @cached_property
    def ingestor(self) -> CatalogIngestor:
        return CatalogIngestor(
            self.sessions, self.blobs, self.index, self.analyser, model_name=self.settings.vision.backbone
        )

    @cached_property
    def search(self) -> VisualSearch:
        v = self.settings.vision
        return VisualSearch(self.analyser, self.index, self.sessions, max_bytes=v.max_bytes, max_pixels=v.max_pixels)

    def demo_marker(self) -> dict[str, int] | None:
        """The seed and size of the demo catalog already built here, if any."""
        path = self.settings.storage.data_dir / "demo-catalog.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def mark_demo(self, seed: int, size: int) -> None:
        path = self.settings.storage.data_dir / "demo-catalog.json"
        path.write_text(json.dumps({"seed": seed, "size": size}))
