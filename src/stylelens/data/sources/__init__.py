"""The inputs a dataset can be prepared from, one module each, and `open_source` to pick one by kind."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from stylelens.data.sources.base import Candidate, Skipped, Source

KINDS: Final[tuple[str, ...]] = ("fashion-mnist", "demo", "imagefolder", "csv", "coco")

__all__ = ["KINDS", "Candidate", "Skipped", "Source", "guess_kind", "open_source"]


def guess_kind(path: Path | None) -> str:
    """The kind of a source from its path: a folder is an image folder, .csv a CSV list, .json COCO."""
    if path is None:
        raise ValueError("give a source path or --kind")
    if path.is_dir():
        return "imagefolder"
    if path.suffix.lower() in (".csv", ".tsv"):
        return "csv"
    if path.suffix.lower() == ".json":
        return "coco"
    raise ValueError(f"cannot tell what kind of source {path} is: pass --kind")


def open_source(
    kind: str,
    path: Path | None,
    *,
    seed: int = 0,
    limit: int | None = None,
    licence: str | None = None,
    images_dir: Path | None = None,
    coco_mode: str = "instance",
    max_bytes: int = 15 * 1024 * 1024,
    max_pixels: int = 40_000_000,
) -> Source:
    """The source of `kind` reading `path` (a folder, a CSV file, a COCO JSON; ignored for the demo catalog)."""
    if kind == "fashion-mnist":
        from stylelens.data.sources.fashion_mnist import FashionMnistSource

        return FashionMnistSource(root=path, seed=seed, limit=limit)
    if kind == "demo":
        from stylelens.data.sources.demo import DemoCatalogSource

        return DemoCatalogSource(seed=seed, count=2400 if limit is None else limit)
    if path is None or not path.exists():
        raise ValueError(f"the {kind} source needs an existing path, not {path}")
    if kind == "imagefolder":
        from stylelens.data.sources.imagefolder import ImageFolderSource

        return ImageFolderSource(path, seed=seed, licence=licence)
    if kind == "csv":
        from stylelens.data.sources.table import CsvSource

        return CsvSource(path, seed=seed, licence=licence, max_bytes=max_bytes, max_pixels=max_pixels)
    if kind == "coco":
        from stylelens.data.sources.coco import CocoSource

        folder = images_dir or (path.parent / "images" if (path.parent / "images").is_dir() else path.parent)
        return CocoSource(
            path, folder, mode=coco_mode, seed=seed, licence=licence,  # type: ignore[arg-type]
            max_bytes=max_bytes, max_pixels=max_pixels,
        )  # fmt: skip
    raise ValueError(f"unknown source kind {kind!r}: one of {', '.join(KINDS)}")
