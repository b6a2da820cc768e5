"""StyleLens index."""
