"""StyleLens storage."""
