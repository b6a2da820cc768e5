"""A shopper's taste, learnt from what they did: several looks they like, colours, kinds, price band, brands.

The profile is built from any iterable of events (product, kind, time), so it works the same on the shop's
logged events and on simulated shoppers. Recent events weigh more (half-life in settings). What the shopper
said themselves (their size, a price ceiling, colours or kinds to show or to hide) overrides what was learnt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import numpy as np

from stylelens.recommend.catalog_view import CatalogView, Matrix

# How much each kind of event says about taste; a dislike pushes away, a search says nothing about an item.
EVENT_WEIGHTS: Final[dict[str, float]] = {
    "view": 0.5, "like": 1.5, "save": 1.5, "add_to_cart": 2.0, "purchase": 3.0, "dislike": -1.5, "search": 0.0,
}  # fmt: skip
EVENT_KINDS: Final[frozenset[str]] = frozenset(EVENT_WEIGHTS)


@dataclass(frozen=True)
class ShopperEvent:
    """One thing a shopper did with one catalog item."""

    product_pk: int
    kind: str
    at: datetime


@dataclass(frozen=True)
class TasteEdits:
    """What the shopper told us directly; it wins over what was learnt."""

    sizes: tuple[str, ...] = ()
    max_price: float | None = None
    colors: tuple[str, ...] = ()  # add to the liked colours
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    hidden_colors: tuple[str, ...] = ()  # never count these as liked
    hidden_categories: tuple[str, ...] = ()
    hidden_brands: tuple[str, ...] = ()


@dataclass(frozen=True)
class TasteProfile:
    """A shopper's taste: looks (unit vectors with weights) and attribute preferences that sum to 1 each."""

    centres: Matrix
    centre_weights: tuple[float, ...]
    colors: dict[str, float] = field(default_factory=dict)
    categories: dict[str, float] = field(default_factory=dict)
    brands: dict[str, float] = field(default_factory=dict)
    price_band: tuple[float, float] | None = None
    sizes: tuple[str, ...] = ()
    disliked: frozenset[int] = frozenset()
    seen: frozenset[int] = frozenset()
    events: int = 0

    @property
    def is_empty(self) -> bool:
        return not len(self.centres) and not self.colors and not self.categories and not self.sizes

    def top(self, prefs: dict[str, float], n: int = 3, floor: float = 0.12) -> list[str]:
        return [k for k, v in sorted(prefs.items(), key=lambda kv: -kv[1])[:n] if v >= floor]


def build_taste(
    events: Iterable[ShopperEvent],
    view: CatalogView,
    *,
    now: datetime | None = None,
    half_life_days: float = 30.0,
    centres: int = 3,
    edits: TasteEdits | None = None,
) -> TasteProfile:
    """The taste profile from events (items not in the catalog any more are skipped), then the shopper's edits."""
    now = now or datetime.now(UTC)
    weights: dict[int, float] = defaultdict(float)
    seen: set[int] = set()
    count = 0
    for event in events:
        if event.product_pk not in view.row:
            continue
        count += 1
        seen.add(event.product_pk)
        age_days = max((now - _aware(event.at)).total_seconds(), 0.0) / 86400
        weights[event.product_pk] += EVENT_WEIGHTS.get(event.kind, 0.0) * 0.5 ** (age_days / half_life_days)
    liked = {pk: w for pk, w in weights.items() if w > 0}
    disliked = frozenset(pk for pk, w in weights.items() if w < 0)
    profile = _learnt(view, liked, disliked, frozenset(seen), centres, count)
    return apply_edits(profile, edits) if edits else profile


def apply_edits(profile: TasteProfile, edits: TasteEdits) -> TasteProfile:
    """The profile with the shopper's own words applied: additions get a strong share, hidden ones go."""
    colors = _edited(profile.colors, edits.colors, edits.hidden_colors)
    categories = _edited(profile.categories, edits.categories, edits.hidden_categories)
    brands = _edited(profile.brands, edits.brands, edits.hidden_brands)
    band = profile.price_band
    if edits.max_price is not None:
        band = (min(band[0], edits.max_price) if band else 0.0, edits.max_price)
    sizes = edits.sizes or profile.sizes
    return TasteProfile(
        profile.centres, profile.centre_weights, colors, categories, brands, band, sizes,
        profile.disliked, profile.seen, profile.events,
    )  # fmt: skip


