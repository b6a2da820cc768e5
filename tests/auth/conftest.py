"""Fixtures of the sign-in tests."""

from shopper_app import shop  # noqa: F401
