"""Recommendations for a shopper: the "for you" feed, similar items, complete the look, "like this but...".

Each answer is candidates (vector index, text match, or the rules of a look) re-ranked by `Reranker` with the
shopper's taste when — and only when — `personalisation_allowed` says so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np

from stylelens.config import RecommendSettings
from stylelens.errors import InvalidInput, NotFound
from stylelens.index.base import IndexFilter, VectorIndex
from stylelens.recommend.candidates import index_searcher, taste_candidates
from stylelens.recommend.catalog_view import CatalogView, ItemFacts
from stylelens.recommend.consent import PersonalisationConsent, personalisation_allowed
from stylelens.recommend.experiments import assign_arm
from stylelens.recommend.look import colour_harmony, complementary_categories
from stylelens.recommend.ranking import Ranked, RankRequest, Reranker
from stylelens.recommend.taste import TasteProfile, build_taste
from stylelens.recommend.taste_store import CoLikes, EventSource, TasteStore
from stylelens.recommend.text_match import TextMatcher

# "Like this but...": what the shopper can ask to change about an item.
REFINEMENTS: Final[tuple[str, ...]] = ("another_colour", "cheaper", "another_category", "longer", "shorter")
# How long a garment is, within its family (upper body, footwear): for "longer" / "shorter".
LENGTH: Final[dict[str, tuple[str, int]]] = {
    "t-shirt": ("upper", 1), "shirt": ("upper", 2), "sweater": ("upper", 2), "dress": ("upper", 3),
    "coat": ("upper", 4), "sandals": ("feet", 1), "sneakers": ("feet", 2), "boots": ("feet", 3),
}  # fmt: skip
VIEW_TTL_S: Final[float] = 60.0


@dataclass(frozen=True)
class ShopperContext:
    """Who asks (None: anonymous) and the sizes they gave with the request."""

    shopper_id: str | None = None
    sizes: tuple[str, ...] = ()


class Recommender:
    """Builds candidates for each kind of recommendation and hands them to the re-ranker."""

    def __init__(
        self,
        settings: RecommendSettings,
        load_view: Callable[[], CatalogView],
        index: VectorIndex,
        *,
        consent: PersonalisationConsent | None,
        events: EventSource,
        tastes: TasteStore,
        text: TextMatcher | None = None,
        co_likes: CoLikes | None = None,
    ) -> None:
        self.settings = settings
        self._load_view = load_view
        self.index = index
        self.consent = consent
        self.events = events
        self.tastes = tastes
        self.text = text
        self.co_likes = co_likes
        self.reranker = Reranker(settings)
        self._view: CatalogView | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def view(self) -> CatalogView:
        """The in-memory catalog, reloaded when the index changed size or after a minute."""
        with self._lock:
            stale = self._view is None or len(self._view) != len(self.index)
            if stale or time.monotonic() - self._loaded_at > VIEW_TTL_S:
                self._view = self._load_view()
                self._loaded_at = time.monotonic()
            assert self._view is not None
            return self._view

    def taste_for(self, shopper: ShopperContext) -> TasteProfile | None:
        """The shopper's taste, or None when ranking must not be personalised (the consent check is here)."""
        if not personalisation_allowed(shopper.shopper_id, self.consent, self.settings.personalisation):
            return None
        assert shopper.shopper_id is not None
        if self.arm(shopper.shopper_id) == "control":  # A/B: this shopper's arm keeps the shared ranking
            return None
        edits, reset_at = self.tastes.load(shopper.shopper_id)
        events = self.events.events_for(shopper.shopper_id, reset_at)
        s = self.settings
        return build_taste(
            events, self.view(), half_life_days=s.taste_half_life_days, centres=s.taste_centres, edits=edits
        )

    def arm(self, shopper_id: str) -> str:
        return assign_arm(shopper_id, self.settings.experiment, self.settings.treatment_share)

    def rank(self, request: RankRequest) -> list[Ranked]:
        return self.reranker.rank(self.view(), request)

    def for_you(self, shopper: ShopperContext, limit: int) -> list[Ranked]:
        """A feed without a photo: near the shopper's looks and fitting their taste; varied stock for others."""
        view, taste = self.view(), self.taste_for(shopper)
        sizes = _sizes(shopper, taste)
        if taste is None or taste.is_empty:
            step = max(1, len(view) // (self.settings.candidates * 5))  # spread over the whole catalog
            candidates = dict.fromkeys((f.pk for f in view.facts[::step]), 0.0)
            return self.rank(RankRequest(candidates, sizes=sizes, limit=limit, visual_query=False))
        candidates = taste_candidates(view, taste, self.settings.candidates, index_searcher(self.index))
        request = RankRequest(candidates, taste=taste, sizes=sizes, limit=limit, exclude=taste.seen, visual_query=False)
        return self.rank(request)

    def similar(self, product_pk: int, shopper: ShopperContext, limit: int) -> list[Ranked]:
        item, vector = self._item(product_pk)
        return self._around(item, vector, shopper, limit, IndexFilter(), lambda f: True)

    def refine(
        self, product_pk: int, change: str, shopper: ShopperContext, limit: int, text: str | None = None
    ) -> list[Ranked]:
        """Like this item, but another colour / cheaper / another kind / longer / shorter (and these words)."""
        item, vector = self._item(product_pk)
        main = item.colors[0] if item.colors else ""
        family, length = LENGTH.get(item.category, ("", 0))
        rules = {
            "another_colour": (IndexFilter(category=item.category), lambda f: main not in f.colors),
            "cheaper": (IndexFilter(category=item.category, max_price=item.price * 0.9), lambda f: True),
            "another_category": (IndexFilter(), lambda f: f.category != item.category),
            "longer": (IndexFilter(), lambda f: LENGTH.get(f.category, ("", 0)) > (family, length)
                       and LENGTH.get(f.category, ("", 0))[0] == family),
            "shorter": (IndexFilter(), lambda f: (family, 0) < LENGTH.get(f.category, ("", 0)) < (family, length)),
        }  # fmt: skip
        if change not in rules:
            raise InvalidInput(f"unknown refinement {change!r}; use one of: {', '.join(REFINEMENTS)}")
        if change in ("longer", "shorter") and not family:
            raise InvalidInput(f"{item.category} has no longer or shorter versions in this catalog")
        where, keep = rules[change]
        return self._around(item, vector, shopper, limit, where, keep, text=text, same_look=False)

    def complete_the_look(self, product_pk: int, shopper: ShopperContext, limit: int) -> list[Ranked]:
        """Items of complementary kinds whose colours go with this one."""
        item, _ = self._item(product_pk)
        view, taste = self.view(), self.taste_for(shopper)
        kinds = set(complementary_categories(item.category))
        harmony = {
            f.pk: max((colour_harmony(a, f.colors[0]) for a in item.colors[:2]), default=0.5)
            for f in view.facts
            if f.category in kinds and f.colors
        }
        together = self.co_likes.of(item.product_id) if self.co_likes else {}
        top = max(together.values(), default=1)
        by_id = {f.product_id: f.pk for f in view.facts}
        co_liked = {by_id[pid]: n / top for pid, n in together.items() if by_id.get(pid) in harmony}
        for pk, share in co_liked.items():
            harmony[pk] += share  # shoppers who liked this one also liked that one
        ranked = self.rank(
            RankRequest(
                {}, harmony=harmony, taste=taste, sizes=_sizes(shopper, taste), limit=limit,
                exclude=frozenset({product_pk}), visual_query=False,
            )
        )  # fmt: skip
        colours = " and ".join(item.colors[:2]) or "its colour"
        return [
            Ranked(r.pk, r.score, r.visual, [f"Goes with {colours} ({item.category})"]
                   + (["Often liked together with it"] if r.pk in co_liked else []) + r.reasons)
            for r in ranked
        ]  # fmt: skip

    def text_scores(self, text: str, n: int) -> dict[int, float]:
        if self.text is None or not text.strip():
            return {}
        return self.text.scores(self.view(), text, n)

    def _item(self, product_pk: int) -> tuple[ItemFacts, np.ndarray]:
        view = self.view()
        if (row := view.row.get(product_pk)) is None:
            raise NotFound("no such product in the catalog")
        return view.facts[row], view.vectors[row]

    def _around(
        self,
        item: ItemFacts,
        vector: np.ndarray,
        shopper: ShopperContext,
        limit: int,
        where: IndexFilter,
        keep: Callable[[ItemFacts], bool],
        text: str | None = None,
        same_look: bool = True,
    ) -> list[Ranked]:
        view, taste = self.view(), self.taste_for(shopper)
        neighbours = self.index.search(vector, self.settings.candidates, where)
        candidates = {n.label: n.score for n in neighbours if (f := view.fact(n.label)) is not None and keep(f)}
        texts = {pk: s for pk, s in self.text_scores(text or "", self.settings.candidates).items() if pk in candidates}
        request = RankRequest(
            candidates, text_scores=texts, query_colors=item.colors if same_look else (),
            query_category=item.category if same_look else None, taste=taste, sizes=_sizes(shopper, taste),
            limit=limit, exclude=frozenset({item.pk}),
            # A refinement asks for what differs from the item (another colour, kind, price): its filter, not a
            # visual cut-off, says which items count.
            visual_query=same_look,
        )  # fmt: skip
        return self.rank(request)


def _sizes(shopper: ShopperContext, taste: TasteProfile | None) -> tuple[str, ...]:
    return shopper.sizes or (taste.sizes if taste else ())
