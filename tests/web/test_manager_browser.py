"""The campaign manager's journey in headless Chromium against a real server, on SQLite and on
PostgreSQL: from a hotspot run to a plan (one target dropped), the preflight changing inline as a
field changes (the page's own script, under the app's CSP), an edit, one locale's copy reviewed,
the calendar, and the draft submitted for approval; on a 390 px wide screen."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import AuditEvent, Campaign, Target
from intel.settings import Settings
from tests.factories import PASSWORD, Seeded, seed
from tests.web.test_browser import _free_port, browser  # noqa: F401  (Chromium)
from tests.web.test_pages_browser import _watch
from web.app import create_app

pytestmark = pytest.mark.browser
NEXT_YEAR = dt.date.today().year + 1


@pytest.fixture
def live_store(settings: Settings, engine: Engine) -> Iterator[tuple[str, Seeded]]:
    """A live server on the parametrised store (SQLite, PostgreSQL), seeded."""
    seeded = seed(engine)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=_free_port(), access_log=False, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}", seeded
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _fits(page: Page) -> None:
    """Nothing wider than the 390 px screen (wide tables scroll inside their own box)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_campaign_manager_plans_edits_reviews_and_submits_in_the_browser(
    live_store: tuple[str, Seeded],
    browser: Browser,  # noqa: F811
    engine: Engine,
) -> None:
    base, seeded = live_store
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    seen = _watch(page, base)
    page.goto(f"{base}/signin")
    page.fill("#name", "cam")
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/hotspots/{seeded.run.id}")
    page.click("#plan-campaign")
    page.wait_for_url(f"{base}/campaigns/new?run={seeded.run.id}")
    _fits(page)
    agadez = next(h for h in seeded.hotspots if h.place == "Agadez")
    page.fill("#name", "Safe roads north")
    page.uncheck(f"#keep-{agadez.id}")
    page.fill("#languages", "en")
    page.fill("#budget", "4000")
    page.fill("#starts", f"{NEXT_YEAR}-04-01")
    page.fill("#ends", f"{NEXT_YEAR}-04-10")
    page.check("#allow_fuzzy")
    page.fill("#paid_for_by", "Counterflow Test Foundation")
    page.wait_for_selector("#preflight-verdict-live >> text=passes", timeout=60000)
    # a field changes: the refusal shows without saving or reloading
    page.fill("#paid_for_by", "")
    page.wait_for_selector('#findings-live tr[data-rule="paid_for_by"]', timeout=60000)
    assert "refusal" in page.inner_text("#preflight-verdict-live")
    page.fill("#paid_for_by", "Counterflow Test Foundation")
    page.wait_for_selector("#preflight-verdict-live >> text=passes", timeout=60000)
    page.click("#plan-submit")
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit(), timeout=60000)
    cid = int(page.url.rstrip("/").split("/")[-1])
    assert page.inner_text("#status") == "draft"
    with Session(engine) as s:
        names = sorted(t.name for t in s.exec(select(Target).where(Target.campaign_id == cid)).all())
    assert names == ["Benin City", "Sabha", "Tripoli"]

    page.click("#edit-link")
    page.wait_for_url(f"{base}/campaigns/{cid}/edit")
    _fits(page)
    page.fill("#budget", "5000")
    page.click("#edit-submit")
    page.wait_for_url(f"{base}/campaigns/{cid}", timeout=60000)

    page.click("#copy-link")
    page.wait_for_url(f"{base}/campaigns/{cid}/copy")
    page.click('#locales a:text-is("en")')
    page.wait_for_url(f"{base}/campaigns/{cid}/copy/en")
    page.click("#review-submit")
    page.wait_for_url(f"{base}/campaigns/{cid}/copy")
    assert "cam," in page.inner_text('#locales tr[data-locale="en"] .review-state')

    page.goto(f"{base}/campaigns/{cid}")
    page.click("#schedule-link")
    page.wait_for_url(f"{base}/campaigns/{cid}/schedule", timeout=60000)
    assert page.inner_text("#month") == f"April {NEXT_YEAR}"
    assert page.locator("#calendar td.in .post").count() == 30  # 10 days x 3 targets, English only
    _fits(page)

    page.goto(f"{base}/campaigns/{cid}")
    page.click("#submit")
    page.wait_for_url(f"{base}/campaigns/{cid}", timeout=60000)
    assert page.inner_text("#status") == "submitted"
    with Session(engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and (c.status, c.budget, c.author) == ("submitted", 5000.0, "cam")
        reviewed = s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.copy_reviewed")).all()
        assert [(e.actor, e.detail["locale"]) for e in reviewed] == [("cam", "en")]
    assert seen["outside"] == [] and seen["csp"] == [] and seen["errors"] == []
    context.close()
