"""The shopper app in a real mobile browser: the real service over a small demo catalog on a loopback port,
and Debian's Chromium driven by Playwright in Pixel 7 and iPhone 13 emulation, with axe-core at hand."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web.live import AXE, CATALOG_SIZE, CHROMIUM, CHROMIUM_ARGS, DEVICES, LiveServer, WebShop

from stylelens.catalog.demo_feed import demo_catalog_items
from stylelens.config import Settings
from stylelens.services import Services

playwright_sync = pytest.importorskip("playwright.sync_api")
# Wait (at most 5 s) for the pictures already loading; lazy ones below the fold never start, so skip them.
IMAGES_SHOWN = """() => Promise.race([
    Promise.all([...document.images].filter((i) => i.loading !== "lazy" && !i.complete)
        .map((i) => i.decode().catch(() => 0))),
    new Promise((done) => setTimeout(done, 5000)),
])"""


@pytest.fixture(scope="session")
def web_services(tmp_path_factory: pytest.TempPathFactory, make_settings: Callable[[Path], Settings]) -> Services:
    settings = make_settings(tmp_path_factory.mktemp("web-shop"))
    # Every emulated phone comes from 127.0.0.1: lift the per-address sign-in limit meant for real clients.
    settings.security.sign_in_per_minute = 1000
    services = Services(settings)
    services.ingestor.ingest(demo_catalog_items(7, CATALOG_SIZE, settings.catalog.shop_url))
    return services


@pytest.fixture(scope="session")
def web_shop(web_services: Services) -> Iterator[WebShop]:
    server = LiveServer(web_services.settings, web_services)
    yield WebShop(server.url, web_services, web_services.settings)
    server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    with playwright_sync.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def device_profiles(playwright: Any) -> dict[str, dict[str, Any]]:
    """Playwright's Pixel 7 and iPhone 13 descriptors, minus the browser they name (we always use Chromium)."""
    profiles = {}
    for name in DEVICES:
        profile = dict(playwright.devices[name])
        profile.pop("default_browser_type", None)
        profiles[name] = profile
    return profiles


@pytest.fixture(params=DEVICES, ids=lambda name: name.replace(" ", "-").lower())
def device(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def shots(tmp_path: Path, device: str) -> Callable[[Any, str], Path]:
    """Save a screenshot of a screen: to the test's folder, or to STYLELENS_SCREENSHOTS_DIR (scripts/screenshots.py)."""
    folder = Path(os.environ.get("STYLELENS_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    prefix = device.replace(" ", "-").lower()

    def take(page: Any, screen: str) -> Path:
        path = folder / f"{prefix}-{screen}.png"
        page.wait_for_load_state("networkidle")
        page.evaluate(IMAGES_SHOWN)
        page.screenshot(path=str(path), full_page=False)
        return path

    return take


@pytest.fixture
def context(browser: Any, device_profiles: dict[str, dict[str, Any]], device: str, web_shop: WebShop) -> Iterator[Any]:
    ctx = browser.new_context(**device_profiles[device], base_url=web_shop.url, locale="fr-FR", accept_downloads=True)
    ctx.add_init_script(path=str(AXE))  # init scripts are not subject to the page's CSP
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    policy = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not policy, f"the app broke its Content-Security-Policy: {policy}"
    crashes = [p for p in problems if "Failed to load resource" not in p and "net::" not in p]
    assert not crashes, f"JavaScript errors: {crashes}"
