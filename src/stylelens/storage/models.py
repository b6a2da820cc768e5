"""The catalog as database tables (SQLAlchemy 2). PostgreSQL runs the same Alembic migrations as SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every StyleLens table."""

    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, dict[str, int]: JSON}


class Product(Base):
    """A product of Fashion-Insta's catalog, as shoppers see it."""

    __tablename__ = "products"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    title_en: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str] = mapped_column(String(300))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(40), index=True)
    colors: Mapped[list[str]] = mapped_column(JSON, default=list)
    pattern: Mapped[str] = mapped_column(String(20), default="solid")
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    sizes: Mapped[list[str]] = mapped_column(JSON, default=list)
    stock: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    image_key: Mapped[str] = mapped_column(String(300))
    mask_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    product_url: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    embedding: Mapped[ProductEmbedding | None] = relationship(
        back_populates="product", cascade="all, delete-orphan", uselist=False
    )

    @property
    def in_stock(self) -> bool:
        return any(quantity > 0 for quantity in self.stock.values())


class ProductEmbedding(Base):
    """The visual embedding of a product's main image, kept so the index can be rebuilt without the models."""

    __tablename__ = "product_embeddings"

    product_pk: Mapped[int] = mapped_column(ForeignKey("products.pk", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(80))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)

    product: Mapped[Product] = relationship(back_populates="embedding")
