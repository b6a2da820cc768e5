"""What the HTTP API answers, as pydantic models (published in /openapi.json)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CategoryOut(BaseModel):
    label: str = Field(examples=["shirt"])
    score: float = Field(ge=0, le=1, description="Confidence in the label, 0..1")


class ColorOut(BaseModel):
    name: str = Field(examples=["navy"])
    hex: str = Field(examples=["#1f2a44"])
    share: float = Field(ge=0, le=1, description="Share of the garment's pixels")


class RegionOut(BaseModel):
    """A box in pixels of the uploaded image, after EXIF orientation."""

    x: int
    y: int
    w: int
    h: int


class GarmentOut(BaseModel):
    category: CategoryOut
    colors: list[ColorOut]
    region: RegionOut
    kind: str = Field(default="garment", description="Where it was found: garment, upper, lower, full, feet, bag")
    categories: list[CategoryOut] = Field(default_factory=list, description="The shop's taxonomy, best first")
    pattern: CategoryOut | None = Field(default=None, description="solid, striped, checked, dotted, floral, graphic")


class SearchResultOut(BaseModel):
    product_id: str
    score: float = Field(description="Visual similarity, higher is closer")
    title: str
    price: float
    currency: str
    image_url: str
    product_url: str
    reasons: list[str] = Field(description="Why this item is shown, in the shopper's words")


class SearchOut(BaseModel):
    garments: list[GarmentOut]
    results: list[SearchResultOut]
    photo_id: str | None = Field(
        default=None,
        description="Names this photo for a new search of it without sending it again (the `photo_id` form "
        "field), while the service remembers what it read of it; null when it does not",
    )


class ProductBase(BaseModel):
    product_id: str
    title: str
    category: str
    price: float
    currency: str
    image_url: str
    product_url: str
    in_stock: bool


class ProductPublic(ProductBase):
    title_en: str
    title_fr: str
    description: str
    brand: str
    colors: list[str]
    pattern: str
    sizes: list[str]
    stock: dict[str, int]


class ProductsPublic(BaseModel):
    data: list[ProductPublic]
    count: int


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    models_loaded: bool
    database: bool
    catalog_items: int
