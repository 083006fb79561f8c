"""The real pages, served by uvicorn on 127.0.0.1, in headless Chromium (Debian's, via Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, text

from intel.settings import Settings
from tests.factories import PASSWORD, Seeded, seed
from tests.web.journey import CHROMIUM_ARGS, free_port, no_outside_requests, serve
from web.app import create_app

pytestmark = pytest.mark.browser
ARGS = CHROMIUM_ARGS
SECRET = "رأيت رجلاً يأخذ جوازات سفر الفتيات في سوق الجمعة"
_free_port = free_port  # other browser modules import these two from here
_no_outside_requests = no_outside_requests


@pytest.fixture
def live(sqlite_settings: Settings, sqlite_engine: Engine) -> Iterator[tuple[str, Seeded]]:
    seeded = seed(sqlite_engine)
    with serve(create_app(sqlite_settings)) as base:
        yield base, seeded


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield b
        b.close()


def _sign_in(page, base: str, name: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """Go to ``path`` as the public, get sent to the sign-in form, sign in, and land on ``path``."""
    page.goto(f"{base}{path}")
    assert page.url.startswith(f"{base}/signin?next=")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(f"{base}{path}")


def test_sign_in_approve_and_sign_out_in_the_browser(
    live: tuple[str, Seeded], browser: Browser, sqlite_engine: Engine
) -> None:
    base, seeded = live
    cid = seeded.rows.campaign.id
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/")
    page.click("#home-signin")
    page.fill("#name", "cleo")
    page.fill("#password", "not her password")
    page.click("#signin-submit")
    assert page.locator("#signin-error").inner_text() == "The user name or the password is wrong."
    assert context.cookies() == []
    _sign_in(page, base, "cleo", f"/campaigns/{cid}")
    [cookie] = context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("counterflow_session", True, "Lax")
    page.click("#approve")  # the form carries the CSRF token
    page.wait_for_selector("#approved-by")
    assert page.locator("#approved-by").inner_text() == "cleo"
    page.click("#signout")
    page.wait_for_url(f"{base}/")
    assert context.cookies() == []
    page.goto(f"{base}/campaigns/{cid}")
    assert page.url.startswith(f"{base}/signin?next=")
    context.close()
    with sqlite_engine.connect() as conn:
        actors = conn.execute(text("SELECT actor FROM auditevent WHERE action = 'campaign.approved'")).all()
    assert actors == [("cleo",)]


def test_arabic_tip_form_is_rtl_and_the_tip_lands_encrypted_and_attributed(
    reviewed: Path, live: tuple[str, Seeded], browser: Browser, sqlite_engine: Engine, tmp_path: Path
) -> None:
    base, seeded = live
    tripoli = seeded.rows.targets[1]
    code = seeded.rows.assets[(tripoli.id, "ar")].tracking_code
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    outside = _no_outside_requests(page, base)
    page.goto(f"{base}/t/{code}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("label[for=text]").inner_text() == "ماذا حدث؟"
    box = page.locator("h1").bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 1280
    assert box is not None and box["x"] + box["width"] > width / 2  # the heading sits on the right
    page.fill("#text", SECRET)
    page.fill("#place", "طرابلس")
    page.screenshot(path=str(tmp_path / "tip_form_ar.png"), full_page=True)
    page.click("#send")
    page.wait_for_selector("#thanks")
    assert page.locator("#thanks").inner_text() == "شكرًا لك. لقد تلقّينا بلاغك."
    assert context.cookies() == []
    assert outside == []
    context.close()
    with sqlite_engine.connect() as conn:
        raw, target_id, campaign_id, locale, place = conn.execute(
            text("SELECT text_encrypted, target_id, campaign_id, locale, place FROM tip")
        ).one()
    assert SECRET.encode() not in bytes(raw) and "رأيت".encode() not in bytes(raw)
    # the typed place is encrypted with the text; only a gazetteer town would be kept in clear, and
    # Tripoli is in Libya and in Lebanon: the target's country does not choose, the analyst does
    assert "طرابلس".encode() not in bytes(raw)
    assert (target_id, campaign_id, locale, place) == (tripoli.id, seeded.rows.campaign.id, "ar", None)


def test_an_analyst_triages_with_the_candidates_of_a_place_that_does_not_resolve(
    live: tuple[str, Seeded], browser: Browser, sqlite_engine: Engine, tmp_path: Path
) -> None:
    base, seeded = live
    code = seeded.rows.assets[(seeded.rows.targets[1].id, "ar")].tracking_code
    public = browser.new_context(locale="en-US")
    form = public.new_page()
    form.goto(f"{base}/t/{code}")
    form.fill("#text", SECRET)
    form.fill("#place", "طرابلس")
    form.click("#send")
    form.wait_for_selector("#thanks")
    public.close()
    with sqlite_engine.connect() as conn:
        tip_id = conn.execute(text("SELECT max(id) FROM tip")).scalar_one()
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    page = context.new_page()
    outside = _no_outside_requests(page, base)
    _sign_in(page, base, "ana", f"/tips/{tip_id}")
    assert page.locator("#place-given bdi").inner_text() == "طرابلس"
    choices = page.locator("#place-candidates label")
    assert choices.count() == 4 and choices.first.is_visible()
    assert choices.first.inner_text().strip() == "Tripoli (Tripoli, Libya)"
    assert page.locator("#language").input_value() == "ar"
    # a misspelt place: the form comes back with the error and the nearest place as a choice
    page.fill("#place", "Ekpomma")
    with page.expect_response(f"{base}/tips/{tip_id}/triage") as answer:
        page.click("#actionable")
    assert answer.value.status == 422
    assert page.locator("#triage-error").is_visible()
    assert "'Ekpomma' is not in the gazetteer" in page.locator("#triage-error").inner_text()
    assert page.locator("#place").input_value() == "Ekpomma"
    offered = page.locator("#place-candidates label").all_inner_texts()
    assert [o.strip() for o in offered[:2]] == ["Ekpoma (Edo State, Nigeria)", "Tripoli (Tripoli, Libya)"]
    page.screenshot(path=str(tmp_path / "triage_refused.png"), full_page=True)
    page.locator("#place-candidates input[type=radio]").first.check()
    page.click("#actionable")
    page.wait_for_selector("text=Became report")
    assert outside == []
    context.close()
    with sqlite_engine.connect() as conn:
        place, country = conn.execute(
            text("SELECT r.place, r.country FROM report r JOIN tip t ON t.report_id = r.id")
        ).one()
    assert (place, country) == ("Ekpoma", "NG")


def test_hotspot_page_shows_the_map_and_the_ranked_list(
    live: tuple[str, Seeded], browser: Browser, tmp_path: Path
) -> None:
    base, seeded = live
    context = browser.new_context(viewport={"width": 1200, "height": 1100})
    page = context.new_page()
    outside = _no_outside_requests(page, base)
    _sign_in(page, base, "ana", f"/hotspots/{seeded.run.id}")
    frame = page.frame_locator("#hotspot-map")
    frame.locator(".leaflet-container").wait_for()
    frame.locator("path.leaflet-interactive >> visible=true").first.wait_for()
    ranks = frame.locator(".cf-rank")  # the hotspot room's numbered markers
    ranks.first.wait_for()
    assert ranks.all_inner_texts() == ["1", "2", "3", "4"]
    places = page.locator("#ranked tbody tr td:nth-child(2)").all_inner_texts()
    assert places == ["Benin City", "Agadez", "Sabha", "Tripoli"]
    page.wait_for_timeout(300)
    page.screenshot(path=str(tmp_path / "hotspots.png"), full_page=True)
    assert outside == []
    context.close()


def test_outcomes_page_draws_charts(live: tuple[str, Seeded], browser: Browser, tmp_path: Path) -> None:
    base, seeded = live
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, base, "dina", f"/outcomes/{seeded.rows.campaign.id}")
    assert page.locator("#simulated").is_visible()
    bars = page.locator("#charts svg rect")
    assert bars.count() == 9  # 3 charts x 3 target-locales (no tips: zero-width bars still drawn)
    page.screenshot(path=str(tmp_path / "outcomes.png"), full_page=True)
    context.close()


def test_campaign_page_maps_every_target_on_the_route(
    live: tuple[str, Seeded], browser: Browser, tmp_path: Path
) -> None:
    base, seeded = live
    context = browser.new_context(viewport={"width": 1200, "height": 1100})
    page = context.new_page()
    outside = _no_outside_requests(page, base)
    _sign_in(page, base, "cam", f"/campaigns/{seeded.rows.campaign.id}")
    frame = page.frame_locator("#targets-map")
    frame.locator(".leaflet-container").wait_for()
    circles = frame.locator("path.cf-target")
    circles.first.wait_for()
    assert circles.count() == len(seeded.rows.targets)
    circles.first.dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "radius" in popup.inner_text() and "languages" in popup.inner_text()
    page.screenshot(path=str(tmp_path / "campaign.png"), full_page=True)
    assert outside == []
    context.close()
