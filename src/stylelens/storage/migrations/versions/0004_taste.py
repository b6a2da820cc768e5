"""Recommendations: each shopper's own taste edits and the time they last reset their taste.

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taste_settings",
        sa.Column("shopper_id", sa.String(64), primary_key=True),
        sa.Column("edits", sa.JSON(), nullable=False),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("taste_settings")
