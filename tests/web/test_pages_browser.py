"""Pages in headless Chromium: the API's docs from local files under the app's own CSP, and no
page that scrolls sideways on a 390 px phone, left to right or right to left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.factories import PASSWORD, Seeded
from tests.web.test_browser import browser, live  # noqa: F401  (the live server and Chromium)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _watch(page: Page, base: str) -> dict[str, list[str]]:
    """Record requests to anywhere but this server, console errors and CSP violations."""
    seen: dict[str, list[str]] = {"outside": [], "errors": [], "csp": []}

    def route(r: Any, request: Any) -> None:
        if request.url.startswith(base) or request.url.startswith(("data:", "about:", "blob:")):
            r.continue_()
        else:
            seen["outside"].append(request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    page.on(
        "console",
        lambda m: (
            seen["csp"].append(m.text)
            if "Content Security Policy" in m.text or "CSP violation" in m.text
            else None
        ),
    )
    return seen


def test_the_api_docs_render_their_operations_from_local_files(
    live: tuple[str, Seeded],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base, _ = live
    context = browser.new_context()
    page = context.new_page()
    seen = _watch(page, base)
    response = page.goto(f"{base}/docs")  # the address people try first
    assert response is not None and response.ok and page.url == f"{base}/api/docs"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "http" not in csp  # no CDN was let in
    page.locator(".opblock").first.wait_for(timeout=15000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/tips" in [s.replace("\u200b", "") for s in summaries]
    assert page.locator(".opblock").count() >= 8
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("counterflow")
    assert seen["outside"] == [] and seen["csp"] == [] and seen["errors"] == []
    context.close()


def _fits(page: Page, path: str, base: str) -> None:
    page.goto(f"{base}{path}")
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide on a {PHONE['width']} px phone"


def test_the_public_tip_form_fits_a_phone_in_english_and_in_arabic(
    reviewed: Path,  # the Arabic tip form is shown only once its catalog is reviewed
    live: tuple[str, Seeded],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base, seeded = live
    tripoli = seeded.rows.targets[1]
    code = seeded.rows.assets[(tripoli.id, "ar")].tracking_code
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    for path in ("/", "/tip", "/tip?lang=en", "/tip?lang=pcm", "/tip?lang=fr", "/signin"):
        _fits(page, path, base)
    for path in ("/tip?lang=ar", f"/t/{code}"):
        _fits(page, path, base)
        assert page.locator("html").get_attribute("dir") == "rtl"
    context.close()


@pytest.mark.parametrize(
    ("name", "paths"),
    [
        ("ana", ["/hotspots", "/hotspots/{run}", "/tips", "/imports", "/hotspots/new", "/figures"]),
        ("cleo", ["/campaigns", "/campaigns/{campaign}", "/outcomes/{campaign}"]),
        ("dina", ["/campaigns/{campaign}", "/outcomes/{campaign}", "/portfolio"]),
        ("root", ["/", "/tips", "/campaigns/{campaign}", "/portfolio", "/admin"]),
    ],
    ids=["analyst", "campaign manager", "director", "admin"],
)
def test_each_roles_main_pages_fit_a_phone(
    live: tuple[str, Seeded],  # noqa: F811
    browser: Browser,  # noqa: F811
    name: str,
    paths: list[str],
) -> None:
    base, seeded = live
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}/signin")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(f"{base}/")
    for path in paths:
        _fits(page, path.format(run=seeded.run.id, campaign=seeded.rows.campaign.id), base)
    context.close()
