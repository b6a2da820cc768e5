"""What a catalog sync did, product by product where it matters: kept with the run and printed by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stylelens.catalog.feeds import Rejection

MAX_LISTED = 1000  # rejections and failures kept in a report (all are counted)
MAX_COLOUR_WORDS = 200  # distinct unknown colour words counted in a report


@dataclass
class SyncReport:
    """What one sync did, product by product where it matters."""

    source: str
    run_id: int = 0
    dry_run: bool = False
    seen: int = 0
    added: int = 0
    updated_images: int = 0
    updated_details: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    image_failures: int = 0
    rejections: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    # Colour words of the feed that neither the built-in table nor integration.colour_words knows -> products.
    unknown_colours: dict[str, int] = field(default_factory=dict)
    diff: list[str] = field(default_factory=list)  # dry run: "+ id", "~ id", "- id"
    feed_error: str = ""
    seconds: float = 0.0

    def reject(self, rejection: Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_LISTED:
            self.rejections.append(
                {"at": rejection.position, "product_id": rejection.product_id, "reason": rejection.reason}
            )

    def fail(self, product_id: str, url: str, error: str) -> None:
        self.image_failures += 1
        if len(self.failures) < MAX_LISTED:
            self.failures.append({"product_id": product_id, "url": url, "error": error})

    def unknown_colour(self, words: list[str]) -> None:
        """Count one product's colour words that no table knows (its colours come from its image)."""
        for word in words:
            if word in self.unknown_colours or len(self.unknown_colours) < MAX_COLOUR_WORDS:
                self.unknown_colours[word] = self.unknown_colours.get(word, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "diff"}

    def summary(self) -> str:
        return (
            f"{self.seen} products read: {self.added} added, {self.updated_images} new images, "
            f"{self.updated_details} details updated, {self.unchanged} unchanged, {self.deleted} deleted; "
            f"{self.rejected} rejected, {self.image_failures} image failures"
            + (f"; feed error: {self.feed_error} (no deletions)" if self.feed_error else "")
            + (
                f"; colour words not known (colours read from the images): {self._top_colours()}"
                if self.unknown_colours
                else ""
            )
        )

    def _top_colours(self) -> str:
        top = sorted(self.unknown_colours.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        more = len(self.unknown_colours) - len(top)
        return ", ".join(f'"{word}" x{count}' for word, count in top) + (f" and {more} more" if more > 0 else "")
