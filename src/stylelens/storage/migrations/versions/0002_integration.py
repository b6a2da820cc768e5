"""Shop integration: product variants, sync state and runs, jobs, shopper events, dead letters, API keys.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "product_variants",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("product_pk", sa.Integer(), sa.ForeignKey("products.pk", ondelete="CASCADE"), nullable=False),
        sa.Column("variant_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("gtin", sa.String(14), nullable=False),
        sa.Column("size", sa.String(40), nullable=False),
        sa.Column("color", sa.String(60), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("sale_price", sa.Numeric(10, 2), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=False),
    )
    op.create_index("ix_product_variants_product_pk", "product_variants", ["product_pk"])
    op.create_table(
        "catalog_listings",
        sa.Column("product_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("feed_hash", sa.String(64), nullable=False),
        sa.Column("image_url", sa.String(2000), nullable=False),
        sa.Column("image_digest", sa.String(64), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("seen_run", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_catalog_listings_source", "catalog_listings", ["source"])
    op.create_index("ix_catalog_listings_seen_run", "catalog_listings", ["seen_run"])
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(200), nullable=True, unique=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", TZ, nullable=False),
        sa.Column("lease_owner", sa.String(120), nullable=False),
        sa.Column("lease_token", sa.String(36), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
    )
    op.create_index("ix_jobs_claim", "jobs", ["status", "available_at"])
    op.create_table(
        "shopper_events",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("shopper_ref", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
    )
    op.create_index("ix_shopper_events_type", "shopper_events", ["type"])
    op.create_index("ix_shopper_events_product_id", "shopper_events", ["product_id"])
    op.create_table(
        "dead_letters",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(24), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=True),
        sa.Column("replaced_by", sa.String(24), nullable=False),
    )


def downgrade() -> None:
    for table in ("api_keys", "dead_letters", "shopper_events", "jobs", "sync_runs", "catalog_listings"):
        op.drop_table(table)
    op.drop_table("product_variants")
