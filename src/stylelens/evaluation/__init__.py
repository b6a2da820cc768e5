"""Measuring StyleLens: metrics as free functions, shopper-style photo sets and the `stylelens eval` reports."""

from __future__ import annotations

import os
import platform


def machine_description() -> str:
    """The machine an evaluation ran on, as every `stylelens eval` report records it."""
    cores = os.cpu_count()
    return f"{platform.machine()}, {cores} CPU cores, {platform.platform()}, Python {platform.python_version()}"
