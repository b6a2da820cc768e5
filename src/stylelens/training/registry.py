"""The model registry: every trained model kept as a numbered version with its model card; one is active.

Layout (a plain folder, so it can be copied, synced to blob storage or baked into an image):

    <root>/<kind>/v1/model.onnx   the exported model
                     card.md      the model card: intended use, data, metrics, limits, the command that rebuilt it
                     meta.json    version, created, metrics, onnx sha256, parent (the version active when it came)
    <root>/<kind>/active.json     {"version": "v2", "history": ["v1", "v2"]}, replaced atomically

Serving reads the active version (`active_model`) and never imports torch; `rollback` re-activates the version
that was active before the current one. This module is torch-free on purpose.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from stylelens.config import Settings
from stylelens.errors import InvalidInput, NotFound

KINDS: Final[tuple[str, ...]] = ("classifier", "segmenter", "embedder")
CARD_REQUIRED: Final[tuple[str, ...]] = ("intended_use", "data", "limits", "command")
_VERSION = re.compile(r"^v(\d+)$")
_ACTIVE = "active.json"


class UnknownModelVersion(NotFound):
    """The registry holds no such version of that kind of model."""

    title = "Unknown model version"


@dataclass(frozen=True)
class ModelVersion:
    """One registered model: its folder and what meta.json says about it."""

    kind: str
    version: str
    path: Path
    meta: dict[str, Any]

    @property
    def onnx_path(self) -> Path:
        return self.path / "model.onnx"

    @property
    def card_path(self) -> Path:
        return self.path / "card.md"

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.meta.get("metrics", {}))

    @property
    def number(self) -> int:
        return _number(self.version)


class ModelRegistry:
    """Versioned models of each kind under one folder, with an active pointer and its history."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def register(
        self,
        kind: str,
        onnx_path: Path,
        card: Mapping[str, Any],
        metrics: Mapping[str, float],
        files: Sequence[Path] = (),
        activate: bool = False,
    ) -> str:
        """Copy a model and its files in as the next version ("v1", "v2", ...); returns that version.

        `card` must say `intended_use`, `data`, `limits` and the `command` that reproduces the model; any other
        keys become sections of the card too. The new version is not served until activated.
        """
        _check_kind(kind)
        missing = [key for key in CARD_REQUIRED if not card.get(key)]
        if missing:
            raise InvalidInput(f"the model card must say {', '.join(missing)}")
        if not Path(onnx_path).is_file():
            raise InvalidInput(f"no model file at {onnx_path}")
        folder = self.root / kind
        folder.mkdir(parents=True, exist_ok=True)
        current = self.active(kind)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".incoming-") as scratch:
            staging = Path(scratch) / "model"
            staging.mkdir()
            shutil.copyfile(onnx_path, staging / "model.onnx")
            for extra in files:
                shutil.copyfile(extra, staging / Path(extra).name)
            meta = {
                "kind": kind,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "metrics": {k: float(v) for k, v in metrics.items()},
                "onnx_sha256": sha256_file(staging / "model.onnx"),
                "parent": current.version if current else None,
                "files": sorted(p.name for p in staging.iterdir()),
                "card": dict(card),
            }
            version = self._claim(folder, staging, meta)
        if activate:
            self.activate(kind, version)
        return version

    def _claim(self, folder: Path, staging: Path, meta: dict[str, Any]) -> str:
        """Move the staged folder in under the next free version number (safe against a parallel register)."""
        while True:
            version = f"v{self._next_number(meta['kind'])}"
            meta["version"] = version
            (staging / "meta.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
            (staging / "card.md").write_text(render_card(meta))
            try:
                os.rename(staging, folder / version)  # fails if another process took the number first
                return version
            except OSError:
                if not (folder / version).exists():
                    raise

    def _next_number(self, kind: str) -> int:
        return max((v.number for v in self.versions(kind)), default=0) + 1

    def versions(self, kind: str) -> list[ModelVersion]:
        """Every registered version of a kind, oldest first."""
        _check_kind(kind)
        folder = self.root / kind
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if _VERSION.match(p.name) and (p / "meta.json").is_file()]
        return [self._load(kind, p) for p in sorted(found, key=lambda p: _number(p.name))]

    def get(self, kind: str, version: str) -> ModelVersion:
        """One version, or UnknownModelVersion naming the versions there are."""
        _check_kind(kind)
        path = self.root / kind / version
        if not _VERSION.match(version) or not (path / "meta.json").is_file():
            known = ", ".join(v.version for v in self.versions(kind)) or "none"
            raise UnknownModelVersion(f"no {kind} version {version!r} in {self.root} (registered: {known})")
        return self._load(kind, path)

    def activate(self, kind: str, version: str) -> ModelVersion:
        """Make `version` the one serving loads; the previous active one is remembered for rollback."""
        chosen = self.get(kind, version)
        history = self._pointer(kind).get("history", [])
        if not history or history[-1] != version:
            history = [*history, version]
        self._write_pointer(kind, {"version": version, "history": history})
        return chosen

    def rollback(self, kind: str) -> ModelVersion:
        """Re-activate the version that was active before the current one, and return it."""
        history = list(self._pointer(kind).get("history", []))
        if len(history) < 2:
            raise NotFound(f"no earlier active {kind} version to roll back to")
        history.pop()
        previous = self.get(kind, history[-1])
        self._write_pointer(kind, {"version": previous.version, "history": history})
        return previous

    def active(self, kind: str) -> ModelVersion | None:
        """The version serving should load, or None when none has been activated."""
        version = self._pointer(kind).get("version")
        return self.get(kind, version) if version else None

    def _pointer(self, kind: str) -> dict[str, Any]:
        _check_kind(kind)
        try:
            data = json.loads((self.root / kind / _ACTIVE).read_text())
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write_pointer(self, kind: str, data: dict[str, Any]) -> None:
        folder = self.root / kind
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{_ACTIVE}.")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, indent=2)
            os.replace(tmp, folder / _ACTIVE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _load(kind: str, path: Path) -> ModelVersion:
        return ModelVersion(kind=kind, version=path.name, path=path, meta=json.loads((path / "meta.json").read_text()))


def active_model(settings: Settings, kind: str) -> Path | None:
    """The ONNX file of the active `kind` model for serving, or None when no version is active."""
    active = ModelRegistry(settings.registry_dir).active(kind)
    return active.onnx_path if active else None


_SECTIONS: Final[tuple[tuple[str, str], ...]] = (
    ("intended_use", "Intended use"),
    ("data", "Data"),
    ("metrics", "Metrics"),
    ("limits", "Limits"),
    ("training", "Training"),
    ("command", "Reproduce"),
)


def render_card(meta: Mapping[str, Any]) -> str:
    """The model card (Markdown) of a registered version, from its meta.json."""
    card: dict[str, Any] = dict(meta.get("card", {}))
    title = card.pop("title", f"StyleLens {meta['kind']}")
    lines = [f"# {title} — {meta['version']}", ""]
    lines += [
        f"Registered {meta['created']}; ONNX sha256 `{meta['onnx_sha256']}`; parent: {meta.get('parent') or 'none'}.",
        "",
    ]
    card["metrics"] = {**dict(card.get("metrics") or {}), **meta.get("metrics", {})}
    known = [key for key, _ in _SECTIONS]
    sections = [*_SECTIONS, *((k, k.replace("_", " ").capitalize()) for k in card if k not in known)]
    for key, heading in sections:
        if key not in card or card[key] in (None, "", {}, []):
            continue
        lines += [f"## {heading}", "", _render_value(key, card[key]), ""]
    return "\n".join(lines)


def _render_value(key: str, value: Any) -> str:
    if key == "command":
        return f"```sh\n{value}\n```"
    if isinstance(value, Mapping):
        rows = [f"| {k} | {_format(v)} |" for k, v in value.items()]
        return "\n".join(["| | |", "|---|---|", *rows])
    if isinstance(value, list | tuple):
        return "\n".join(f"- {item}" for item in value)
    return str(value)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"
    return str(value)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _number(version: str) -> int:
    match = _VERSION.match(version)
    if not match:
        raise UnknownModelVersion(f"{version!r} is not a version name (v1, v2, ...)")
    return int(match.group(1))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
