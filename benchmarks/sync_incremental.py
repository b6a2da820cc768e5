"""An incremental catalog sync against a full one, on the same shop, in the same run.

A static HTTP server process on loopback plays the shop: a Merchant Center XML feed of N products (10,000 by
default, two variants each) and their images. A full sync from empty, then the shop changes 5% of its products
(half new photos, half new prices/titles) and deletes 1%, and an incremental sync follows. Prints both times,
their ratio, how many images each fetched, and the machine. The catalog is checked against the feed after each.

    .venv/bin/python benchmarks/sync_incremental.py [--products 10000] [--shop-protocol HTTP/1.1|HTTP/1.0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, "benchmarks")
from _common import machine  # noqa: E402
from _shop import add_shop_protocol, fresh_services, static_server  # noqa: E402
from shop_server import Shop, assert_catalog_matches  # noqa: E402

from stylelens.catalog.sync import sync_source  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    add_shop_protocol(parser)
    args = parser.parse_args()
    services = fresh_services()
    services.embedder.load()
    shop = Shop.generate(args.products)
    folder = Path(tempfile.mkdtemp(prefix="stylelens-shop-"))
    with static_server(folder, args.shop_protocol) as url:
        shop.write_static(folder, url)
        started = time.perf_counter()
        full = sync_source(services.catalog_sync, f"{url}/feed.xml", shop_url=url, max_bytes=10**10)
        full_s = time.perf_counter() - started
        assert_catalog_matches(services, shop)

        changes = shop.change(fraction_changed=0.05, fraction_deleted=0.01)
        shop.write_static(folder, url)
        started = time.perf_counter()
        incremental = sync_source(services.catalog_sync, f"{url}/feed.xml", shop_url=url, max_bytes=10**10)
        incremental_s = time.perf_counter() - started
        assert_catalog_matches(services, shop)

    print(f"machine: {machine()}; the shop answering {args.shop_protocol}")
    print(f"full sync from empty, {args.products} products: {full_s:.1f} s ({full.summary()})")
    print(
        f"incremental sync ({len(changes['images'])} new photos, {len(changes['details'])} detail changes, "
        f"{len(changes['deleted'])} deletions): {incremental_s:.1f} s ({incremental.summary()})"
    )
    print(f"incremental / full: {incremental_s / full_s:.3f} ({full_s / incremental_s:.1f}x faster)")
    print("catalog and index match the feed exactly after both syncs")


if __name__ == "__main__":
    main()
