"""StyleLens training."""
