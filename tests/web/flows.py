"""What a shopper does in the app, as reusable steps for the browser tests, and the checks run on every screen."""

from __future__ import annotations

import base64
import re
from typing import Any

AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the current screen."""
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return result.violations.map((v) => ({ id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
        }""",
        AXE_RULES,
    )
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in violations if v["impact"] in ("serious", "critical")]


def check_screen(page: Any, shots: Any, name: str, shot: str = "") -> None:
    """The screen is shown, photographed (as `shot`, default its name), and passes the accessibility scan."""
    page.wait_for_selector(f'main[data-screen="{name}"]')
    shots(page, shot or name)
    problems = accessibility_problems(page)
    assert not problems, f"accessibility problems on the {name} screen: {problems}"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the {name} screen scrolls sideways by {overflow} px"
    small = page.evaluate(
        """() => [...document.querySelectorAll('main button:not(.box), main a.button, nav a, main select, summary')]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
            .filter(([, r]) => r.height < 43.5 || r.width < 43.5).map(([t, r]) => `${t} ${r.width}x${r.height}`)"""
    )
    assert not small, f"touch targets under 44 px on the {name} screen: {small}"


def onboard(page: Any, *, personalisation: bool = False, analytics: bool = False) -> str:
    """First launch: consent to photo analysis (and what else is asked), continue; returns the session token."""
    page.goto("/")
    page.wait_for_selector('main[data-screen="welcome"]')
    page.check("#consent-photo_processing")
    if personalisation:
        page.check("#consent-personalisation")
    if analytics:
        page.check("#consent-analytics")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_selector('main[data-screen="camera"]')
    return str(page.evaluate("() => JSON.parse(localStorage.getItem('stylelens.v1')).session.token"))


def choose_photo(page: Any, photo: bytes, name: str = "photo.jpg", mime: str = "image/jpeg") -> None:
    with page.expect_file_chooser() as chooser:
        page.click("#choose-photo")
    chooser.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": photo}])


def watch_uploads(page: Any) -> None:
    """Keep a copy of each photo the app uploads (Playwright does not see blob request bodies), and each photo_id
    it sends instead."""
    page.evaluate(
        """() => {
            const send = window.fetch;
            window.uploads = [];
            window.photoIds = [];
            window.fetch = async (url, options = {}) => {
                if (options.body instanceof FormData && options.body.get("photo_id")) {
                    window.photoIds.push(options.body.get("photo_id"));
                }
                if (options.body instanceof FormData && options.body.get("image")) {
                    const bytes = new Uint8Array(await options.body.get("image").arrayBuffer());
                    window.uploads.push(btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join("")));
                }
                return send(url, options);
            };
        }"""
    )


def uploaded_images(page: Any) -> list[bytes]:
    return [base64.b64decode(b) for b in page.evaluate("() => window.uploads")]


def sent_photo_ids(page: Any) -> list[str]:
    return list(page.evaluate("() => window.photoIds"))


def card_prices(page: Any) -> list[float]:
    """The prices shown on the result cards, read as a shopper reads them ("39,99 €")."""
    texts = page.locator("#results-area .grid .price").all_inner_texts()
    return [float(re.sub(r"[^\d,.]", "", t).replace("\u202f", "").replace(",", ".")) for t in texts]
