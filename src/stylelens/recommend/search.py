"""Visual search: the garments of a shopper's photo, then the catalog items that look most like the chosen one."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from cachetools import TTLCache
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stylelens.errors import InvalidInput, PhotoForgotten
from stylelens.index.base import IndexFilter, Neighbour, VectorIndex
from stylelens.recommend.reasons import reasons_for
from stylelens.storage.models import Product, utcnow
from stylelens.vision.analysis import Garment, GarmentAnalyser, Region
from stylelens.vision.categories import CATEGORY_VOTERS, catalog_category
from stylelens.vision.decode import decode_photo

# Photos are read at about this many pixels a side; regions are reported in the uploaded image's pixels.
WORK_SIDE = 512
_NO_MASK = np.zeros((0, 0), dtype=bool)  # what a remembered garment keeps of its mask: nothing


@dataclass(frozen=True)
class RememberedPhoto:
    """What the search remembers of one photo a shopper searched: no pixel, no mask (see VisualSearch)."""

    photo_id: str
    searched_at: datetime
    forgotten_by: datetime
    garments: list[Garment]


@dataclass(frozen=True)
class SearchQuery:
    """What the shopper asked for besides the photo."""

    limit: int = 20
    where: IndexFilter = field(default_factory=IndexFilter)
    garment: int = 0
    box: tuple[int, int, int, int] | None = None  # x, y, w, h in the uploaded image: search what lies inside
    # For the recommender's re-ranking hook (recommend/hook.py): who asks, their sizes, words with the photo.
    shopper: str | None = None
    sizes: tuple[str, ...] = ()
    text: str | None = None


@dataclass(frozen=True)
class CategoryGuess:
    label: str
    score: float


@dataclass(frozen=True)
class FoundGarment:
    garment: Garment
    category: CategoryGuess


@dataclass(frozen=True)
class SearchHit:
    product: Product
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class SearchAnswer:
    garments: list[FoundGarment]
    results: list[SearchHit]
    photo_id: str | None = None  # names the photo for `search_again` while it is remembered (None: it is not)


class SearchRanker(Protocol):
    """Re-ranks a photo search (recommend/hook.py): (product pk, visual score, reasons) best first, or None
    to keep the plain visual order."""

    def rerank(
        self, garment: Garment, category: str, query: SearchQuery
    ) -> list[tuple[int, float, list[str]]] | None: ...


class VisualSearch:
    """Finds catalog items similar to the garment in a shopper's photo."""

    def __init__(
        self,
        analyser: GarmentAnalyser,
        index: VectorIndex,
        sessions: sessionmaker[Session],
        *,
        max_bytes: int,
        max_pixels: int,
        ranker: SearchRanker | None = None,
        recent_photos: int = 0,
        recent_photo_s: float = 600.0,
    ) -> None:
        self.analyser = analyser
        self.index = index
        self.sessions = sessions
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.ranker = ranker
        # The garments of photos searched a moment ago (see VisionSettings.recent_photos), with who searched them,
        # by a keyed hash of the photo and that shopper: the photo_id of the answer. The key is drawn at start and
        # never leaves the process, so an id says nothing of its photo, and nobody else's photo or id finds it.
        self._recent: TTLCache[bytes, tuple[str | None, list[Garment], datetime]] | None = (
            TTLCache(recent_photos, recent_photo_s) if recent_photos > 0 else None
        )
        self._recent_for = timedelta(seconds=recent_photo_s)
        self._recent_lock = threading.Lock()
        self._photo_key = secrets.token_bytes(32)

    def search(self, photo: bytes, query: SearchQuery) -> SearchAnswer:
        """Decode the photo in memory, read its garments, rank the catalog for the chosen one."""
        if query.box is not None:
            return self._answer(self._inside(photo, query.box), query, None)
        if self._recent is None:
            return self._answer(self._read(photo), query, None)
        key = hmac.new(self._photo_key, (query.shopper or "").encode() + b"\0" + photo, hashlib.sha256).digest()
        garments = self._remembered(key, query.shopper)
        if garments is None:
            garments = self._read(photo)
            with self._recent_lock:
                self._recent[key] = (query.shopper, [replace(g, mask=_NO_MASK) for g in garments], utcnow())
        return self._answer(garments, query, key.hex())

    def search_again(self, photo_id: str, query: SearchQuery) -> SearchAnswer:
        """The search of a photo searched a moment ago, named by the `photo_id` of that answer (another garment,
        other filters): the photo is not sent or read again. PhotoForgotten once it is no longer remembered."""
        if query.box is not None:
            raise InvalidInput("a box is searched on the photo itself: send the image with the box")
        try:
            key = bytes.fromhex(photo_id)
        except ValueError:
            raise InvalidInput("photo_id is the hexadecimal id of an earlier search's photo") from None
        garments = self._remembered(key, query.shopper)
        if garments is None:
            raise PhotoForgotten(
                "that photo is not remembered (only a few minutes, for the session that sent it): send it again"
            )
        return self._answer(garments, query, photo_id)

    def remembered_for(self, shopper: str) -> list[RememberedPhoto]:
        """What is remembered of the photos this shopper searched, oldest first (their data export shows it)."""
        with self._recent_lock:
            entries = self._entries_of(shopper)
        return [
            RememberedPhoto(key.hex(), searched, searched + self._recent_for, garments)
            for key, (_, garments, searched) in sorted(entries, key=lambda item: item[1][2])
        ]

    def forget(self, shopper: str) -> int:
        """Forget every photo this shopper searched (their erasure); how many were remembered."""
        with self._recent_lock:
            entries = self._entries_of(shopper)
            for key, _ in entries:
                with contextlib.suppress(KeyError):  # expired since expire(): TTLCache removes it, then says so
                    del self._recent[key]  # type: ignore[union-attr]  # entries exist only with a memory
        return len(entries)

    def _entries_of(self, shopper: str) -> list[tuple[bytes, tuple[str | None, list[Garment], datetime]]]:
        """(photo key, entry) of each photo this shopper searched that is still remembered; under the lock."""
        if self._recent is None:
            return []
        self._recent.expire()
        return [(key, entry) for key, entry in self._recent.items() if entry[0] == shopper]

    def _answer(self, garments: list[Garment], query: SearchQuery, photo_id: str | None) -> SearchAnswer:
        """The catalog ranked for the chosen garment of those found."""
        found = [FoundGarment(g, self._category(g)) for g in garments]
        if not found:  # nothing that looks like a garment: a clear, empty answer
            return SearchAnswer([], [], photo_id)
        chosen = found[min(query.garment, len(found) - 1)]
        if self.ranker and (ranked := self.ranker.rerank(chosen.garment, chosen.category.label, query)) is not None:
            return SearchAnswer(found, self._ranked_hits(ranked), photo_id)
        neighbours = self.index.search(chosen.garment.embedding, query.limit, query.where)
        return SearchAnswer(found, self._hits(neighbours, chosen), photo_id)

    def _remembered(self, key: bytes, shopper: str | None) -> list[Garment] | None:
        """The garments of a photo this shopper searched a moment ago (regions in its pixels, no masks)."""
        if self._recent is None:
            return None
        with self._recent_lock:
            entry = self._recent.get(key)
        return entry[1] if entry is not None and entry[0] == shopper else None

    def _read(self, photo: bytes) -> list[Garment]:
        image, sx, sy = self._decode(photo)
        return [replace(g, region=g.region.scaled(sx, sy)) for g in self.analyser.analyse(image)]

    def _decode(self, photo: bytes) -> tuple[Image.Image, float, float]:
        """The photo at working size, and the factors from its pixels to the uploaded image's."""
        image, (width, height) = decode_photo(
            photo, max_bytes=self.max_bytes, max_pixels=self.max_pixels, work_side=WORK_SIDE
        )
        return image, width / image.width, height / image.height

    def _inside(self, photo: bytes, box: tuple[int, int, int, int]) -> list[Garment]:
        """The garment inside a box the shopper drew (uploaded-image pixels), read as if it were the whole photo."""
        image, sx, sy = self._decode(photo)
        x, y, w, h = box
        left, top = max(0, round(x / sx)), max(0, round(y / sy))
        right, bottom = min(image.width, round((x + w) / sx)), min(image.height, round((y + h) / sy))
        if right - left < 8 or bottom - top < 8:
            return []
        garments = self.analyser.analyse_batch([image.crop((left, top, right, bottom))])[0]
        return [
            replace(g, region=Region(g.region.x + left, g.region.y + top, g.region.w, g.region.h).scaled(sx, sy))
            for g in garments
        ]

    def _category(self, garment: Garment) -> CategoryGuess:
        """The garment's own category scores joined with the vote of the nearest catalog items."""
        neighbours = [
            (attrs.category, n.score)
            for n in self.index.search(garment.embedding, CATEGORY_VOTERS)
            if (attrs := self.index.attributes(n.label)) is not None
        ]
        best = catalog_category(garment.categories, neighbours)
        return CategoryGuess(best.label, best.score)

    def _ranked_hits(self, ranked: list[tuple[int, float, list[str]]]) -> list[SearchHit]:
        with self.sessions() as session:
            rows = {p.pk: p for p in session.scalars(select(Product).where(Product.pk.in_([r[0] for r in ranked])))}
        return [SearchHit(rows[pk], score, reasons) for pk, score, reasons in ranked if pk in rows]

    def _hits(self, neighbours: list[Neighbour], chosen: FoundGarment) -> list[SearchHit]:
        with self.sessions() as session:
            rows = {
                p.pk: p for p in session.scalars(select(Product).where(Product.pk.in_([n.label for n in neighbours])))
            }
        return [
            SearchHit(
                rows[n.label], n.score, reasons_for(rows[n.label], n.score, chosen.garment, chosen.category.label)
            )
            for n in neighbours
            if n.label in rows
        ]
