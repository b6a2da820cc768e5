"""The duplicate, leakage and skipped-row report of a dataset, as lines a person reads or as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stylelens.data.dedup import DuplicateReport
from stylelens.data.sources.base import Skipped

SHOWN = 10  # examples listed per section; the JSON report has them all


def report_lines(report: DuplicateReport, skipped: Sequence[Skipped] = ()) -> list[str]:
    """A short human report: counts first, then a few examples of each problem."""
    s = report.summary()
    pixel = f", pixels within {report.tolerance:g} grey levels" if report.tolerance is not None else ""
    lines = [
        f"items: {s['items']}",
        f"exact duplicates: {s['exact_duplicate_sets']} sets ({s['exact_duplicate_items']} items)",
        f"near duplicates (hash within {report.threshold} bits{pixel}): {s['near_duplicate_pairs']} pairs"
        f" (of {s['close_hash_pairs']} close-hash pairs)",
        f"leakage across splits: {s['leaking_pairs']} duplicate pairs, {s['leaking_groups']} groups",
    ]
    if report.unhashed:
        lines.append(f"items without a perceptual hash (exact copies only): {report.unhashed}")
    if report.moved:
        lines.append(f"moved to their twin's split: {len(report.moved)} items")
    where = report.splits
    lines += [
        f"  leak: {a} ({where.get(a)}) ~ {b} ({where.get(b)}), {d} bits" for a, b, d in report.leaking_pairs[:SHOWN]
    ]
    lines += [f"  group {g} spans {', '.join(spl)}" for g, spl in list(report.leaking_groups.items())[:SHOWN]]
    if skipped:
        lines.append(f"skipped: {len(skipped)}")
        lines += [f"  {s.origin}: {s.reason}" for s in skipped[:SHOWN]]
    return lines


def report_json(report: DuplicateReport, skipped: Sequence[Skipped] = ()) -> dict[str, Any]:
    """Everything found, for a file next to the dataset or a CI artefact."""
    return {
        "summary": report.summary(),
        "exact_groups": report.exact_groups,
        "near_pairs": [list(p) for p in report.near_pairs],
        "leaking_pairs": [list(p) for p in report.leaking_pairs],
        "leaking_groups": report.leaking_groups,
        "moved": {k: list(v) for k, v in report.moved.items()},
        "skipped": [{"origin": s.origin, "reason": s.reason} for s in skipped],
    }
