"""The re-ranker: candidates in, an ordered, varied, explained list out.

relevance = visual similarity + text match + attribute match + taste affinity + size availability + boosts
(weights in settings), then a relevance cut-off, then MMR picks the list so it is not ten times the same item,
and near-duplicates collapse into one. Items in stock in the shopper's size always come before the others
(in stock at all when no size is known): the list is picked from them first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from stylelens.config import RecommendSettings
from stylelens.recommend.catalog_view import CatalogView, ItemFacts
from stylelens.recommend.taste import TasteProfile

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RankRequest:
    """One ranking: the candidates with their visual (and text) scores, and who is asking."""

    candidates: dict[int, float]  # product pk -> visual similarity to the query (0 when not a visual candidate)
    text_scores: dict[int, float] = field(default_factory=dict)
    harmony: dict[int, float] = field(default_factory=dict)  # complete the look: how well colours go together
    query_colors: tuple[str, ...] = ()
    query_category: str | None = None
    taste: TasteProfile | None = None
    sizes: tuple[str, ...] = ()  # the shopper's sizes, e.g. ("M", "39")
    limit: int = 20
    exclude: frozenset[int] = frozenset()
    visual_query: bool = True  # a photo or a product: the relevance cut-off applies to visual similarity


@dataclass(frozen=True)
class Ranked:
    pk: int
    score: float
    visual: float
    reasons: list[str]


@dataclass(frozen=True)
class TasteSignals:
    """Per candidate: how close to the shopper's looks, colours, kinds, price band; and the sum."""

    looks: Floats
    colors: Floats
    categories: Floats
    price: Floats
    brands: Floats
    total: Floats


def taste_signals(view: CatalogView, rows: list[int], taste: TasteProfile) -> TasteSignals:
    """How well each row fits the taste, each part 0..1 (1 = the shopper's favourite)."""
    n = len(rows)
    zeros = np.zeros(n, dtype=np.float32)
    looks = (view.vectors[rows] @ taste.centres.T).max(axis=1) if len(taste.centres) else zeros
    cw = view.color_weights(taste.colors)
    colors = view.color_matrix[rows] @ (cw / cw.max()) if cw.any() else zeros
    kw = view.category_weights(taste.categories)
    categories = (kw / kw.max())[view.category_ids[rows]] if kw.any() else zeros
    price = zeros
    if taste.price_band:
        lo, hi = taste.price_band
        p = view.prices[rows]
        over = np.maximum(p - hi, 0) + np.maximum(lo * 0.7 - p, 0)
        price = np.exp(-over / max(hi, 1.0) * 3).astype(np.float32)
    brands = zeros
    if taste.brands:
        top = max(taste.brands.values())
        brands = np.array([taste.brands.get(view.facts[r].brand, 0.0) / top for r in rows], dtype=np.float32)
    total = 1.5 * looks + colors + categories + 0.4 * price + 0.2 * brands
    return TasteSignals(looks, colors, categories, price, brands, total.astype(np.float32))


