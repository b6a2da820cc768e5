"""`stylelens eval vision`: how well the pipeline reads garments, on three sets, as numbers and a report.

1. Shopper-style photos of demo catalog items (see `evaluation.shopper`): exact-item retrieval (the photo's
   garment against the catalog's embeddings), category, main colour and pattern against the product's truth.
2. The demo catalog's own packshots (with their exact masks): category, main colour, pattern.
3. The Fashion-MNIST *test* split rendered as packshots: category only (pictures no head has seen).

The demo catalog knows 10 categories, so category accuracy is measured at that level: a taxonomy label counts
as right when it belongs to the true class's family (say "jeans" for demo "trousers").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from stylelens.evaluation import metrics
from stylelens.vision.analysis import Garment, GarmentAnalyser
from stylelens.vision.categories import CATEGORY_VOTERS, CategoryScore, catalog_category, family_of

if TYPE_CHECKING:
    from stylelens.catalog.demo import DemoItem


@dataclass
class Scores:
    """Predictions against truth for one set of photos."""

    categories: list[tuple[str, str, float]] = field(default_factory=list)  # predicted family, truth, score
    colors: list[tuple[str, str]] = field(default_factory=list)
    patterns: list[tuple[str, str]] = field(default_factory=list)
    ranks: list[int] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    votes: list[tuple[str, str]] = field(default_factory=list)  # the API's catalog-neighbour vote, truth

    def add(self, garment: Garment | None, category: str, color: str, pattern: str) -> None:
        label = family_of(garment.categories[0].label) if garment and garment.categories else "none"
        score = garment.categories[0].score if garment and garment.categories else 0.0
        self.categories.append((label, category, score))
        self.colors.append((garment.colors[0].name if garment and garment.colors else "none", color))
        self.patterns.append((garment.pattern.label if garment and garment.pattern else "none", pattern))

    def summary(self) -> dict[str, float]:
        out = {
            "photos": float(len(self.categories)),
            "category_accuracy": metrics.accuracy(
                [p for p, _, _ in self.categories], [t for _, t, _ in self.categories]
            ),
            "main_colour_accuracy": metrics.accuracy([p for p, _ in self.colors], [t for _, t in self.colors]),
            "pattern_accuracy": metrics.accuracy([p for p, _ in self.patterns], [t for _, t in self.patterns]),
            "category_ece": metrics.expected_calibration_error(
                [s for _, _, s in self.categories], [p == t for p, t, _ in self.categories]
            ),
        }
        if self.votes:
            out["category_accuracy_catalog_vote"] = metrics.accuracy(
                [p for p, _ in self.votes], [t for _, t in self.votes]
            )
        if self.ranks:
            ranks = np.asarray(self.ranks)
            out |= {f"recall@{k}": metrics.recall_at_k(ranks, k) for k in (1, 5, 10, 20)}
        return out


def shopper_evaluation(
    analyser: GarmentAnalyser, *, seed: int = 7, catalog_size: int = 600, queries: int = 150
) -> tuple[Scores, Scores]:
    """Scores on shopper-style photos of catalog items, and on the catalog's own packshots."""
    from stylelens.catalog.demo import demo_products
    from stylelens.evaluation.shopper import STYLES, shopper_photo

    items = list(demo_products(seed, catalog_size))
    catalog_garments = []
    for start in range(0, len(items), 32):
        batch = items[start : start + 32]
        catalog_garments += [g[0] for g in analyser.analyse_batch([i.image for i in batch], [i.mask for i in batch])]
    packshots = Scores()
    for item, garment in zip(items, catalog_garments, strict=True):
        packshots.add(garment, item.product.category, item.product.colors[0], item.product.pattern)
    matrix = np.stack([g.embedding for g in catalog_garments])
    shopper = Scores()
    step = max(1, catalog_size // queries)
    for n, index in enumerate(range(0, catalog_size, step)[:queries]):
        item, style = items[index], STYLES[n % len(STYLES)]
        photo = shopper_photo(item.image, item.mask, item.product.category, style, np.random.default_rng([seed, n]))
        garments = analyser.analyse(photo)
        first = garments[0] if garments else None
        shopper.add(first, item.product.category, item.product.colors[0], item.product.pattern)
        shopper.styles.append(style)
        if first is None:
            shopper.ranks.append(catalog_size)
            shopper.votes.append(("none", item.product.category))
            continue
        scores = matrix @ first.embedding
        shopper.ranks.append(int(metrics.ranks_of_truth(scores[None], [index])[0]))
        api = neighbour_vote(scores, [i.product.category for i in items], first.categories)
        shopper.votes.append((family_of(api), item.product.category))
    return shopper, packshots


def catalog_embeddings(analyser: GarmentAnalyser, items: list[DemoItem], batch: int = 32) -> np.ndarray:
    """The embeddings (n, dim) of catalog packshots with their exact masks, as the catalog ingests them."""
    vectors = []
    for start in range(0, len(items), batch):
        part = items[start : start + batch]
        found = analyser.analyse_batch([i.image for i in part], [i.mask for i in part], attributes=False)
        vectors += [g[0].embedding for g in found]
    return np.stack(vectors)


def neighbour_vote(
    scores: np.ndarray, categories: list[str], own: list[CategoryScore] | None = None, voters: int = CATEGORY_VOTERS
) -> str:
    """The category the search API reports (`VisualSearch._category`): the garment's own scores joined with the
    vote of the nearest catalog items."""
    nearest = np.argsort(-scores)[:voters]
    return catalog_category(own or [], [(categories[i], float(scores[i])) for i in nearest]).label


def fashion_mnist_evaluation(analyser: GarmentAnalyser, *, count: int = 500, seed: int = 11) -> Scores:
    """Category scores on Fashion-MNIST test pictures rendered as packshots in random colours and patterns."""
    from stylelens.catalog.demo import CATEGORIES, PATTERNS
    from stylelens.catalog.demo_render import render_packshot
    from stylelens.catalog.fashion_mnist import load_fashion_mnist
    from stylelens.vision.palette import COLOR_NAMES, PALETTE, hex_to_rgb

    pictures, labels = load_fashion_mnist("test")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(pictures), size=min(count, len(pictures)), replace=False)
    scores = Scores()
    for start in range(0, len(chosen), 32):
        batch, truth = [], []
        for i in chosen[start : start + 32]:
            colour, motif = (str(c) for c in rng.choice(COLOR_NAMES, size=2, replace=False))
            pattern = str(rng.choice(PATTERNS))
            rgb, motif_rgb = hex_to_rgb(PALETTE[colour]), hex_to_rgb(PALETTE[motif])
            batch.append(render_packshot(pictures[i], rgb, motif_rgb if pattern != "solid" else rgb, pattern, rng))
            truth.append((CATEGORIES[int(labels[i])], colour, pattern))
        found = analyser.analyse_batch([b[0] for b in batch], [b[1] for b in batch])
        for garments, (category, colour, pattern) in zip(found, truth, strict=True):
            scores.add(garments[0], category, colour, pattern)
    return scores


