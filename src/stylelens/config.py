"""One settings object for StyleLens, read from the environment (prefix STYLELENS_, nested with __).

The defaults are the embedded ones: a SQLite file, images and the vector index under ./var, models prepared
from packages into ./var/models. Example: STYLELENS_API__PORT=9000, STYLELENS_VISION__THREADS=1.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseModel):
    """Where the catalog, images and derived files live."""

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: sqlite file under data_dir
    blob_dir: Path | None = None  # empty: data_dir / "blobs"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'stylelens.db'}"

    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"


class VisionSettings(BaseModel):
    """Image limits and the models that read shopper photos."""

    models_dir: Path | None = None  # empty: data_dir / "models"
    backbone: str = "mobilenet_v2"
    threads: int = Field(default=2, ge=1, le=64)
    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000


class IndexSettings(BaseModel):
    """The in-process approximate nearest-neighbour index."""

    path: Path | None = None  # empty: data_dir / "index"
    m: int = 32
    ef_construction: int = 200
    ef_search: int = 128


class ApiSettings(BaseModel):
    """The HTTP service."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # empty: http://host:port
    cors_origins: list[str] = Field(default_factory=list)
    search_limit_max: int = 100

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        if "*" in origins:
            raise ValueError("CORS must list the shop's origins, not '*'")
        return origins


class CatalogSettings(BaseModel):
    """The catalog and its demo."""

    demo_seed: int = 7
    demo_size: int = 2400
    shop_url: str = "https://shop.fashion-insta.example"


class Settings(BaseSettings):
    """Every StyleLens setting, grouped by the part of the product it steers."""

    model_config = SettingsConfigDict(env_prefix="STYLELENS_", env_nested_delimiter="__", extra="ignore")

    storage: StorageSettings = Field(default_factory=StorageSettings)
    vision: VisionSettings = Field(default_factory=VisionSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)

    @property
    def models_dir(self) -> Path:
        return self.vision.models_dir or self.storage.data_dir / "models"

    @property
    def index_dir(self) -> Path:
        return self.index.path or self.storage.data_dir / "index"

    @property
    def public_url(self) -> str:
        return (self.api.public_url or f"http://{self.api.host}:{self.api.port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
