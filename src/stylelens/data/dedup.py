"""Find duplicate and near-duplicate pictures in a dataset, and leakage between its splits.

Two pictures are near-duplicates when their 64-bit perceptual hashes differ in at most `threshold` bits
(a re-encoded, resized or slightly brightened copy of a photo usually differs in 0-4 bits) and, when the
pictures are at hand, their mean-centred 16x16 grey thumbnails differ by at most `tolerance` grey levels on
average (a JPEG re-encode: under 1). The pixel check matters on small, simple pictures: in Fashion-MNIST,
177,334 pairs of different garments have hashes within 4 bits. A dataset leaks
when near-duplicates, or items of one group (the same product), sit in different splits: the model would be
tested on pictures it was trained on, and its scores would flatter it.

Pairs are found by multi-index hashing, not by comparing every pair: with the 64 bits cut into
`threshold + 1` chunks, two hashes within `threshold` bits agree exactly on at least one chunk, so only
items sharing a chunk value are compared (vectorised, with a popcount). 70,000 hashes take seconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from PIL import Image

from stylelens.data.manifest import SPLITS, Dataset, Item, with_split

DEFAULT_THRESHOLD: Final[int] = 4
DEFAULT_TOLERANCE: Final[float] = 3.0  # grey levels (of 255), mean over a 16x16 thumbnail
THUMB: Final[int] = 16
_BLOCK: Final[int] = 512  # compare a large bucket in blocks of this many rows to bound memory


@dataclass(frozen=True)
class DuplicateReport:
    """What `check_items` found; the ids of items, never the pictures."""

    items: int
    threshold: int
    exact_groups: list[list[str]]  # byte-identical pictures (same sha256), two or more ids each
    near_pairs: list[tuple[str, str, int]]  # near-duplicates (distance <= threshold), exact copies excluded
    leaking_pairs: list[tuple[str, str, int]]  # exact or near duplicates in different splits
    leaking_groups: dict[str, list[str]]  # group -> the splits it spans, when more than one
    unhashed: int = 0  # items without a perceptual hash (only exact copies are found for them)
    candidates: int = 0  # pairs of close hashes before the pixel check
    tolerance: float | None = None  # the pixel check's tolerance; None: hashes only
    moved: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (from split, to split)
    splits: dict[str, str] = field(default_factory=dict)  # id -> split, for the items of leaking pairs

    @property
    def leaks(self) -> int:
        return len(self.leaking_pairs) + len(self.leaking_groups)

    def summary(self) -> dict[str, int]:
        return {
            "items": self.items,
            "threshold": self.threshold,
            "exact_duplicate_sets": len(self.exact_groups),
            "exact_duplicate_items": sum(len(g) for g in self.exact_groups),
            "close_hash_pairs": self.candidates,
            "near_duplicate_pairs": len(self.near_pairs),
            "leaking_pairs": len(self.leaking_pairs),
            "leaking_groups": len(self.leaking_groups),
            "moved": len(self.moved),
        }


def hash_values(hexes: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes as uint64 values, and a mask of which items have one."""
    values = np.zeros(len(hexes), dtype=np.uint64)
    present = np.zeros(len(hexes), dtype=bool)
    for i, text in enumerate(hexes):
        if text:
            values[i] = int(text, 16)
            present[i] = True
    return values, present


def near_pairs(values: np.ndarray, threshold: int) -> np.ndarray:
    """Every pair (i, j, distance), i < j, of hashes at most `threshold` bits apart, as an (n, 3) int64 array."""
    if not 0 <= threshold <= 16:
        raise ValueError(f"threshold must be between 0 and 16 bits, not {threshold}")
    found: list[np.ndarray] = []
    for shift, width in _chunks(threshold + 1):
        keys = (values >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.argsort(keys, kind="stable")
        starts = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1]])
        ends = np.r_[starts[1:], len(order)]
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            found.extend(_pairs_within(order[start:end], values, threshold))
    if not found:
        return np.zeros((0, 3), dtype=np.int64)
    pairs = np.unique(np.concatenate(found), axis=0)
    return pairs


