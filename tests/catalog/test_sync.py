"""The catalog follows the shop's feed exactly, over a real loopback HTTP server playing the shop.

`make test` syncs 1,000 products (about a minute on 2 cores); STYLELENS_TEST_SHOP_SIZE=10000 runs the full
10,000-product scenario of the issue (benchmarks/sync_incremental.py times it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from shop_server import Shop, ShopServer, assert_catalog_matches
from sqlalchemy import func, select

from stylelens.catalog.sync import sync_source
from stylelens.catalog.sync_report import SyncReport
from stylelens.config import Settings
from stylelens.services import Services
from stylelens.storage.models import Product
from stylelens.vision.palette import COLOR_NAMES

SHOP_SIZE = int(os.environ.get("STYLELENS_TEST_SHOP_SIZE", "1000"))


@pytest.fixture
def services(tmp_path: Path, make_settings: Callable[[Path], Settings]) -> Services:
    return Services(make_settings(tmp_path))


@pytest.fixture
def shop_server() -> Iterator[ShopServer]:
    with ShopServer(Shop.generate(20)) as server:
        yield server


def sync(services: Services, url: str, **kwargs: object) -> SyncReport:
    return sync_source(services.catalog_sync, url, shop_url="https://shop.example", max_bytes=10**9, **kwargs)  # type: ignore[arg-type]


def test_sync_from_empty_then_incremental_matches_the_feed_exactly(services: Services) -> None:
    shop = Shop.generate(SHOP_SIZE)
    with ShopServer(shop) as server:
        first = sync(services, f"{server.url}/feed.xml")
        assert (first.added, first.rejected, first.image_failures, first.feed_error) == (SHOP_SIZE, 0, 0, "")
        assert_catalog_matches(services, shop)

        changes = shop.change(fraction_changed=0.05, fraction_deleted=0.01)
        fetched_before = sum(shop.image_hits.values())
        second = sync(services, f"{server.url}/feed.xml")

        assert second.updated_images == len(changes["images"]) > 0
        assert second.updated_details == len(changes["details"]) > 0
        assert second.deleted == len(changes["deleted"]) > 0
        changed = changes["images"] | changes["details"]
        assert second.added == 0 and second.unchanged == len(shop.products) - len(changed)
        assert sum(shop.image_hits.values()) - fetched_before == len(changes["images"])  # only changed images
        assert_catalog_matches(services, shop)


def test_a_bad_image_is_reported_and_retried_next_time(services: Services, shop_server: ShopServer) -> None:
    shop = shop_server.shop
    shop.broken_images.add("FI-000003")
    services.image_fetcher.backoff_s = 0.01
    first = sync(services, f"{shop_server.url}/feed.xml")
    assert first.added == 19 and first.image_failures == 1
    assert first.failures[0]["product_id"] == "FI-000003" and "HTTP 500" in first.failures[0]["error"]

    shop.broken_images.clear()
    hits = sum(shop.image_hits.values())
    second = sync(services, f"{shop_server.url}/feed.xml")
    assert (second.added, second.image_failures, second.unchanged) == (1, 0, 19)
    assert sum(shop.image_hits.values()) - hits == 1
    assert_catalog_matches(services, shop)


def test_dry_run_prints_the_diff_and_changes_nothing(services: Services, shop_server: ShopServer) -> None:
    shop = shop_server.shop
    sync(services, f"{shop_server.url}/feed.xml")
    changes = shop.change(0.2, 0.1)
    hits = sum(shop.image_hits.values())
    report = sync(services, f"{shop_server.url}/feed.xml", dry_run=True)
    assert sum(shop.image_hits.values()) == hits
    assert {line.split()[1] for line in report.diff if line.startswith("- ")} == changes["deleted"]
    assert {line.split()[1] for line in report.diff if line.startswith("~ ")} == changes["images"] | changes["details"]
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 20  # untouched


def _item(pid: str, image: str, price: str = "25.00 EUR", title: str = "Red dress") -> str:
    return (
        f"<item><g:id>{pid}</g:id><g:title>{title}</g:title><g:link>https://shop.example/{pid}</g:link>"
        f"<g:image_link>{image}</g:image_link><g:price>{price}</g:price></item>"
    )


def _feed(*items: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f'{prolog}<rss xmlns:g="http://base.google.com/ns/1.0"><channel>{"".join(items)}</channel></rss>'.encode()


def test_bad_feeds_are_reported_item_by_item_and_never_crash_the_sync(
    services: Services, shop_server: ShopServer, tmp_path: Path
) -> None:
    sync(services, f"{shop_server.url}/feed.xml")  # 20 good products from before
    image = f"{shop_server.url}/images/FI-000001-v0.png"
    not_an_image = f"{shop_server.url}/feed.xml"
    shop_server.extra["/bad.xml"] = (
        200,
        "application/xml",
        _feed(
            _item("new-1", image),
            _item("neg", image, price="-10.00 EUR"),
            _item("no-title", image, title=""),
            _item("no-image", ""),
            _item("html-image", not_an_image),
            _item("missing-image", f"{shop_server.url}/images/nope.png"),
            _item("huge", image, title="x" * 50_000),
        ).replace(b"</channel>", b"<item><g:id>cut</channel>"),  # and then the XML breaks
    )
    report = sync(services, f"{shop_server.url}/bad.xml")
    assert report.added == 1 and report.rejected == 4 and report.image_failures == 2
    reasons = {r["product_id"]: r["reason"] for r in report.rejections}
    assert "positive" in reasons["neg"] and "title" in reasons["no-title"] and "image_link" in reasons["no-image"]
    assert "over 300" in reasons["huge"]
    assert {f["product_id"] for f in report.failures} == {"html-image", "missing-image"}
    assert "malformed XML" in report.feed_error and report.deleted == 0  # a broken feed deletes nothing
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 21

    bombs = {
        "laughs.xml": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<rss><channel><item><g:id>&b;</g:id></item></channel></rss>",
        "xxe.xml": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>',
        "latin1.xml": _feed(_item("caf\xe9", image, title="Caf\xe9 dress")).decode().encode("latin-1"),
    }
    for name, data in bombs.items():
        (tmp_path / name).write_bytes(data)
        report = sync(services, str(tmp_path / name))
        assert report.feed_error and report.deleted == 0 and report.added == 0, name
    tsv = tmp_path / "feed.tsv"
    tsv.write_bytes(
        b"id\ttitle\tlink\timage_link\tprice\tproduct_type\n"
        + b"t-1\t"
        + b"y" * (50 * 1024 * 1024)
        + b"\n"
        + f"t-2\tDress\thttps://shop.example/t-2\t{image}\t-1 EUR\tDress\n".encode()
        + f"t-3\tDress\thttps://shop.example/t-3\t{image}\t30 EUR\tDress\n".encode()
    )
    report = sync(services, str(tsv))
    assert (report.added, report.rejected, report.feed_error) == (1, 2, "")
    with services.sessions() as session:  # a complete feed: what it does not list is gone
        assert set(session.scalars(select(Product.product_id))) == {"t-3"}


def test_the_cli_dry_run_prints_the_diff(tmp_path: Path, models_dir: Path) -> None:
    import os
    import subprocess
    import sys

    feed = tmp_path / "feed.xml"
    image = "https://shop.example/a.png"
    feed.write_bytes(_feed(_item("A-1", image), _item("B-2", image), _item("bad", image, price="-1 EUR")))
    env = {**os.environ, "STYLELENS_STORAGE__DATA_DIR": str(tmp_path), "STYLELENS_VISION__MODELS_DIR": str(models_dir)}
    stylelens = Path(sys.executable).parent / "stylelens"
    command = [stylelens, "catalog", "sync", str(feed), "--dry-run", "--report", str(tmp_path / "r.json")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["+ A-1  Red dress", "+ B-2  Red dress"]
    assert "rejected item 3 (bad): price must be positive" in " ".join(done.stderr.split())
    assert '"rejected": 1' in (tmp_path / "r.json").read_text()


def test_the_shops_colour_words_name_the_colours_and_unknown_ones_are_counted(
    services: Services, shop_server: ShopServer, tmp_path: Path, make_settings: Callable[[Path], Settings]
) -> None:
    image = f"{shop_server.url}/images/FI-000001-v0.png"
    colours = {"fr-1": "Bleu marine", "fr-2": "Noir/Blanc", "own-1": "Nuit d'été", "own-2": "Nuit d'été/Léopard"}
    items = [_item(pid, image).replace("</item>", f"<g:color>{c}</g:color></item>") for pid, c in colours.items()]
    shop_server.extra["/colours.xml"] = (200, "application/xml", _feed(*items))
    report = sync(services, f"{shop_server.url}/colours.xml")
    assert report.added == 4
    assert report.unknown_colours == {"nuit d'ete": 2, "leopard": 1} and '"nuit d\'ete" x2' in report.summary()
    with services.sessions() as session:
        stored = {p.product_id: p.colors for p in session.scalars(select(Product))}
    assert stored["fr-1"] == ["navy"] and stored["fr-2"] == ["black", "white"]
    assert stored["own-1"] and set(stored["own-1"]) <= set(COLOR_NAMES)  # the image's colours

    settings = make_settings(tmp_path / "own-words")
    own = Services(settings.model_copy(update={"integration": settings.integration.model_copy(
        update={"colour_words": {"Nuit d'été": "navy", "léopard": "beige"}})}))  # fmt: skip
    report = sync(own, f"{shop_server.url}/colours.xml")
    assert report.added == 4 and report.unknown_colours == {}
    with own.sessions() as session:
        stored = {p.product_id: p.colors for p in session.scalars(select(Product))}
    assert stored["own-1"] == ["navy"] and stored["own-2"] == ["navy", "beige"]


def test_colour_words_must_name_palette_colours() -> None:
    from pydantic import ValidationError

    from stylelens.config import IntegrationSettings

    with pytest.raises(ValidationError, match="teal"):
        IntegrationSettings(colour_words={"canard": "teal"})
