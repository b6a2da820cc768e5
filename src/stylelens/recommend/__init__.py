"""Turning a shopper's photo into ranked catalog items, each with the reasons it was chosen."""
