"""One settings object for StyleLens, read from the environment (prefix STYLELENS_, nested with __).

The defaults are the embedded ones: a SQLite file, images and the vector index under ./var, models prepared
from packages into ./var/models. Example: STYLELENS_API__PORT=9000, STYLELENS_VISION__THREADS=1.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseModel):
    """Where the catalog, images and derived files live."""

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: sqlite file under data_dir
    blob_dir: Path | None = None  # empty: data_dir / "blobs"
    blob_backend: Literal["local", "azure"] = "local"  # azure: Azure Blob Storage, see AzureSettings

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
    # A shopper who changes a filter or picks another garment sends the same photo again: the garments read from
    # the last `recent_photos` photos are kept in memory (no pixel, no mask, keyed by an HMAC of the photo and the
    # shopper) for `recent_photo_s` seconds, so the photo is not read again; a shopper's data export lists them
    # and their erasure forgets them. 0: every search reads its photo.
    recent_photos: int = Field(default=256, ge=0, le=100_000)
    recent_photo_s: float = Field(default=600.0, gt=0, le=86_400)


class IndexSettings(BaseModel):
    """The approximate nearest-neighbour index: in process (hnsw) or in PostgreSQL (pgvector)."""

    backend: Literal["hnsw", "pgvector"] = "hnsw"  # pgvector: needs a postgresql+psycopg database_url
    pgvector_half_precision: bool = False  # pgvector: index float16 copies of the vectors (half the memory)
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


class RecommendSettings(BaseModel):
    """How results are ranked and personalised; docs/how-recommendations-work.md is generated from these."""

    personalisation: bool = True  # False: nobody's ranking is personalised and no taste profile is built
    candidates: int = Field(default=200, ge=10, le=2000)  # items read from the index before re-ranking
    visual_weight: float = Field(default=1.0, ge=0)
    text_weight: float = Field(default=0.5, ge=0)  # MiniLM match of the query text with titles/descriptions
    attribute_weight: float = Field(default=0.3, ge=0)  # same colour / kind of garment as the query
    taste_weight: float = Field(default=1.2, ge=0)  # closeness to the shopper's taste profile
    size_weight: float = Field(default=0.2, ge=0)  # in stock in the shopper's size
    diversity: float = Field(default=0.15, ge=0, le=1)  # MMR: 0 = pure relevance, 1 = pure novelty
    duplicate_similarity: float = Field(default=0.985, gt=0, le=1)  # above this, two items count as one
    min_visual_similarity: float = Field(default=0.3, ge=-1, le=1)  # relevance cut-off for photo queries
    out_of_stock: Literal["demote", "hide"] = "demote"
    brand_boosts: dict[str, float] = Field(default_factory=dict)  # e.g. {"Nordvik": 0.1}
    category_boosts: dict[str, float] = Field(default_factory=dict)
    taste_half_life_days: float = Field(default=30.0, gt=0)
    taste_centres: int = Field(default=3, ge=1, le=10)
    experiment: str = "ranking-v1"  # A/B: shoppers are split by a hash of this name and their id
    treatment_share: float = Field(default=1.0, ge=0, le=1)  # share of shoppers in the personalised arm


class IntegrationSettings(BaseModel):
    """The shop's systems: feed sync, image fetching, jobs, inbound and outbound webhooks."""

    fetch_concurrency: int = Field(default=8, ge=1, le=64)  # downloads at once (they wait on the network)
    fetch_cpu_workers: int = Field(default=0, ge=0, le=64)  # of those, decoding at once; 0: the cores less one
    fetch_timeout_s: float = 10.0
    fetch_retries: int = Field(default=3, ge=0, le=10)
    image_max_bytes: int = 10 * 1024 * 1024
    image_max_pixels: int = 40_000_000
    # Catalog images are kept and read at about this many pixels a side at most (the app shows them at 256 and
    # 512 px; the garment is embedded at 224 px): a shop's 1,200-px packshot decodes at 1/2 scale, and its mask,
    # colours, crop and stored copy cost a quarter of the full size's.
    image_side: int = Field(default=640, ge=224, le=8192)
    # The shop's own colour words beyond the built-in English and French ones, e.g. {"Nuit d'été": "navy"}:
    # a product whose every colour word is known keeps them as its palette colours (catalog/colour_names.py).
    colour_words: dict[str, str] = Field(default_factory=dict)
    feed_max_bytes: int = 8 * 1024**3
    job_lease_s: float = 60.0
    job_max_attempts: int = 8
    webhook_secrets: dict[str, str] = Field(default_factory=dict)  # source name -> shared secret
    webhook_tolerance_s: float = 300.0
    events_forward_url: str = ""  # empty: shopper events are kept, not forwarded
    events_forward_secret: str = ""

    @field_validator("colour_words")
    @classmethod
    def _palette_colours(cls, words: dict[str, str]) -> dict[str, str]:
        from stylelens.catalog.colour_names import shop_words

        shop_words(words)  # ValueError naming any value that is not a palette colour
        return words