def check_items(
    items: Sequence[Item],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    thumbnail: Callable[[Item], np.ndarray] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> DuplicateReport:
    """Exact and near duplicates, and leakage across splits (by duplicates or by group).

    With `thumbnail` (an item's 16x16 grey picture), a pair of close hashes counts as near-duplicates only
    when the mean-centred thumbnails differ by at most `tolerance` grey levels on average: on small, simple
    pictures (Fashion-MNIST) many different garments share a hash, but not their pixels.
    """
    ids = [item.id for item in items]
    position = {item_id: i for i, item_id in enumerate(ids)}
    by_digest: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_digest[item.sha256].append(index)
    exact = [group for group in by_digest.values() if len(group) > 1]
    values, present = hash_values([item.phash for item in items])
    where = np.flatnonzero(present)
    pairs = near_pairs(values[present], threshold)
    pairs = np.column_stack([where[pairs[:, 0]], where[pairs[:, 1]], pairs[:, 2]]) if len(pairs) else pairs
    pairs = pairs[[items[a].sha256 != items[b].sha256 for a, b, _ in pairs]] if len(pairs) else pairs
    candidates = len(pairs)
    if thumbnail is not None and len(pairs):
        pairs = pairs[_confirmed(pairs, items, thumbnail, tolerance)]
    near_list = [(ids[a], ids[b], int(d)) for a, b, d in pairs]
    leaking = [(ids[a], ids[b], int(d)) for a, b, d in pairs if items[a].split != items[b].split]
    for group in exact:  # byte-identical copies in other splits than the first copy's
        first = group[0]
        leaking.extend((ids[first], ids[m], 0) for m in group[1:] if items[m].split != items[first].split)
    return DuplicateReport(
        items=len(items),
        threshold=threshold,
        exact_groups=[[ids[i] for i in group] for group in exact],
        near_pairs=near_list,
        leaking_pairs=leaking,
        leaking_groups=_leaking_groups(items),
        unhashed=int((~present).sum()),
        candidates=candidates,
        tolerance=tolerance if thumbnail is not None else None,
        splits={i: items[position[i]].split for pair in leaking for i in pair[:2]},
    )


def check_dataset(
    dataset: Dataset, threshold: int = DEFAULT_THRESHOLD, tolerance: float = DEFAULT_TOLERANCE
) -> DuplicateReport:
    """check_items on a prepared dataset, confirming near-duplicates on the pictures themselves."""

    def thumbnail(item: Item) -> np.ndarray:
        with Image.open(dataset.image_path(item)) as picture:
            return np.asarray(picture.convert("L").resize((THUMB, THUMB), Image.Resampling.BOX), dtype=np.float32)

    return check_items(dataset.items(), threshold, thumbnail=thumbnail, tolerance=tolerance)


def check_and_fix(
    dataset: Dataset, threshold: int = DEFAULT_THRESHOLD, tolerance: float = DEFAULT_TOLERANCE, *, fix: bool = False
) -> DuplicateReport:
    """check_dataset; with `fix`, move leaking items into their twin's split, rewrite the manifest, check again."""
    report = check_dataset(dataset, threshold, tolerance)
    if not fix or not report.leaks:
        return report
    items, moved = fix_leakage(dataset.items(), report)
    dataset.rewrite_items(items)
    after = check_dataset(dataset, threshold, tolerance)
    after.moved.update(moved)
    return after


def _confirmed(
    pairs: np.ndarray, items: Sequence[Item], thumbnail: Callable[[Item], np.ndarray], tolerance: float
) -> np.ndarray:
    """Which candidate pairs also look alike pixel by pixel (mean-centred thumbnails within `tolerance`)."""
    involved = np.unique(pairs[:, :2])
    with ThreadPoolExecutor(4, thread_name_prefix="thumbnails") as pool:  # file reads and PNG decodes overlap
        thumbs = np.stack(list(pool.map(lambda i: thumbnail(items[int(i)]).reshape(-1), involved))).astype(np.float32)
    thumbs -= thumbs.mean(axis=1, keepdims=True)  # a brighter copy is still a copy
    left, right = np.searchsorted(involved, pairs[:, 0]), np.searchsorted(involved, pairs[:, 1])
    keep = np.zeros(len(pairs), dtype=bool)
    for start in range(0, len(pairs), 8 * _BLOCK):  # in slices: 177k pairs of thumbnails would take 700 MB
        part = slice(start, start + 8 * _BLOCK)
        keep[part] = np.abs(thumbs[left[part]] - thumbs[right[part]]).mean(axis=1) <= tolerance
    return keep


def fix_leakage(items: Sequence[Item], report: DuplicateReport) -> tuple[list[Item], dict[str, tuple[str, str]]]:
    """Move leaking items so that every set of linked items (duplicates, one group) shares one split.

    A linked set goes to the split most of its items are already in (ties: train, then val, then test), so a
    test picture copied from a training one moves to train and stops inflating the test score.
    """
    index = {item.id: i for i, item in enumerate(items)}
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links = [(a, b) for a, b, _ in report.leaking_pairs]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if item.group is not None and item.group in report.leaking_groups:
            groups[item.group].append(i)
    for members in groups.values():
        links.extend((items[members[0]].id, items[m].id) for m in members[1:])
    for a, b in links:
        parent[root(index[a])] = root(index[b])
    components: dict[int, list[int]] = defaultdict(list)
    for i in {index[x] for link in links for x in link}:
        components[root(i)].append(i)
    fixed = list(items)
    moved: dict[str, tuple[str, str]] = {}
    for members in components.values():
        counts = Counter(items[m].split for m in members)
        target = max(SPLITS, key=lambda s: (counts.get(s, 0), -SPLITS.index(s)))
        for m in members:
            if items[m].split != target:
                moved[items[m].id] = (items[m].split, target)
                fixed[m] = with_split(items[m], target)
    return fixed, moved


def _leaking_groups(items: Sequence[Item]) -> dict[str, list[str]]:
    spans: dict[str, set[str]] = defaultdict(set)
    for item in items:
        if item.group is not None:
            spans[item.group].add(item.split)
    return {g: sorted(s, key=SPLITS.index) for g, s in spans.items() if len(s) > 1}


def _chunks(count: int) -> list[tuple[int, int]]:
    """Cut 64 bits into `count` contiguous chunks: (shift, width) each."""
    widths = [64 // count + (1 if i < 64 % count else 0) for i in range(count)]
    shifts = np.cumsum([0, *widths[:-1]])
    return [(int(s), w) for s, w in zip(shifts, widths, strict=True)]


def _pairs_within(members: np.ndarray, values: np.ndarray, threshold: int) -> list[np.ndarray]:
    """Pairs (i, j, distance), i < j, among `members` within `threshold` bits."""
    members = np.sort(members)
    out: list[np.ndarray] = []
    for start in range(0, len(members), _BLOCK):
        rows = members[start : start + _BLOCK]
        distances = _popcount(values[rows][:, None] ^ values[members][None, :])
        r, c = np.nonzero((distances <= threshold) & (rows[:, None] < members[None, :]))
        if len(r):
            out.append(np.stack([rows[r], members[c], distances[r, c]], axis=1).astype(np.int64))
    return out


def _popcount(x: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.asarray(np.bitwise_count(x), dtype=np.int64)
    as_bytes = x.view(np.uint8).reshape(*x.shape, 8)  # pragma: no cover - numpy < 2
    return np.asarray(np.unpackbits(as_bytes, axis=-1).sum(axis=-1), dtype=np.int64)  # pragma: no cover
