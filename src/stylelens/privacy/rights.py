"""The registry of data areas: each part of the product that keeps a shopper's data registers one area, which
knows how to export that data (access, portability) and erase it (erasure). Export and erasure walk the registry.

Register an area where its data lives, for instance in `events/` or `recommend/`:

    from stylelens.privacy.rights import DataArea, register_area
    register_area(MyEventsArea())          # name "events": replaces a built-in fallback of the same name

An area's `export` returns JSON-ready data (listed under its name in the export) and may add files (photos);
its `erase` must be idempotent: erasure retries an area that failed until it succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from stylelens.services import Services


@dataclass
class ShopperExport:
    """What an area hands over for the export: JSON data and files (path inside the ZIP -> bytes)."""

    data: Any
    files: dict[str, bytes] = field(default_factory=dict)


class DataArea(Protocol):
    """One place where a shopper's data lives."""

    name: str
    description: str  # what is kept, in words a shopper understands (shown in the export)

    def export(self, services: Services, shopper_id: str) -> ShopperExport: ...
    def erase(self, services: Services, shopper_id: str) -> int: ...


_AREAS: dict[str, DataArea] = {}


def register_area(area: DataArea, *, fallback: bool = False) -> None:
    """Add (or replace, by name) a data area; a fallback never replaces an area already registered."""
    if not (fallback and area.name in _AREAS):
        _AREAS[area.name] = area


def unregister_area(name: str) -> None:
    _AREAS.pop(name, None)


def registered_areas() -> list[DataArea]:
    """The areas in erasure order: the profile (and so the sign-in) goes last, after everything it owns."""
    from stylelens.privacy import areas  # noqa: F401  (registers the built-in areas on first use)

    return sorted(_AREAS.values(), key=lambda a: (a.name == "profile", a.name))