def describe(profile: TasteProfile, currency: str = "EUR") -> str:
    """The profile in the shopper's words, e.g. "you like: navy, black; shirts, dresses; under 60 EUR; size M"."""
    parts = [", ".join(p) for p in (profile.top(profile.colors), profile.top(profile.categories)) if p]
    if brands := profile.top(profile.brands, 2, 0.3):
        parts.append("from " + " and ".join(brands))
    if profile.price_band:
        parts.append(f"under {round(profile.price_band[1])} {currency}")
    if profile.sizes:
        parts.append("size " + "/".join(profile.sizes))
    if not parts:
        return "we don't know your taste yet: like or save a few items"
    return "you like: " + "; ".join(parts)


def _learnt(
    view: CatalogView, liked: dict[int, float], disliked: frozenset[int], seen: frozenset[int], k: int, n: int
) -> TasteProfile:
    if not liked:
        return TasteProfile(
            np.zeros((0, view.vectors.shape[1]), np.float32), (), disliked=disliked, seen=seen, events=n
        )
    pks = list(liked)
    w = np.array([liked[pk] for pk in pks])
    vectors = view.vectors[view.rows(pks)]
    centres, centre_weights = weighted_kmeans(vectors, w, k)
    facts = [view.facts[view.row[pk]] for pk in pks]
    colors: dict[str, float] = defaultdict(float)
    categories: dict[str, float] = defaultdict(float)
    brands: dict[str, float] = defaultdict(float)
    for f, weight in zip(facts, w, strict=True):
        for c in f.colors[:1]:  # the main colour is what the shopper saw
            colors[c] += float(weight)
        categories[f.category] += float(weight)
        if f.brand:
            brands[f.brand] += float(weight)
    prices = np.array([f.price for f in facts])
    band = (_quantile(prices, w, 0.1), _quantile(prices, w, 0.9) * 1.1)
    return TasteProfile(
        centres, centre_weights, _normalised(colors), _normalised(categories), _normalised(brands), band,
        (), disliked, seen, n,
    )  # fmt: skip


def weighted_kmeans(
    vectors: Matrix, weights: np.ndarray, k: int, iterations: int = 12
) -> tuple[Matrix, tuple[float, ...]]:
    """A few looks (unit centres) and the share of the taste each holds; deterministic (farthest-point start)."""
    k = min(k, len(vectors))
    chosen = [int(np.argmax(weights))]
    for _ in range(1, k):
        sims = vectors @ vectors[chosen].T
        chosen.append(int(np.argmin(sims.max(axis=1))))
    centres = vectors[chosen].copy()
    for _ in range(iterations):
        assign = np.argmax(vectors @ centres.T, axis=1)
        for j in range(k):
            members = assign == j
            if members.any():
                centres[j] = (weights[members, None] * vectors[members]).sum(axis=0)
        centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    assign = np.argmax(vectors @ centres.T, axis=1)
    shares = np.array([weights[assign == j].sum() for j in range(k)])
    keep = shares > 0
    shares = shares[keep] / shares[keep].sum()
    return centres[keep].astype(np.float32), tuple(float(s) for s in shares)


def _edited(prefs: dict[str, float], add: tuple[str, ...], hide: tuple[str, ...]) -> dict[str, float]:
    out = {k: v for k, v in prefs.items() if k not in hide}
    for name in add:
        out[name] = max(out.get(name, 0.0), 0.5)
    return _normalised(out)


def _normalised(prefs: dict[str, float]) -> dict[str, float]:
    total = sum(v for v in prefs.values() if v > 0)
    return {k: v / total for k, v in prefs.items() if v > 0} if total else {}


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(int(np.searchsorted(cumulative, q)), len(values) - 1)])


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
