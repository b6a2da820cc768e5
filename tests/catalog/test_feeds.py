"""Feeds are read item by item: good products come out, bad ones are rejected with a reason, never a crash."""

from __future__ import annotations

import io
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from stylelens.catalog.feeds import ColumnMapping, FeedError, FeedProduct, Rejection, detect_format, read_feed

G = 'xmlns:g="http://base.google.com/ns/1.0"'


def item(pid: str, *, price: str = "19.99 EUR", title: str = "Blue T-shirt", group: str = "", extra: str = "") -> str:
    group_xml = f"<g:item_group_id>{group}</g:item_group_id>" if group else ""
    return (
        f"<item><g:id>{pid}</g:id>{group_xml}<g:title>{title}</g:title><g:link>https://shop.example/{pid}</g:link>"
        f"<g:image_link>https://shop.example/{pid}.jpg</g:image_link><g:price>{price}</g:price>"
        f"<g:product_type>Women &gt; Tops</g:product_type>{extra}</item>"
    )


def xml_feed(*items: str, head: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f'{head}<rss version="2.0" {G}><channel>{"".join(items)}</channel></rss>'.encode()


def read(data: bytes, fmt: str, mapping: ColumnMapping | None = None) -> list[FeedProduct | Rejection]:
    return list(read_feed(io.BytesIO(data), fmt, shop_url="https://shop.example", mapping=mapping))


def test_merchant_xml_groups_variants_into_one_product() -> None:
    extra_s = "<g:size>S</g:size><g:quantity>3</g:quantity><g:gtin>04006381333931</g:gtin><g:color>navy</g:color>"
    extra_m = "<g:size>M</g:size><g:availability>out_of_stock</g:availability><g:sale_price>9.50 EUR</g:sale_price>"
    entries = read(
        xml_feed(item("A-S", group="A", extra=extra_s), item("A-M", group="A", extra=extra_m)), "merchant-xml"
    )
    assert len(entries) == 1 and isinstance(entries[0], FeedProduct)
    product = entries[0]
    assert product.product_id == "A" and product.product.category == "t-shirt"
    assert product.product.sizes == ("S", "M") and product.product.stock == {"S": 3, "M": 0}
    assert product.product.price == 9.5  # what a shopper pays: the lowest sale price
    assert [v.variant_id for v in product.variants] == ["A-S", "A-M"]
    assert product.variants[0].gtin == "04006381333931" and product.variants[1].sale_price == Decimal("9.50")
    assert product.product.colors == ("navy",)


def test_bad_items_are_rejected_one_by_one_and_the_rest_is_read() -> None:
    feed = xml_feed(
        item("ok-1"),
        item("neg", price="-5.00 EUR"),
        item("zero", price="0 EUR"),
        item("nan", price="NaN EUR"),
        item("no-title", title=""),
        "<item><g:id>no-image</g:id><g:title>Coat</g:title><g:price>50 EUR</g:price></item>",
        item("weird", extra="").replace("Women &gt; Tops", "Garden hoses").replace("Blue T-shirt", "Hose"),
        item("ok-2"),
    )
    entries = read(feed, "merchant-xml")
    assert [e.product_id for e in entries if isinstance(e, FeedProduct)] == ["ok-1", "ok-2"]
    reasons = {e.product_id: e.reason for e in entries if isinstance(e, Rejection)}
    assert set(reasons) == {"neg", "zero", "nan", "no-title", "no-image", "weird"}
    assert "positive" in reasons["neg"] and "title" in reasons["no-title"]
    assert "image_link" in reasons["no-image"] and "category" in reasons["weird"]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("malformed", xml_feed(item("ok-1")).replace(b"</channel>", b"<item><g:id>x</channel>"), "malformed XML"),
        (
            "billion laughs",
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<rss><channel><item><g:id>&lol2;</g:id></item></channel></rss>",
            "DTD",
        ),
        (
            "external entity",
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>',
            "DTD",
        ),
        ("wrong encoding", xml_feed(item("caf\xe9", title="Caf\xe9 T-shirt")).decode().encode("latin-1"), "malformed"),
    ],
)
def test_unsafe_or_broken_xml_ends_the_feed_with_a_reason(name: str, data: bytes, words: str) -> None:
    entries = read_feed(io.BytesIO(data), "merchant-xml", shop_url="https://shop.example")
    with pytest.raises(FeedError, match=words):
        list(entries)


