"""Shoppers, sign-in, consents, saved photos, erasure jobs and the privacy audit trail.

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shoppers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("sizes", sa.JSON(), nullable=False),
        sa.Column("profiling_objection", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "shopper_logins",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("shopper_id", sa.String(36), sa.ForeignKey("shoppers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("provider", "subject", name="uq_shopper_logins_provider_subject"),
    )
    op.create_index("ix_shopper_logins_shopper_id", "shopper_logins", ["shopper_id"])
    op.create_table(
        "shopper_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("shopper_id", sa.String(36), sa.ForeignKey("shoppers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_shopper_sessions_shopper_id", "shopper_sessions", ["shopper_id"])
    op.create_table(
        "consents",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("shopper_id", sa.String(36), sa.ForeignKey("shoppers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("policy_sha256", sa.String(64), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_index("ix_consents_shopper_purpose", "consents", ["shopper_id", "purpose"])
    op.create_table(
        "saved_photos",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("shopper_id", sa.String(36), sa.ForeignKey("shoppers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("blob_key", sa.String(300), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("faces_blurred", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_saved_photos_shopper_id", "saved_photos", ["shopper_id"])
    op.create_index("ix_saved_photos_expires_at", "saved_photos", ["expires_at"])
    op.create_table(
        "erasure_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("areas_done", sa.JSON(), nullable=False),
        sa.Column("areas_failed", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
    )
    op.create_index("ix_erasure_jobs_subject", "erasure_jobs", ["subject"])
    op.create_table(
        "privacy_audit",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_privacy_audit_at", "privacy_audit", ["at"])
    op.create_index("ix_privacy_audit_subject", "privacy_audit", ["subject"])


def downgrade() -> None:
    for table in ("privacy_audit", "erasure_jobs", "saved_photos", "consents", "shopper_sessions"):
        op.drop_table(table)
    op.drop_table("shopper_logins")
    op.drop_table("shoppers")
