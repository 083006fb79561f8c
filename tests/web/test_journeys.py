"""Each role's journey in headless Chromium against a real server, on SQLite and on PostgreSQL,
from signing in to the result (issue 14): the analyst imports a file and runs hotspots for a
route; the campaign manager plans, edits, reviews, schedules and submits a campaign; the
director reads preflight, budget and targets, is refused while a refusal stands, approves a
clean campaign, which is published to the dry-run outbox; the public sends a tip from a
campaign's link on a phone; the analyst triages it into a report; the director reads the
outcomes and the portfolio.

Each test starts from a store holding only the people (``live_store``) and drives the pages.
Where a journey needs an earlier role's result, it first walks that role's journey through the
same pages (the ``*_leg`` functions), except where a page does not exist yet: there it calls the
step the CLI calls, and says so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.web.journey import Live, no_outside_requests, sign_in

pytestmark = pytest.mark.browser

ROUTE = "Benin City > Agadez > Tripoli > Lampedusa > Rome"
PHONE = {"width": 390, "height": 844}

#: Reports per town in the analyst's file: one H3 cell each, so the ranking by weight follows
#: these counts (all within three weeks of each other, so recency barely moves the weights).
TOWNS = [("Benin City", "NG", 12), ("Tripoli", "LY", 9), ("Agadez", "NE", 6), ("Lampedusa", "IT", 4), ("Rome", "IT", 3)]
GOOD_ROWS = sum(n for _, _, n in TOWNS)  # 34
COUNTS = {t: n for t, _, n in TOWNS}
RANKED = ["Benin City", "Tripoli", "Lampedusa", "Rome", "Agadez"]
BAD_DATE = "2025-13-45"


def reports_csv(path: Path) -> Path:
    """The analyst's file (the generic ``reports`` spec): ``GOOD_ROWS`` reports along the route
    and one row whose date does not exist, on line 6."""
    lines = ["date,place,country,summary,exploitation"]
    for town, country, n in TOWNS:
        for i in range(n):
            day = dt.date(2025, 6, 1) + dt.timedelta(days=i)
            lines.append(f"{day},{town},{country},case {i + 1} at {town}: women recruited for work abroad,sexual")
    lines.insert(5, f"{BAD_DATE},Agadez,NE,a date that does not exist,sexual")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Browsing:
    """A signed-in person's browser context and page, with the list of refused outside requests."""

    context: BrowserContext
    page: Page
    outside: list[str]

    def close(self) -> None:
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        self.context.close()


def as_person(browser: Browser, live: Live, name: str | None, **context_args: object) -> Browsing:
    """A fresh context for ``name`` (signed in through the form), or for the public (``None``)."""
    context = browser.new_context(**context_args)  # type: ignore[arg-type]
    page = context.new_page()
    outside = no_outside_requests(page, live.base)
    if name is not None:
        sign_in(page, live.base, name)
    return Browsing(context, page, outside)


def cells(page: Page, selector: str, column: int) -> list[str]:
    """The texts of one column (1-based) of a table's body rows."""
    return [t.strip() for t in page.locator(f"{selector} tbody tr td:nth-child({column})").all_inner_texts()]


# --- the analyst: import a file, run hotspots for the route ---------------------------------


def analyst_leg(browser: Browser, live: Live, tmp_path: Path) -> int:
    """The analyst imports the file, reads its reject, runs hotspots for ``ROUTE`` and reads the
    map and the ranked list. Returns the run's id."""
    ana = as_person(browser, live, "ana", viewport={"width": 1200, "height": 1100})
    page = ana.page
    page.click("header >> text=Import")
    page.wait_for_url(live.url("/imports"))
    page.set_input_files("#file", str(reports_csv(tmp_path / "route-reports.csv")))
    page.select_option("#spec", "reports")
    page.click("#import-submit")
    page.wait_for_url(re.compile(r".*/imports/\d+$"), timeout=30000)
    assert page.inner_text("#n-read") == str(GOOD_ROWS + 1)
    assert page.inner_text("#n-stored") == str(GOOD_ROWS)
    assert page.inner_text("#n-rejected") == "1"
    [line] = cells(page, "#rejects", 1)
    assert line == "6"
    assert BAD_DATE in page.inner_text("#rejects")

    page.goto(live.url("/hotspots/new"))
    page.fill("#towns", ROUTE)
    page.select_option("#method", "counts")
    page.fill("#resolution", "5")
    page.click("#hotspots-submit")
    page.wait_for_url(re.compile(r".*/hotspots/\d+$"), timeout=90000)
    run_id = int(page.url.rsplit("/", 1)[1])
    # The ranking goes round the route's four legs, the strongest head first: Benin City (leg 1),
    # Tripoli (leg 2), Lampedusa (leg 3), Rome (leg 4); then leg 1's second, Agadez (which lies
    # at the end of leg 1), although its 6 reports outnumber Lampedusa's 4 and Rome's 3.
    assert cells(page, "#ranked", 2) == RANKED
    assert cells(page, "#ranked", 1) == ["1", "2", "3", "4", "5"]
    assert cells(page, "#ranked", 4) == [str(COUNTS[t]) for t in RANKED]
    reasons = cells(page, "#ranked", 9)
    assert reasons[0].startswith("12 reports (12 victims), weight ")
    assert "not significant after the FDR correction: listed for its weight" in reasons[0]
    assert "seen 2025-06-01 to 2025-06-12" in reasons[0]
    assert "seen 2025-06-01 to 2025-06-06" in reasons[4]
    frame = page.frame_locator("#hotspot-map")
    frame.locator(".leaflet-container").wait_for()
    ranks = frame.locator(".cf-rank")
    ranks.first.wait_for()
    assert sorted(ranks.all_inner_texts(), key=int) == ["1", "2", "3", "4", "5"]
    ana.close()
    return run_id


def test_the_analyst_imports_a_file_and_runs_hotspots_for_the_route(
    live_store: Live, module_browser: Browser, tmp_path: Path
) -> None:
    analyst_leg(module_browser, live_store, tmp_path)