def test_items_before_a_broken_spot_are_still_read() -> None:
    data = xml_feed(item("ok-1"), item("ok-2")).replace(b"</channel>", b"<item><oops></channel>")
    entries = read_feed(io.BytesIO(data), "merchant-xml", shop_url="https://shop.example")
    seen = []
    with pytest.raises(FeedError):
        for entry in entries:
            seen.append(entry.product_id)
    assert seen == ["ok-1", "ok-2"]


TSV_HEADER = "id\ttitle\tlink\timage_link\tprice\tproduct_type\tsize\n"


def tsv_row(pid: str, price: str = "12.00 EUR") -> str:
    return (
        f"{pid}\tGrey sweater\thttps://s.example/{pid}\thttps://s.example/{pid}.jpg\t{price}\tKnitwear > Pullover\tM\n"
    )


def test_merchant_tsv_rejects_long_lines_bad_utf8_and_negative_prices_line_by_line() -> None:
    data = (
        TSV_HEADER.encode()
        + tsv_row("t-1").encode()
        + b"t-2\t"
        + b"x" * (50 * 1024 * 1024)
        + b"\n"  # a 50 MB single line
        + "t-3\tPull \xe9t\xe9\thttps://s.example/3\thttps://s.example/3.jpg\t10 EUR\tPull\tM\n".encode("latin-1")
        + tsv_row("t-4", price="-3 EUR").encode()
        + b"t-5\tonly three\tcells\n"
        + tsv_row("t-6").encode()
    )
    tracemalloc.start()
    entries = read(data, "merchant-tsv")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [e.product_id for e in entries if isinstance(e, FeedProduct)] == ["t-1", "t-6"]
    rejected = {e.position: e.reason for e in entries if isinstance(e, Rejection)}
    assert set(rejected) == {"line 3", "line 4", "line 5", "line 6"}
    assert "over the 1 MB limit" in rejected["line 3"] and "UTF-8" in rejected["line 4"]
    assert "positive" in rejected["line 5"] and "columns" in rejected["line 6"]
    assert peak < 10 * 1024 * 1024  # the 50 MB line was never held (beyond the input buffer itself)


def test_the_50_mb_line_in_xml_is_rejected_as_one_item() -> None:
    huge = item("big").replace("<g:title>", "<g:description>" + "x" * (50 * 1024 * 1024) + "</g:description><g:title>")
    entries = read(xml_feed(item("ok-1"), huge, item("ok-2")), "merchant-xml")
    assert [e.product_id for e in entries if isinstance(e, FeedProduct)] == ["ok-1", "ok-2"]
    (rejected,) = [e for e in entries if isinstance(e, Rejection)]
    assert rejected.product_id == "big" and "description is over" in rejected.reason


def test_a_large_xml_feed_is_read_in_bounded_memory() -> None:
    def feed(n: int) -> bytes:
        return xml_feed(*(item(f"p-{i}") for i in range(n)))

    peaks = []
    for n in (2_000, 20_000):
        data = feed(n)
        tracemalloc.start()
        count = sum(1 for _ in read_feed(io.BytesIO(data), "merchant-xml", shop_url="https://s.example"))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == n
    assert peaks[1] < 2 * peaks[0] + 1024 * 1024  # 10x the items, not 10x the memory


SHOPIFY = {
    "products": [
        {
            "id": 632910392,
            "title": "Linen dress",
            "body_html": "<p>Light <b>linen</b> &amp; cotton</p>",
            "vendor": "Nordvik",
            "product_type": "Dresses",
            "handle": "linen-dress",
            "options": [{"name": "Size"}, {"name": "Color"}],
            "images": [{"src": "https://cdn.example/1.jpg"}, {"src": "https://cdn.example/2.jpg"}],
            "variants": [
                {
                    "id": 1,
                    "sku": "LD-S",
                    "price": "39.00",
                    "compare_at_price": "59.00",
                    "option1": "S",
                    "option2": "Red",
                    "inventory_quantity": 4,
                    "barcode": "1234567890123",
                },
                {"id": 2, "sku": "LD-M", "price": "59.00", "option1": "M", "option2": "Red", "inventory_quantity": -2},
            ],
        },
        {"id": 2, "title": "No variants", "images": [{"src": "https://cdn.example/x.jpg"}], "variants": []},
    ]
}


def test_shopify_products_json() -> None:
    entries = read(json.dumps(SHOPIFY).encode(), "shopify")
    product, rejected = entries
    assert isinstance(product, FeedProduct) and isinstance(rejected, Rejection)
    assert product.product_id == "632910392" and product.product.category == "dress"
    assert product.product.description_en == "Light  linen  & cotton"
    assert product.product.product_url == "https://shop.example/products/linen-dress"
    assert product.image_urls == ("https://cdn.example/1.jpg", "https://cdn.example/2.jpg")
    first, second = product.variants
    assert (first.price, first.sale_price, first.sku, first.size) == (Decimal("59.00"), Decimal("39.00"), "LD-S", "S")
    assert second.stock == 0 and product.product.stock == {"S": 4, "M": 0}
    assert "no variants" in rejected.reason


