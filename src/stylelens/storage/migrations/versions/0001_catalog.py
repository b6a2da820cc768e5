"""The catalog: products and their visual embeddings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("title_fr", sa.String(300), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("brand", sa.String(120), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("colors", sa.JSON(), nullable=False),
        sa.Column("pattern", sa.String(20), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("sizes", sa.JSON(), nullable=False),
        sa.Column("stock", sa.JSON(), nullable=False),
        sa.Column("image_key", sa.String(300), nullable=False),
        sa.Column("mask_key", sa.String(300), nullable=True),
        sa.Column("product_url", sa.String(1000), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_products_product_id", "products", ["product_id"], unique=True)
    op.create_index("ix_products_category", "products", ["category"])
    op.create_table(
        "product_embeddings",
        sa.Column("product_pk", sa.Integer(), sa.ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("model", sa.String(80), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("product_embeddings")
    op.drop_index("ix_products_category", "products")
    op.drop_index("ix_products_product_id", "products")
    op.drop_table("products")
