"""Fixtures of the privacy tests: a real app in a temporary folder."""

from shopper_app import shop  # noqa: F401
