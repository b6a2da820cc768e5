"""POST /v1/search: a shopper's photo of a catalog item finds that item, with garments and reasons."""

from __future__ import annotations

from fastapi.testclient import TestClient
from PIL import Image
from shopper_photos import jpeg_bytes, rephotograph

from stylelens.catalog.demo import demo_products
from stylelens.services import Services
from stylelens.vision.palette import PALETTE

SAMPLE = list(range(0, 2400, 120))  # 20 products spread over the whole demo catalog


def demo_image(services: Services, product_id: str) -> Image.Image:
    import io

    return Image.open(io.BytesIO(services.blobs.get(f"products/{product_id}.jpg"))).convert("RGB")


def search(client: TestClient, photo: bytes, **fields: object) -> dict:
    response = client.post("/v1/search", files={"image": ("photo.jpg", photo, "image/jpeg")}, data=fields)
    assert response.status_code == 200, response.text
    return response.json()


def test_rephotographed_demo_products_are_found_in_the_top_10(client: TestClient, demo_services: Services) -> None:
    products = [item.product for i, item in enumerate(demo_products(seed=7, count=2400)) if i in SAMPLE]
    ranks = []
    for product in products:
        photo = rephotograph(demo_image(demo_services, product.product_id), angle=10, quality=70)
        ids = [r["product_id"] for r in search(client, photo, limit=10)["results"]]
        ranks.append(ids.index(product.product_id) if product.product_id in ids else None)
    assert all(rank is not None for rank in ranks), ranks


def test_answer_describes_the_garment_and_explains_results(client: TestClient, demo_services: Services) -> None:
    product = next(demo_products(seed=7, count=1)).product
    image = demo_image(demo_services, product.product_id)
    answer = search(client, jpeg_bytes(image), limit=5)
    garment = answer["garments"][0]
    assert garment["category"]["label"] == product.category
    assert 0 < garment["category"]["score"] <= 1
    assert garment["colors"][0]["name"] == product.colors[0]
    assert all(PALETTE[c["name"]] == c["hex"] for c in garment["colors"])
    region = garment["region"]
    assert region["x"] >= 0 and region["y"] >= 0
    assert region["x"] + region["w"] <= image.width and region["y"] + region["h"] <= image.height
    assert 0.1 * image.width < region["w"] < image.width
    results = answer["results"]
    assert len(results) == 5 and results[0]["product_id"] == product.product_id
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert all(r["reasons"] and r["image_url"].startswith("http") and r["currency"] == "EUR" for r in results)
    assert client.get(results[0]["image_url"]).headers["content-type"] == "image/jpeg"


def test_filters_restrict_results(client: TestClient, demo_services: Services) -> None:
    product = next(demo_products(seed=7, count=1)).product
    photo = jpeg_bytes(demo_image(demo_services, product.product_id))
    answer = search(client, photo, limit=15, category="dress", color="red", max_price=80, in_stock="true")
    assert answer["results"], "the demo catalog has red dresses under 80 EUR in stock"
    for result in answer["results"]:
        detail = client.get(f"/v1/products/{result['product_id']}").json()
        assert detail["category"] == "dress" and "red" in detail["colors"]
        assert detail["price"] <= 80 and detail["in_stock"]


def test_limit_and_language(client: TestClient, demo_services: Services) -> None:
    product = next(demo_products(seed=7, count=1)).product
    photo = jpeg_bytes(demo_image(demo_services, product.product_id))
    assert len(search(client, photo, limit=3)["results"]) == 3
    assert search(client, photo, limit=1, lang="en")["results"][0]["title"] == product.title_en
    assert search(client, photo, limit=1)["results"][0]["title"] == product.title_fr


def test_the_same_photo_is_searched_again_by_its_photo_id_without_sending_it(
    client: TestClient, demo_services: Services
) -> None:
    product = next(demo_products(seed=7, count=1)).product
    photo = rephotograph(demo_image(demo_services, product.product_id), angle=10, quality=70)
    first = search(client, photo, limit=10)
    assert len(first["photo_id"]) == 64
    by_id = client.post("/v1/search", data={"photo_id": first["photo_id"], "limit": "10", "max_price": "60"})
    assert by_id.status_code == 200, by_id.text
    filtered = search(client, photo, limit=10, max_price=60)
    assert by_id.json() == filtered and by_id.json()["garments"] == first["garments"]
    assert all(r["price"] <= 60 for r in filtered["results"])


def test_a_photo_id_the_service_does_not_remember_asks_for_the_photo_again(client: TestClient) -> None:
    cases = [
        ({"photo_id": "ab" * 32}, 410, "send it again"),  # expired, or never searched
        ({"photo_id": "not-hex"}, 422, "photo_id"),
        ({"photo_id": "ab" * 32, "box": "1,1,40,40"}, 422, "box"),
    ]
    for fields, status, words in cases:
        response = client.post("/v1/search", data=fields)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.json()["detail"]
    both = client.post(
        "/v1/search", files={"image": ("p.jpg", jpeg_bytes(Image.new("RGB", (64, 64)), 80), "image/jpeg")},
        data={"photo_id": "ab" * 32},
    )  # fmt: skip
    assert both.status_code == 422 and "not both" in both.json()["detail"]
