"""A stand-in for Fashion-Insta's shop on loopback: a Merchant Center feed of N products and their images.

Products are generated from a seed (two size variants each, a small 64..128 px garment-like image), can be
changed and deleted, and the server counts the image requests it answers, so tests can check that a sync
fetched only what changed. Used by tests/catalog and benchmarks/.
"""

from __future__ import annotations

import hashlib
import io
import random
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from stylelens.services import Services
from stylelens.storage.integration_models import CatalogListing, ProductVariant
from stylelens.storage.models import Product

KINDS = (("T-shirt", "t-shirt"), ("Trousers", "trousers"), ("Dress", "dress"), ("Coat", "coat"), ("Bag", "bag"))
COLOURS = ((200, 30, 40), (30, 60, 160), (20, 20, 20), (240, 200, 40), (40, 140, 70), (150, 90, 50), (230, 120, 170))


@dataclass(frozen=True)
class ShopProduct:
    product_id: str
    title: str
    kind: str
    price: str
    stock: tuple[int, int]
    image_version: int = 0
    sale_price: str = ""


@dataclass
class Shop:
    """The shop's catalog, its feed and its images; thread-safe enough for a loopback server."""

    products: dict[str, ShopProduct]
    seed: int = 1
    image_hits: Counter[str] = field(default_factory=Counter)
    broken_images: set[str] = field(default_factory=set)  # product ids whose image answers 500
    _images: dict[tuple[str, int], bytes] = field(default_factory=dict)

    @classmethod
    def generate(cls, n: int, seed: int = 1) -> Shop:
        rng = random.Random(seed)
        products = {}
        for i in range(n):
            name, _ = KINDS[i % len(KINDS)]
            pid = f"FI-{i:06d}"
            price = f"{rng.randint(10, 200)}.{rng.randint(0, 99):02d}"
            products[pid] = ShopProduct(pid, f"{name} {i}", name, price, (rng.randint(0, 5), rng.randint(0, 5)))
        return cls(products, seed)

    def change(self, fraction_changed: float, fraction_deleted: float, seed: int = 2) -> dict[str, set[str]]:
        """Edit the catalog as a day of shop work would: new prices/titles, new photos, deletions."""
        rng = random.Random(seed)
        ids = sorted(self.products)
        rng.shuffle(ids)
        n_changed, n_deleted = round(len(ids) * fraction_changed), round(len(ids) * fraction_deleted)
        changed, deleted = ids[:n_changed], ids[n_changed : n_changed + n_deleted]
        images = set(changed[: n_changed // 2])
        for pid in changed:
            p = self.products[pid]
            if pid in images:
                self.products[pid] = replace(p, image_version=p.image_version + 1)
            else:
                self.products[pid] = replace(p, price=f"{float(p.price) + 1:.2f}", title=p.title + " (new season)")
        for pid in deleted:
            del self.products[pid]
        return {"images": images, "details": set(changed) - images, "deleted": set(deleted)}

    def image(self, product_id: str, version: int) -> bytes:
        key = (product_id, version)
        if key not in self._images:
            self._images[key] = _garment_png(f"{self.seed}:{product_id}:{version}")
        return self._images[key]

    def write_static(self, folder: Path, base_url: str) -> None:
        """The feed and every current image as files, for a plain static file server (benchmarks)."""
        (folder / "images").mkdir(parents=True, exist_ok=True)
        for p in self.products.values():
            path = folder / "images" / f"{p.product_id}-v{p.image_version}.png"
            if not path.exists():
                path.write_bytes(self.image(p.product_id, p.image_version))
                self._images.pop((p.product_id, p.image_version), None)
        (folder / "feed.xml").write_bytes(self.merchant_xml(base_url))

    def merchant_xml(self, base_url: str) -> bytes:
        head = '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
        parts = [head, "<channel><title>Fashion-Insta</title>"]
        for p in self.products.values():
            for size, stock in zip(("S", "M"), p.stock, strict=True):
                parts.append(
                    f"<item><g:id>{p.product_id}-{size}</g:id><g:item_group_id>{p.product_id}</g:item_group_id>"
                    f"<g:title>{escape(p.title)}</g:title><g:description>A {p.kind.lower()}.</g:description>"
                    f"<g:link>{base_url}/products/{p.product_id}</g:link>"
                    f"<g:image_link>{base_url}/images/{p.product_id}-v{p.image_version}.png</g:image_link>"
                    f"<g:price>{p.price} EUR</g:price><g:brand>Nordvik</g:brand>"
                    f"<g:product_type>Women &gt; {p.kind}</g:product_type><g:size>{size}</g:size>"
                    f"<g:quantity>{stock}</g:quantity><g:gtin>{_gtin(p.product_id + size)}</g:gtin>"
                    "</item>"
                )
        parts.append("</channel></rss>")
        return "\n".join(parts).encode()


def _gtin(key: str) -> str:
    return f"{zlib.crc32(key.encode()):013d}"


def _garment_png(key: str) -> bytes:
    rng = random.Random(key)
    side = rng.randint(64, 128)
    image = Image.new("RGB", (side, side), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    colour = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in rng.choice(COLOURS))
    m = side // 6
    box = (m + rng.randint(0, m), m + rng.randint(0, m), side - m - rng.randint(0, m), side - m - rng.randint(0, m))
    if rng.random() < 0.5:
        draw.rectangle(box, fill=colour)  # type: ignore[arg-type]
    else:
        draw.ellipse(box, fill=colour)  # type: ignore[arg-type]
    for _ in range(rng.randint(0, 4)):  # a pattern
        y = rng.randint(box[1], box[3])
        draw.line((box[0], y, box[2], y), fill=(255, 255, 255), width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ShopServer:
    """Serves a Shop on 127.0.0.1: /feed.xml, /images/<id>-v<version>.png."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        handler = _handler_for(self)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.extra: dict[str, tuple[int, str, bytes]] = {}  # path -> (status, content type, body)
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ShopServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler_for(server: ShopServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            shop = server.shop
            if self.path in server.extra:
                self._send(*server.extra[self.path])
            elif self.path == "/feed.xml":
                self._send(200, "application/xml", shop.merchant_xml(server.url))
            elif self.path.startswith("/images/") and self.path.endswith(".png"):
                pid, _, version = self.path[len("/images/") : -4].rpartition("-v")
                shop.image_hits[pid] += 1
                if pid in shop.broken_images:
                    self._send(500, "text/plain", b"oops")
                else:
                    self._send(200, "image/png", shop.image(pid, int(version)))
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def assert_catalog_matches(services: Services, shop: Shop) -> None:
    """Every product of the feed, as the feed says it, with its current image, once, and in the index."""
    with services.sessions() as session:
        rows = {p.product_id: p for p in session.scalars(select(Product))}
        listings = {x.product_id: x for x in session.scalars(select(CatalogListing))}
        variants = session.scalar(select(func.count()).select_from(ProductVariant))
    assert set(rows) == set(shop.products)
    assert variants == 2 * len(shop.products)
    for pid, expected in shop.products.items():
        row = rows[pid]
        assert (row.title_en, row.price) == (expected.title, Decimal(expected.price)), pid
        assert row.stock == {"S": expected.stock[0], "M": expected.stock[1]}, pid
        image = shop.image(pid, expected.image_version)
        assert listings[pid].image_digest == hashlib.sha256(image).hexdigest(), pid
    assert services.index.labels() == {row.pk for row in rows.values()}
    assert len(services.index) == len(rows)
