"""StyleLens: photograph a garment, find similar items in Fashion-Insta's catalog."""

__version__ = "0.1.0"
