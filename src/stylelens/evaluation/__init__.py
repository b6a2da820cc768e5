"""Measuring StyleLens: metrics as free functions, shopper-style photo sets and the `stylelens eval` reports."""