class JobsSettings(BaseModel):
    """Where background jobs wait: a database table (embedded) or an Azure Storage queue."""

    backend: Literal["database", "azure"] = "database"


class AzureSettings(BaseModel):
    """Azure services, used when a backend setting names them. A connection string locally (Azurite);
    in production the account URLs and the managed identity, so no storage key exists anywhere."""

    storage_connection_string: str = ""
    blob_account_url: str = ""  # e.g. https://<account>.blob.core.windows.net
    queue_account_url: str = ""  # e.g. https://<account>.queue.core.windows.net
    blob_container: str = "stylelens"
    jobs_queue: str = "stylelens-jobs"
    managed_identity_client_id: str = ""  # the user-assigned identity; empty: DefaultAzureCredential


class TelemetrySettings(BaseModel):
    """OpenTelemetry traces, metrics and logs; exported to Azure Monitor when a connection string is set."""

    enabled: bool = False
    service_name: str = "stylelens-api"
    azure_monitor_connection_string: str = ""  # Application Insights; empty: nothing leaves the process
    sample_ratio: float = Field(default=1.0, ge=0, le=1)


class PrivacySettings(BaseModel):
    """Shoppers' personal data: consent policy, saved photos, pseudonyms (privacy/)."""

    policy_version: str = "2026-11-01"
    photo_retention_days: int = Field(default=30, ge=1, le=3650)
    # Secrets come from the environment (or Key Vault on Azure, injected as env); empty: a key file under data_dir.
    photo_key: str = ""  # base64url 32-byte AES-GCM key for saved photos at rest
    pseudonym_key: str = ""  # HMAC key turning shopper ids and IPs into pseudonyms for logs and audit


class AuthSettings(BaseModel):
    """How shoppers sign in (auth/): OpenID Connect, local accounts, anonymous device sessions."""

    oidc_issuer: str = ""  # e.g. https://<tenant>.ciamlogin.com/<tenant-id>/v2.0; empty: OIDC sign-in is off
    oidc_audience: str = ""  # the app's client id
    oidc_jwks_url: str = ""  # empty: read from the issuer's /.well-known/openid-configuration
    local_accounts: bool = True
    session_days: int = Field(default=30, ge=1, le=365)


class SecuritySettings(BaseModel):
    """Rate limits and request limits per client (api/security.py)."""

    search_per_minute: int = Field(default=120, ge=1)
    sign_in_per_minute: int = Field(default=10, ge=1)
    max_body_bytes: int = 16 * 1024 * 1024  # above vision.max_bytes: the multipart envelope


class TrainingSettings(BaseModel):
    """Training runs (the `train` extra): experiment tracking, checkpoints, the model registry."""

    tracking_uri: str | None = None  # None: SQLite MLflow store under data_dir/mlruns; or an MLflow/Azure ML URI
    tracking: bool = True  # False: runs are not tracked at all
    threads: int | None = Field(default=None, ge=1, le=256)  # torch threads; None: torch's default (all cores)
    runs_dir: Path | None = None  # empty: data_dir / "runs" (checkpoints, exports of each run)
    registry_dir: Path | None = None  # empty: models_dir / "registry" (versioned models, the active pointer)


class Settings(BaseSettings):
    """Every StyleLens setting, grouped by the part of the product it steers."""

    model_config = SettingsConfigDict(env_prefix="STYLELENS_", env_nested_delimiter="__", extra="ignore")

    storage: StorageSettings = Field(default_factory=StorageSettings)
    vision: VisionSettings = Field(default_factory=VisionSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    integration: IntegrationSettings = Field(default_factory=IntegrationSettings)
    recommend: RecommendSettings = Field(default_factory=RecommendSettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)

    @model_validator(mode="after")
    def _azure_backends_are_reachable(self) -> Settings:
        """Refuse an Azure backend without the settings it needs, at start rather than at the first request."""
        if self.index.backend == "pgvector" and not self.storage.database_url.startswith("postgres"):
            raise ValueError("index.backend=pgvector needs a PostgreSQL storage.database_url (postgresql://...)")
        az = self.azure
        if self.storage.blob_backend == "azure" and not (az.storage_connection_string or az.blob_account_url):
            raise ValueError("storage.blob_backend=azure needs azure.storage_connection_string or .blob_account_url")
        if self.jobs.backend == "azure" and not (
            az.storage_connection_string or (az.queue_account_url and az.blob_account_url)
        ):
            raise ValueError("jobs.backend=azure needs azure.storage_connection_string or both account URLs")
        return self

    @property
    def models_dir(self) -> Path:
        return self.vision.models_dir or self.storage.data_dir / "models"

    @property
    def registry_dir(self) -> Path:
        return self.training.registry_dir or self.models_dir / "registry"

    @property
    def runs_dir(self) -> Path:
        return self.training.runs_dir or self.storage.data_dir / "runs"

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI: the configured one, else a SQLite store under data_dir/mlruns."""
        default = f"sqlite:///{(self.storage.data_dir / 'mlruns' / 'mlflow.db').resolve()}"
        return self.training.tracking_uri or default

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