class Reranker:
    """Orders candidates by the settings' weights; every result says why it is there."""

    def __init__(self, settings: RecommendSettings) -> None:
        self.s = settings

    def rank(self, view: CatalogView, request: RankRequest) -> list[Ranked]:
        pool = dict.fromkeys([*request.candidates, *request.text_scores, *request.harmony])
        pks = [pk for pk in pool if pk not in request.exclude]
        if request.taste is not None:
            pks = [pk for pk in pks if pk not in request.taste.disliked]
        rows = view.rows(pks)
        pks = [view.facts[r].pk for r in rows]
        if not rows:
            return []
        visual = np.array([request.candidates.get(pk, 0.0) for pk in pks], dtype=np.float32)
        text = np.array([request.text_scores.get(pk, 0.0) for pk in pks], dtype=np.float32)
        keep = self._relevant(view, rows, visual, text, request)
        rows, pks = [r for r, k in zip(rows, keep, strict=True) if k], [p for p, k in zip(pks, keep, strict=True) if k]
        visual, text = visual[keep], text[keep]
        if not rows:
            return []
        taste = taste_signals(view, rows, request.taste) if request.taste else None
        attrs = self._attribute_match(view, rows, request)
        available = np.array([view.facts[r].available_for(request.sizes) for r in rows], dtype=np.float32)
        boosts = np.array([self._boost(view.facts[r]) for r in rows], dtype=np.float32)
        harmony = np.array([request.harmony.get(pk, 0.0) for pk in pks], dtype=np.float32)
        relevance = (
            self.s.visual_weight * visual
            + self.s.text_weight * text
            + self.s.attribute_weight * attrs
            + self.s.size_weight * available
            + boosts
            + harmony
        )
        if taste is not None:
            relevance = relevance + self.s.taste_weight * taste.total
        order = self._pick(view.vectors[rows], relevance, available, request.limit)
        return [
            Ranked(pks[i], float(relevance[i]), float(visual[i]), self._reasons(view.facts[rows[i]], i, visual, text,
                   attrs, taste, available, boosts, harmony, request))
            for i in order
        ]  # fmt: skip

    def _relevant(
        self, view: CatalogView, rows: list[int], visual: Floats, text: Floats, request: RankRequest
    ) -> npt.NDArray[np.bool_]:
        keep = np.ones(len(rows), dtype=bool)
        if request.visual_query and request.candidates:
            keep &= (visual >= self.s.min_visual_similarity) | (text >= 0.5)
        if self.s.out_of_stock == "hide":
            keep &= np.array([view.facts[r].in_stock for r in rows])
        return keep

    def _attribute_match(self, view: CatalogView, rows: list[int], request: RankRequest) -> Floats:
        out = np.zeros(len(rows), dtype=np.float32)
        if request.query_colors:
            out += 0.5 * (view.color_matrix[rows] @ view.color_weights({c: 1.0 for c in request.query_colors[:2]}))
        if request.query_category and request.query_category in view.category_index:
            out += 0.5 * (view.category_ids[rows] == view.category_index[request.query_category])
        return out

    def _boost(self, item: ItemFacts) -> float:
        return self.s.brand_boosts.get(item.brand, 0.0) + self.s.category_boosts.get(item.category, 0.0)

    def _pick(self, vectors: Floats, relevance: Floats, available: Floats, limit: int) -> list[int]:
        """MMR over the available items first, then the others; near-duplicates of a picked item are dropped."""
        span = float(relevance.max() - relevance.min()) or 1.0
        rel = (relevance - relevance.min()) / span
        lam = self.s.diversity
        picked: list[int] = []
        closest = np.zeros(len(rel), dtype=np.float32)  # each candidate's similarity to the closest picked item
        for tier in (available > 0, available <= 0):
            open_ = tier.copy()
            while len(picked) < limit and open_.any():
                mmr = np.where(open_, (1 - lam) * rel - lam * closest, -np.inf)
                i = int(np.argmax(mmr))
                picked.append(i)
                closest = np.maximum(closest, vectors @ vectors[i])
                open_[i] = False
                open_ &= closest < self.s.duplicate_similarity
        return picked

    def _reasons(
        self,
        item: ItemFacts,
        i: int,
        visual: Floats,
        text: Floats,
        attrs: Floats,
        taste: TasteSignals | None,
        available: Floats,
        boosts: Floats,
        harmony: Floats,
        request: RankRequest,
    ) -> list[str]:
        reasons = ["Colours that go well together"] if harmony[i] >= 0.7 else []
        if visual[i] > 0:
            reasons.append(
                f"Looks {closeness(float(visual[i]))} what you showed ({round(float(visual[i]) * 100)}% visual match)"
            )
        if text[i] > 0.3:
            reasons.append(f"Matches your words ({round(float(text[i]) * 100)}% text match)")
        shared = [c for c in item.colors if c in request.query_colors]
        if attrs[i] > 0 and shared:
            reasons.append(f"Same colour: {', '.join(shared[:2])}")
        if request.query_category and item.category == request.query_category:
            reasons.append(f"Same kind of garment: {item.category}")
        if taste is not None and request.taste is not None:
            reasons += _taste_reasons(item, i, taste, request.taste)
        mine = [s for s in request.sizes if s in item.stock]
        if mine:
            size = "/".join(mine)
            reasons.append(f"In stock in your size {size}" if available[i] else f"Not in stock in your size {size}")
        elif not available[i]:
            reasons.append("Out of stock")
        if boosts[i] > 0:
            reasons.append("Featured by the shop")
        return reasons  # fmt: skip


def _taste_reasons(item: ItemFacts, i: int, taste: TasteSignals, profile: TasteProfile) -> list[str]:
    out = []
    if taste.looks[i] >= 0.8:
        out.append("Looks like items you liked")
    if taste.colors[i] >= 0.5 and item.colors and item.colors[0] in profile.colors:
        out.append(f"In a colour you like: {item.colors[0]}")
    if taste.categories[i] >= 0.5:
        out.append(f"A kind of garment you like: {item.category}")
    if profile.price_band and taste.price[i] >= 0.99:
        out.append("In your price range")
    return out


def closeness(score: float) -> str:
    """How a visual match reads to a shopper: "very much like", "like" or "a little like" (cosine score)."""
    if score >= 0.8:
        return "very much like"
    if score >= 0.6:
        return "like"
    return "a little like"