def test_shopify_json_lines_reject_bad_lines_only() -> None:
    good = json.dumps(SHOPIFY["products"][0])
    data = f'{good}\n{{"id": 5, "title": \n{good.replace("632910392", "7")}\n'.encode()
    entries = read(data, "shopify")
    assert [e.product_id for e in entries] == ["632910392", "?", "7"]


def test_generic_csv_through_a_column_mapping(tmp_path: Path) -> None:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(
        json.dumps(
            {
                "delimiter": ";",
                "currency": "EUR",
                "columns": {
                    "id": "SKU",
                    "item_group_id": "Parent",
                    "title": "Name",
                    "price": "Prix",
                    "link": "URL",
                    "image_link": "Photo",
                    "product_type": "Rayon",
                    "size": "Taille",
                },
                "categories": {"Rayon 12": "coat"},
            }
        )
    )
    data = (
        b"SKU;Parent;Name;Prix;URL;Photo;Rayon;Taille\n"
        b"C1-S;C1;Manteau laine;120,00;https://s.example/c1;https://s.example/c1.jpg;Rayon 12;S\n"
        b"C1-M;C1;Manteau laine;120,00;https://s.example/c1;https://s.example/c1.jpg;Rayon 12;M\n"
        b"C2;;Pull;-1;https://s.example/c2;https://s.example/c2.jpg;Rayon 12;M\n"
        b'"C3;;"broken\n'
    )
    entries = read(data, "csv", ColumnMapping.load(mapping_file))
    product = entries[0]
    assert isinstance(product, FeedProduct) and product.product_id == "C1"
    assert (
        product.product.category == "coat" and product.product.currency == "EUR" and product.product.sizes == ("S", "M")
    )
    assert all(isinstance(e, Rejection) for e in entries[1:]) and len(entries) == 3


def test_format_detection() -> None:
    assert detect_format("https://shop.example/feed.xml?key=1", b"") == "merchant-xml"
    assert detect_format("export", b"  <?xml") == "merchant-xml"
    assert detect_format("export", b'{"products": []}') == "shopify"
    assert detect_format("export", b"id\ttitle\n") == "merchant-tsv"
    assert detect_format("products.csv", b"SKU,Name") == "csv"


@pytest.mark.parametrize(
    ("colours", "expected"),
    [
        (["Bleu marine"], ("navy",)),
        (["Noir/Blanc"], ("black", "white")),
        (["off-white", "GRIS CHINÉ"], ("white", "grey")),
        (["Écru", "écru"], ("beige",)),
        (["bleu et blanc"], ("blue", "white")),
        (["navy & white"], ("navy", "white")),
        (["Multicolore"], ()),  # not a colour the palette can name: the image's colours
        (["Noir", "Léopard"], ()),  # one unknown name: all the image's, never half the shop's
    ],
)
def test_the_shops_colour_words_become_palette_names(colours: list[str], expected: tuple[str, ...]) -> None:
    items = [
        item(f"C-{i}", group="C", extra=f"<g:size>{size}</g:size><g:color>{escape(colour)}</g:color>")
        for i, (size, colour) in enumerate(zip(("S", "M"), colours * 2, strict=False))
    ]
    [product] = read(xml_feed(*items), "merchant-xml")
    assert isinstance(product, FeedProduct) and product.product.colors == expected
    assert {v.color for v in product.variants} == set(colours)  # each variant keeps the shop's own words


def test_every_palette_name_and_its_french_name_are_known() -> None:
    from stylelens.catalog.colour_names import palette_name
    from stylelens.vision.palette import COLOR_NAMES

    assert all(palette_name(name) == name for name in COLOR_NAMES)
    french = {"noir": "black", "blanc": "white", "gris": "grey", "marine": "navy", "bleu": "blue",
              "bleu ciel": "light blue", "vert": "green", "kaki": "khaki", "jaune": "yellow", "orange": "orange",
              "rouge": "red", "bordeaux": "burgundy", "rose": "pink", "violet": "purple", "marron": "brown",
              "beige": "beige"}  # fmt: skip
    assert {word: palette_name(word) for word in french} == french
    assert palette_name("sand") == "beige" and palette_name("violette") == "purple"  # no split inside a word
