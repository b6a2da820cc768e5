"""The shopper app end to end in Pixel 7 and iPhone 13 emulation: consent, photo search, filters, the product
sheet, feedback, the feed, the profile, data export, account deletion; every screen scanned by axe-core."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select
from web.flows import (
    card_prices,
    check_screen,
    choose_photo,
    onboard,
    sent_photo_ids,
    uploaded_images,
    watch_uploads,
)
from web.live import AXE, CHROMIUM, CHROMIUM_ARGS, LiveServer, WebShop, photo_of

from stylelens.storage.integration_models import ShopperEvent


def consents_on_server(web_shop: WebShop, token: str) -> dict[str, bool]:
    status, body = web_shop.api("GET", "/v1/me/consents", token)
    assert status == 200, body
    return {c["purpose"]: c["granted"] for c in json.loads(body)}


def test_onboarding_asks_each_consent_separately_and_requires_only_photo_analysis(
    page: Any, web_shop: WebShop, shots: Any
) -> None:
    page.goto("/")
    check_screen(page, shots, "welcome")
    boxes = page.locator("main input[type=checkbox]")
    assert boxes.count() == 3
    assert not any(boxes.nth(i).is_checked() for i in range(3)), "nothing may be ticked in advance"

    page.get_by_role("button", name="Continuer").click()
    assert page.get_by_role("alert").inner_text().startswith("Pour chercher avec une photo")
    assert page.evaluate("() => localStorage.getItem('stylelens.v1')") is None

    page.check("#consent-photo_processing")
    page.check("#consent-analytics")
    page.get_by_role("button", name="Continuer").click()
    check_screen(page, shots, "camera")
    token = page.evaluate("() => JSON.parse(localStorage.getItem('stylelens.v1')).session.token")
    assert consents_on_server(web_shop, token) == {
        "photo_processing": True,
        "personalisation": False,
        "analytics": True,
    }


def test_photo_is_shrunk_and_stripped_then_garments_results_filter_and_refine(
    page: Any, web_shop: WebShop, shots: Any
) -> None:
    photo, product = photo_of(web_shop, 3)
    assert Image.open(io.BytesIO(photo)).getexif().get(0x010F) == "PhoneMaker"
    onboard(page)
    watch_uploads(page)
    choose_photo(page, photo)
    page.wait_for_selector("main[data-screen=garments]")
    upload = Image.open(io.BytesIO(uploaded_images(page)[0]))
    assert max(upload.size) == 1024, upload.size
    assert not upload.getexif(), "the photo left the phone with its metadata"

    check_screen(page, shots, "garments")
    assert page.locator(".photo-frame .box").count() >= 1
    page.locator("button.garment").first.click()
    check_screen(page, shots, "results")
    found = page.locator("#results-area .grid a").evaluate_all("(links) => links.map((a) => a.dataset.product)")
    assert product["product_id"] in found[:5], "the photographed product should be among the first results"

    ceiling = sorted(card_prices(page))[len(found) // 2]
    page.get_by_text("Filtres").click()
    page.fill("#filter-max-price", str(int(ceiling)))
    page.check("#filter-in-stock")
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_selector("#results-area .grid, #results-area .notice")
    prices = card_prices(page)
    assert prices and all(p <= int(ceiling) for p in prices), prices
    # The filtered search named the photo by the id of the first answer: it was not uploaded again.
    assert len(uploaded_images(page)) == 1 and len(sent_photo_ids(page)) == 1
    assert re.fullmatch("[0-9a-f]{64}", sent_photo_ids(page)[0])
    shots(page, "results-filtered")

    first_price = prices[0]
    page.get_by_role("button", name="Moins cher").click()
    page.wait_for_selector("text=mais : Moins cher")
    cheaper = card_prices(page)
    assert cheaper and all(p < first_price for p in cheaper), (first_price, cheaper)


def test_product_sheet_sizes_cart_like_and_complete_the_look(page: Any, web_shop: WebShop, shots: Any) -> None:
    token = onboard(page, personalisation=True)
    status, body = web_shop.api("GET", "/v1/products?limit=40&category=sweater")
    item = next(p for p in json.loads(body)["data"] if p["in_stock"] and len(p["sizes"]) > 1)
    page.goto(f"/#/product/{item['product_id']}")
    page.wait_for_selector(".strip a")  # complete the look and similar items have arrived
    check_screen(page, shots, "product")
    assert page.locator("h1").inner_text() == item["title"]
    assert page.locator(".sizes input").count() == len(item["sizes"])
    sold_out = [s for s in item["sizes"] if item["stock"][s] == 0]
    for size in sold_out:
        assert page.locator(f'.sizes input[value="{size}"]').is_disabled()

    page.click("#add-to-cart")
    assert page.get_by_role("alert").inner_text() == "Choisissez une taille."
    size = next(s for s in item["sizes"] if item["stock"][s] > 0)
    page.locator(f'.sizes label[for="size-{size}"]').click()
    page.click("#add-to-cart")
    page.wait_for_selector("#toast:has-text('Ajouté au panier')")
    shop_link = page.get_attribute("#open-shop", "href")
    assert (
        shop_link.split("?")[0] == item["product_url"].split("?")[0]
        and "utm_source=stylelens" in shop_link
        and f"size={size}" in shop_link
    )

    with page.expect_response("**/v1/events"):
        page.get_by_role("button", name="J'aime").click()
    page.wait_for_function(
        "() => document.querySelector('[data-feedback=liked]').getAttribute('aria-pressed') === 'true'"
    )
    shopper = json.loads(web_shop.api("GET", "/v1/me", token)[1])["id"]
    with web_shop.services.sessions() as session:
        kinds = set(session.scalars(select(ShopperEvent.type).where(ShopperEvent.shopper_ref == shopper)))
    assert {"like", "add_to_cart", "view"} <= kinds

    page.locator("nav a", has_text="Historique").click()
    check_screen(page, shots, "history")
    assert page.locator("#history-history_liked + ul").inner_text().strip() == item["title"]

    page.locator("nav a", has_text="Pour vous").click()
    page.wait_for_selector("main .grid a")
    check_screen(page, shots, "for-you")


def test_profile_sizes_how_it_works_export_and_account_deletion(page: Any, web_shop: WebShop, shots: Any) -> None:
    token = onboard(page)
    page.locator("nav a", has_text="Profil").click()
    page.wait_for_selector("main[data-screen=profile] section p")
    check_screen(page, shots, "profile")
    page.select_option("#my-size-top", "M")
    page.select_option("#my-size-shoes", "41")
    page.get_by_role("button", name="Enregistrer mes tailles").click()
    page.wait_for_selector("#toast:has-text('Tailles enregistrées')")
    me = json.loads(web_shop.api("GET", "/v1/me", token)[1])
    assert me["sizes"] == {"top": "M", "shoes": "41"}

    page.get_by_role("link", name="Comment fonctionnent les recommandations").click()
    check_screen(page, shots, "how")
    page.go_back()
    page.wait_for_selector("main[data-screen=profile]")

    with page.expect_download() as download:
        page.click("#download-data")
    with zipfile.ZipFile(download.value.path()) as archive:
        exported = json.loads(archive.read("shopper.json"))
    assert me["id"] in json.dumps(exported)

    page.click("#delete-account")
    shots(page, "delete-confirm")
    page.click("#confirm-delete")
    page.wait_for_selector("main[data-screen=welcome]")
    assert page.evaluate("() => localStorage.getItem('stylelens.v1')") is None
    assert web_shop.api("GET", "/v1/me", token)[0] == 401


def test_errors_say_what_happened_and_offer_a_way_forward(
    page: Any, context: Any, web_shop: WebShop, shots: Any
) -> None:
    photo, _ = photo_of(web_shop, 5, side=800)
    onboard(page)
    context.set_offline(True)
    choose_photo(page, photo)
    alert = page.locator("[data-error=offline]")
    alert.wait_for()
    assert "Pas de connexion" in alert.inner_text()
    shots(page, "error-offline")
    context.set_offline(False)
    page.get_by_role("button", name="Réessayer").click()
    page.wait_for_selector("main[data-screen=garments]")

    page.goto("/#/camera")
    blank = io.BytesIO()
    Image.new("RGB", (800, 600), (236, 236, 236)).save(blank, format="JPEG")
    choose_photo(page, blank.getvalue())
    page.locator("[data-error=no_garment]").wait_for()
    assert "Aucun vêtement trouvé" in page.locator("[data-error]").inner_text()

    page.goto("/#/camera")
    choose_photo(page, b"\0" * (16 * 1024 * 1024), name="IMG_0001.HEIC", mime="image/heic")
    page.locator("[data-error=too_large]").wait_for()
    page.get_by_role("button", name="Prendre une autre photo").click()
    page.wait_for_selector("#choose-photo")


def test_a_photo_the_service_has_forgotten_is_sent_again_on_a_filter_change(page: Any, web_shop: WebShop) -> None:
    photo, _ = photo_of(web_shop, 7)
    onboard(page)
    watch_uploads(page)
    choose_photo(page, photo)
    page.wait_for_selector("main[data-screen=garments]")
    page.locator("button.garment").first.click()
    page.wait_for_selector("#results-area .grid")
    forgotten: list[str] = []

    def forget(route: Any) -> None:  # the service restarted, or the shopper came back after its memory's minutes
        if b'name="photo_id"' in (route.request.post_data_buffer or b""):
            forgotten.append(route.request.url)
            body = {"type": "about:blank", "title": "Photo no longer remembered", "status": 410, "detail": "again"}
            route.fulfill(status=410, content_type="application/problem+json", body=json.dumps(body))
        else:
            route.continue_()

    page.route("**/v1/search", forget)
    page.get_by_text("Filtres").click()
    page.check("#filter-in-stock")
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_selector("#results-area .grid")
    assert len(forgotten) == 1 and len(uploaded_images(page)) == 2  # asked by id, then the photo sent again
    assert not page.locator("[data-error]").count()


def test_app_shell_opens_with_the_network_off(
    browser: Any, device_profiles: dict[str, Any], device: str, web_services: Any, shots: Any
) -> None:
    server = LiveServer(web_services.settings, web_services)  # its own server, to switch it off for real
    context = browser.new_context(**device_profiles[device], base_url=server.url, locale="fr-FR")
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        onboard(page)
        page.wait_for_function(
            "async () => !!(await navigator.serviceWorker.ready).active && !!navigator.serviceWorker.controller"
        )
        server.stop()
        context.set_offline(True)
        answer = page.reload()
        assert answer is not None and answer.from_service_worker
        check_screen(page, shots, "camera", shot="offline")
        assert page.locator("#offline").is_visible()
        assert page.locator("nav a").count() == 4
    finally:
        context.close()
        server.stop()


def test_small_360_by_640_screen_needs_no_sideways_scrolling(browser: Any, web_shop: WebShop, tmp_path: Path) -> None:
    def shots(page: Any, name: str) -> None:
        page.screenshot(path=str(tmp_path / f"360x640-{name}.png"))

    context = browser.new_context(
        viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, base_url=web_shop.url, locale="fr-FR"
    )
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        page.goto("/")
        check_screen(page, shots, "welcome")
        onboard(page)
        for tab, screen in (("Pour vous", "for-you"), ("Profil", "profile"), ("Photo", "camera")):
            page.locator("nav a", has_text=tab).click()
            check_screen(page, shots, screen)
        page.locator("nav a", has_text="Pour vous").click()
        page.locator("main .grid a").first.click()
        page.wait_for_selector(".strip a")
        check_screen(page, shots, "product")
    finally:
        context.close()


def test_rear_camera_frame_is_captured_shrunk_and_searched(playwright: Any, web_shop: WebShop, tmp_path: Path) -> None:
    fake_camera = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    camera_browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + fake_camera)
    try:
        profile = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
        context = camera_browser.new_context(**profile, base_url=web_shop.url, locale="fr-FR")
        page = context.new_page()
        onboard(page)
        watch_uploads(page)
        page.click("#take-photo")
        page.wait_for_function("() => document.querySelector('video')?.videoWidth > 0")
        page.click("#shoot")
        page.wait_for_selector("main[data-screen=garments], [data-error]")
        frame = Image.open(io.BytesIO(uploaded_images(page)[0]))
        assert frame.format == "JPEG" and max(frame.size) <= 1024 and not frame.getexif()
        page.screenshot(path=str(tmp_path / "camera-shot.png"))
    finally:
        camera_browser.close()


def test_french_by_default_english_on_request(page: Any, shots: Any) -> None:
    page.goto("/")
    page.wait_for_selector("main[data-screen=welcome]")
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    assert page.locator("h1").inner_text() == "Bienvenue sur StyleLens"
    page.select_option("#language", "en")
    page.wait_for_selector("h1:has-text('Welcome to StyleLens')")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.check("#consent-photo_processing")
    page.get_by_role("button", name="Continue").click()
    check_screen(page, shots, "camera", shot="camera-en")
    assert page.get_by_role("button", name="Choose from gallery").is_visible()
