"""An image folder as a dataset: root/<label>/<picture>, or root/<split>/<label>/<picture> when the top folders
are split names (train, val or validation, test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stylelens.data.manifest import SourceInfo
from stylelens.data.sources.base import (
    SPLIT_NAMES,
    Candidate,
    ItemIds,
    Skipped,
    image_files,
    local_licence,
    split_for,
)


@dataclass
class ImageFolderSource:
    """Labelled pictures laid out in folders; a picture's folder name is its label."""

    root: Path
    seed: int = 0
    licence: str | None = None
    task: str = "classification"
    info: SourceInfo = field(init=False)
    labels: list[str] | None = field(init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root} is not a folder")
        self.info = SourceInfo(
            name=self.root.name, kind="imagefolder", licence=local_licence(self.licence),
            provenance=f"image folder {self.root.resolve()}",
        )  # fmt: skip
        self._files = list(self._walk())
        self.labels = sorted({label for label, _, _ in self._files})

    def _walk(self) -> Iterator[tuple[str, str | None, Path]]:
        """(label, split or None, path) of every picture, in a stable order."""
        folders = sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        split_layout = bool(folders) and all(p.name.lower() in SPLIT_NAMES for p in folders)
        for top in folders:
            if split_layout:
                for label_dir in sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith(".")):
                    for path in image_files(label_dir):
                        yield label_dir.name, SPLIT_NAMES[top.name.lower()], path
            else:
                for path in image_files(top):
                    yield top.name, None, path

    def total(self) -> int:
        return len(self._files)

    def candidates(self) -> Iterator[Candidate | Skipped]:
        make_id = ItemIds()
        for label, split, path in self._files:
            relative = path.relative_to(self.root).as_posix()
            yield Candidate(
                image=path,
                origin=relative,
                label=label,
                split=split or split_for(relative, self.seed),
                id=make_id(path.relative_to(self.root).with_suffix("").as_posix()),
                attributes={"origin": relative},
            )
