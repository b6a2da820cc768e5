"""What a catalog sync did, product by product where it matters: kept with the run and printed by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stylelens.catalog.feeds import Rejection

MAX_LISTED = 1000  # rejections and failures kept in a report (all are counted)


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

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "diff"}

    def summary(self) -> str:
        return (
            f"{self.seen} products read: {self.added} added, {self.updated_images} new images, "
            f"{self.updated_details} details updated, {self.unchanged} unchanged, {self.deleted} deleted; "
            f"{self.rejected} rejected, {self.image_failures} image failures"
            + (f"; feed error: {self.feed_error} (no deletions)" if self.feed_error else "")
        )
