"""StyleLens privacy."""