def per_style(scores: Scores) -> dict[str, dict[str, float]]:
    """Retrieval and attribute accuracy for each shopper-photo style."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, style in enumerate(scores.styles):
        groups[style].append(i)
    out = {}
    for style, rows in groups.items():
        part = Scores(
            [scores.categories[i] for i in rows], [scores.colors[i] for i in rows],
            [scores.patterns[i] for i in rows], [scores.ranks[i] for i in rows], [],
            [scores.votes[i] for i in rows] if scores.votes else [],
        )  # fmt: skip
        out[style] = part.summary()
    return out


def write_report(out_dir: Path, sections: dict[str, Scores], machine: str, command: str) -> Path:
    """Markdown report with PNG plots (confusion matrices, per-class precision/recall, recall@K)."""
    from stylelens.evaluation.plots import confusion_png, per_class_png, recall_png

    out_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Vision evaluation", "", f"Command: `{command}`", f"Machine: {machine}", ""]
    lines += [
        "Category accuracy is at the demo catalog's 10-class level (a taxonomy label counts in its family); "
        "'category (own)' is the garment's own top label (the category head joined with the silhouette "
        "classifier and ImageNet's garment classes); 'category (API)' is the label the search API shows: "
        "those scores joined with a vote of its 15 nearest catalog items (vision.categories.catalog_category).",
        "",
        "| set | photos | category (own) | category (API) | main colour | pattern | category ECE | R@1 | R@10 |",
        "|---" * 9 + "|",
    ]
    for name, scores in sections.items():
        s = scores.summary()
        r1, r10 = (f"{s['recall@1']:.3f}", f"{s['recall@10']:.3f}") if "recall@1" in s else ("-", "-")
        vote = f"{s['category_accuracy_catalog_vote']:.3f}" if "category_accuracy_catalog_vote" in s else "-"
        lines.append(
            f"| {name} | {int(s['photos'])} | {s['category_accuracy']:.3f} | {vote} | "
            f"{s['main_colour_accuracy']:.3f} | {s['pattern_accuracy']:.3f} | {s['category_ece']:.3f} | {r1} | {r10} |"
        )
    shopper = sections.get("shopper photos")
    if shopper is not None and shopper.styles:
        lines += ["", "## Shopper photos by style", "", "| style | photos | category | colour | pattern | R@1 | R@10 |"]
        lines.append("|---" * 7 + "|")
        for style, s in per_style(shopper).items():
            lines.append(
                f"| {style} | {int(s['photos'])} | {s['category_accuracy']:.3f} | {s['main_colour_accuracy']:.3f} | "
                f"{s['pattern_accuracy']:.3f} | {s['recall@1']:.3f} | {s['recall@10']:.3f} |"
            )
        recall_png(out_dir / "retrieval_recall.png", np.asarray(shopper.ranks))
        lines += ["", "![recall@K](retrieval_recall.png)"]
    for name, scores in sections.items():
        slug = name.replace(" ", "_").replace("-", "_")
        for what, pairs in (("category", [(p, t) for p, t, _ in scores.categories]), ("colour", scores.colors),
                            ("pattern", scores.patterns)):  # fmt: skip
            labels = sorted({t for _, t in pairs})
            matrix = metrics.confusion_matrix([p for p, _ in pairs], [t for _, t in pairs], labels)
            confusion_png(out_dir / f"{slug}_{what}_confusion.png", matrix, labels, f"{name}: {what}")
            per_class_png(out_dir / f"{slug}_{what}_per_class.png", matrix, labels, f"{name}: {what}")
            figures = f"![]({slug}_{what}_confusion.png) ![]({slug}_{what}_per_class.png)"
            lines += ["", f"### {name}: {what}", "", figures]
    path = out_dir / "vision.md"
    path.write_text("\n".join(lines) + "\n")
    return path
