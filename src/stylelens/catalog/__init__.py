"""StyleLens catalog."""
