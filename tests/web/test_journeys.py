"""Each role's journey in headless Chromium against a real server, on SQLite and on PostgreSQL,
from signing in to the result (issue 14): the analyst imports a file and runs hotspots for a
route; the campaign manager plans, edits, reviews, schedules and submits a campaign; the
director reads preflight, budget and targets, is refused while a refusal stands, approves a
clean campaign, which is published to the dry-run outbox; the public sends a tip from a
campaign's link on a phone; the analyst triages it into a report; the director reads the
outcomes and the portfolio.

Each test starts from a store holding only the people (``live_store``) and drives the pages.
Where a journey needs an earlier role's result, it first walks that role's journey through the
same pages (the ``*_leg`` functions). Only the platform's delivery figures come in another way,
through the step behind ``counterflow feedback --metrics`` (no page loads them).
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
#: How long a page may take on a shared two-core machine under load (not a speed test).
BUSY_MACHINE_MS = 90_000

#: Reports per town in the analyst's file: one H3 cell each, so the ranking by weight follows
#: these counts (all dated in the first twelve days of June 2025, so recency barely moves the
#: weights).
TOWNS = [
    ("Benin City", "NG", 12),
    ("Tripoli", "LY", 9),
    ("Agadez", "NE", 6),
    ("Lampedusa", "IT", 4),
    ("Rome", "IT", 3),
]
GOOD_ROWS = sum(n for _, _, n in TOWNS)  # 34
COUNTS = {t: n for t, _, n in TOWNS}
RANKED = ["Benin City", "Tripoli", "Lampedusa", "Rome", "Agadez"]
BUDGET = 3600
POSTS = 45  # the clean campaign's: one a day for 15 days at each of its 3 targets
#: The clean campaign's targets, largest reach first: Lampedusa's and Agadez's shares of the budget
#: fall under the platform's daily minimum per ad set, so the planner drops them.
CLEAN_TARGETS = "3: Rome (IT, N), Tripoli (LY, N), Benin City (NG, N)"
#: What the dry run records for the clean campaign: the campaign, one ad set per target (English
#: only), a creative and an ad per message (3) per ad set, and a post per target and day (3 x 15).
OUTBOX_COUNTS = "ad sent: 9 · adset sent: 3 · campaign sent: 1 · creative sent: 9 · post sent: 45"
BAD_DATE = "2025-13-45"


def reports_csv(path: Path) -> Path:
    """The analyst's file (the generic ``reports`` spec): ``GOOD_ROWS`` reports along the route
    and one row whose date does not exist, on line 6."""
    lines = ["date,place,country,summary,exploitation"]
    for town, country, n in TOWNS:
        for i in range(n):
            day = dt.date(2025, 6, 1) + dt.timedelta(days=i)
            lines.append(
                f"{day},{town},{country},case {i + 1} at {town}: women recruited for work abroad,sexual"
            )
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
    context.set_default_timeout(BUSY_MACHINE_MS)
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
    page.wait_for_url(re.compile(r".*/imports/\d+$"))
    page.locator("#rejects tbody tr").first.wait_for()
    assert page.inner_text("#n-read") == str(GOOD_ROWS + 1)
    assert page.inner_text("#n-stored") == str(GOOD_ROWS)
    assert page.inner_text("#n-rejected") == "1"
    [line] = cells(page, "#rejects", 1)
    [reason] = cells(page, "#rejects", 2)
    assert line == "6"
    assert BAD_DATE in reason and "date" in reason.replace(BAD_DATE, ""), reason

    page.goto(live.url("/hotspots/new"))
    page.fill("#towns", ROUTE)
    page.select_option("#method", "counts")
    page.fill("#resolution", "5")
    page.click("#hotspots-submit")
    page.wait_for_url(re.compile(r".*/hotspots/\d+$"))
    run_id = int(page.url.rsplit("/", 1)[1])
    page.locator("#ranked tbody tr").first.wait_for()
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


# --- the campaign manager: plan from the run, edit, review a locale, calendar, submit ----------

ORGANISATION = "Safe Passage NGO"
NEXT_YEAR = dt.date.today().year + 1
STARTS, ENDS = f"{NEXT_YEAR}-04-01", f"{NEXT_YEAR}-04-15"  # 15 days, all in April


def plan_in_browser(page: Page, live: Live, run_id: int, *, name: str, clean: bool) -> int:
    """``cam`` (signed in on ``page``) plans a campaign on the run with the plan form. A ``clean``
    one speaks English only and names who pays (the DSA fields default to it); the other
    leaves 'Paid for by' empty and speaks the local (draft) languages, so refusals stand."""
    page.goto(live.url(f"/hotspots/{run_id}"))
    page.click("#plan-campaign")
    page.wait_for_url(live.url(f"/campaigns/new?run={run_id}"))
    proposed = [t.strip() for t in page.locator("#targets tbody tr td:nth-child(3)").all_inner_texts()]
    assert proposed == RANKED
    page.fill("#name", name)
    page.fill("#budget", "3000")
    page.fill("#starts", STARTS)
    page.fill("#ends", ENDS)
    if clean:
        page.fill("#languages", "en")
        page.fill("#paid_for_by", ORGANISATION)
        page.wait_for_selector("#preflight-verdict-live >> text=passes")
    page.click("#plan-submit")
    page.wait_for_url(re.compile(r".*/campaigns/\d+$"))
    assert page.inner_text("#status") == "draft"
    return int(page.url.rsplit("/", 1)[1])


def manager_leg(browser: Browser, live: Live, run_id: int) -> tuple[int, int]:
    """The campaign manager plans a campaign whose refusals stand (it cannot be submitted) and a
    clean one, edits the clean one's budget, reviews its English copy, reads its calendar (and
    the .ics) and submits it. Returns (refused campaign, clean campaign)."""
    cam = as_person(browser, live, "cam", viewport={"width": 1200, "height": 1400})
    page = cam.page
    refused_id = plan_in_browser(page, live, run_id, name="Local languages, no payer", clean=False)
    assert page.locator("#submit").is_disabled()
    clean_id = plan_in_browser(page, live, run_id, name="Safe journeys (English)", clean=True)
    assert page.inner_text("#approval-budget").startswith("3,000.00 USD, ")

    page.click("#edit-link")
    page.wait_for_url(live.url(f"/campaigns/{clean_id}/edit"))
    page.fill("#budget", str(BUDGET))
    page.click("#edit-submit")
    page.wait_for_url(live.url(f"/campaigns/{clean_id}"))
    assert page.inner_text("#approval-budget").startswith("3,600.00 USD, ")

    page.click("#copy-link")
    page.wait_for_url(live.url(f"/campaigns/{clean_id}/copy"))
    assert page.locator("#locales tbody tr").evaluate_all("rows => rows.map(r => r.dataset.locale)") == ["en"]
    page.click('#locales a:text-is("en")')
    page.wait_for_url(live.url(f"/campaigns/{clean_id}/copy/en"))
    page.click("#review-submit")
    page.wait_for_url(live.url(f"/campaigns/{clean_id}/copy"))
    assert page.inner_text('#locales tr[data-locale="en"] .review-state').startswith("cam, ")

    page.goto(live.url(f"/campaigns/{clean_id}/schedule"))
    assert page.inner_text("#month") == f"April {NEXT_YEAR}"
    assert page.locator("#calendar td.in .post").count() == POSTS  # 15 days x 3 targets
    with page.expect_download() as download:
        page.click("#ics")
    ics = Path(download.value.path()).read_text(encoding="utf-8")
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") == POSTS

    page.goto(live.url(f"/campaigns/{clean_id}"))
    page.click("#submit")
    page.wait_for_url(live.url(f"/campaigns/{clean_id}"))
    assert page.inner_text("#status") == "submitted"
    cam.close()
    return refused_id, clean_id


def test_the_campaign_manager_plans_edits_reviews_schedules_and_submits(
    live_store: Live, module_browser: Browser, tmp_path: Path
) -> None:
    run_id = analyst_leg(module_browser, live_store, tmp_path)
    manager_leg(module_browser, live_store, run_id)


# --- the director: preflight, budget and targets; refused, then approved; the outbox ---------


def director_leg(browser: Browser, live: Live, *, refused_id: int, clean_id: int) -> None:
    """The director reads a campaign whose refusals stand and cannot approve it (not even by
    sending the form without its disabled button), then approves the clean one."""
    dina = as_person(browser, live, "dina", viewport={"width": 1200, "height": 1400})
    page = dina.page
    page.goto(live.url(f"/campaigns/{refused_id}"))
    verdict = page.inner_text("#preflight-verdict")
    assert re.fullmatch(r"\d+ refusals", verdict), verdict
    rules = cells(page, "#findings-table", 2)
    levels = cells(page, "#findings-table", 1)
    refused_rules = {r for r, lv in zip(rules, levels, strict=True) if lv == "refused"}
    assert {"paid_for_by", "dsa", "locale_fuzzy"} <= refused_rules
    assert page.locator("#approve").is_disabled()
    assert page.inner_text("#approve-reason").startswith(
        f"Approval is closed while {verdict.split()[0]} preflight"
    )
    # the button is only a hint: the server refuses the form too, naming the refusals
    with page.expect_navigation() as navigation:
        page.eval_on_selector("#approve-form", "form => form.submit()")
    answer = navigation.value
    assert answer is not None and answer.status == 409
    refusal = f"campaign {refused_id} cannot be approved while {verdict.split()[0]} preflight refusals stand"
    assert refusal in page.inner_text("main")
    page.goto(live.url(f"/campaigns/{refused_id}"))
    assert page.locator("#approved-by").count() == 0

    page.goto(live.url(f"/campaigns/{clean_id}"))
    assert page.inner_text("#preflight-verdict") == "passes"
    assert page.inner_text("#approval-budget").startswith("3,600.00 USD, ")
    assert re.sub(r"\d[\d,]*\)", "N)", page.inner_text("#approval-targets")) == CLEAN_TARGETS
    assert page.inner_text("#outbox-counts").strip() == ""
    page.click("#approve")
    page.wait_for_selector("#approved-by")
    assert page.inner_text("#approved-by") == "dina"
    dina.close()


def publish_leg(browser: Browser, live: Live, campaign_id: int) -> None:
    """The manager publishes the approved campaign to the dry-run outbox (the default channel)
    and reads on the campaign page what it recorded."""
    cam = as_person(browser, live, "cam", viewport={"width": 1200, "height": 1400})
    page = cam.page
    page.goto(live.url(f"/campaigns/{campaign_id}"))
    page.click("#publish")
    page.wait_for_url(live.url(f"/campaigns/{campaign_id}#outbox"))
    assert page.inner_text("#status") == "published"
    assert page.inner_text("#outbox-counts") == OUTBOX_COUNTS
    channels = set(cells(page, "#outbox", 3))
    assert channels == {"outbox"}
    assert set(cells(page, "#outbox", 4)) == {"sent"}
    cam.close()


def test_the_director_approves_a_clean_campaign_but_not_one_with_refusals(
    live_store: Live, module_browser: Browser, tmp_path: Path
) -> None:
    run_id = analyst_leg(module_browser, live_store, tmp_path)
    refused_id, clean_id = manager_leg(module_browser, live_store, run_id)
    director_leg(module_browser, live_store, refused_id=refused_id, clean_id=clean_id)
    publish_leg(module_browser, live_store, clean_id)


# --- the public: a tip from a campaign's link, on a phone ------------------------------------

TIP = "A man at the motor park in Ekpoma promises girls jobs in Italy and keeps their passports."


def tracking_code(browser: Browser, live: Live, campaign_id: int, target: str, locale: str) -> str:
    """The tracking code of a campaign's asset, as its manager reads it on the campaign page."""
    cam = as_person(browser, live, "cam")
    cam.page.goto(live.url(f"/campaigns/{campaign_id}"))
    card = cam.page.locator(f'.card.asset[data-locale="{locale}"]', has_text=f"{target} · {locale}").first
    code = (card.locator(".link code").text_content() or "").strip()  # in a folded <details>
    cam.close()
    assert re.fullmatch(r"[\w-]+", code), code
    return code


def public_leg(browser: Browser, live: Live, code: str) -> None:
    """Someone opens the campaign's link on a 390 px phone, writes a tip in English and is thanked;
    nothing of theirs is kept in the browser."""
    public = as_person(browser, live, None, viewport=PHONE, locale="en-US")
    page = public.page
    page.goto(live.url(f"/t/{code}"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("#text", TIP)
    page.fill("#place", "Ekpoma")
    page.click("#send")
    page.wait_for_selector("#thanks")
    assert page.inner_text("#thanks") == "Thank you. Your tip has been received."
    assert page.url == live.url(f"/t/{code}/thanks?lang=en")
    assert public.context.cookies() == []
    public.close()


# --- the analyst: triage the tip into a report -----------------------------------------------


def triage_leg(browser: Browser, live: Live, campaign_name: str) -> int:
    """The analyst finds the tip attributed to the campaign, reads it (the director may not) and
    triages it as actionable at the place the tipster gave: it becomes a report. Returns the tip id."""
    ana = as_person(browser, live, "ana", viewport={"width": 1200, "height": 1400})
    page = ana.page
    page.goto(live.url("/tips"))
    assert page.locator("#tips tbody tr").count() == 1
    tip_id, _, status, campaign, target, locale = (
        cells(page, "#tips", 1)[0],
        *[cells(page, "#tips", i)[0] for i in range(2, 7)],
    )
    assert (status, campaign, target, locale) == ("new", campaign_name, "Benin City", "en")
    assert TIP not in page.inner_text("main")  # the list never shows the text
    page.click("#tips tbody tr >> text=open")
    page.wait_for_url(live.url(f"/tips/{tip_id}"))
    assert page.inner_text("#tip-text").strip() == TIP
    assert page.inner_text("#place-given bdi") == "Ekpoma"
    page.fill("#place", "Ekpoma")
    page.click("#actionable")
    page.wait_for_selector("text=Became report")
    ana.close()

    dina = as_person(browser, live, "dina")
    answer = dina.page.goto(live.url(f"/tips/{tip_id}"))
    assert answer is not None and answer.status == 403
    assert TIP not in dina.page.content()
    dina.close()
    return int(tip_id)


def test_the_public_sends_a_tip_from_a_campaign_link_and_the_analyst_makes_it_a_report(
    live_store: Live, module_browser: Browser, tmp_path: Path
) -> None:
    run_id = analyst_leg(module_browser, live_store, tmp_path)
    _, clean_id = manager_leg(module_browser, live_store, run_id)
    public_leg(
        module_browser, live_store, tracking_code(module_browser, live_store, clean_id, "Benin City", "en")
    )
    triage_leg(module_browser, live_store, "Safe journeys (English)")


# --- the director: outcomes and the portfolio ------------------------------------------------

#: Delivery figures for two of the clean campaign's assets, as a platform export gives them
#: (tracking_code, day and measures), loaded through the step behind ``counterflow feedback``.
METRICS = [
    # target, day, reach, impressions, clicks, spend
    ("Benin City", STARTS, 1200, 2400, 36, "40.00"),
    ("Benin City", f"{NEXT_YEAR}-04-02", 800, 1600, 24, "30.00"),
    ("Rome", STARTS, 500, 1000, 10, "20.00"),
]


def load_metrics(browser: Browser, live: Live, campaign_id: int, tmp_path: Path) -> None:
    """Write ``METRICS`` with the English assets' tracking codes and load them (``feedback --metrics``)."""
    from flows import steps
    from intel.db import session_scope

    codes = {t: tracking_code(browser, live, campaign_id, t, "en") for t in ("Benin City", "Rome")}
    path = tmp_path / "metrics.csv"
    rows = [f"{codes[t]},{day},{r},{i},{c},{s}" for t, day, r, i, c, s in METRICS]
    path.write_text("tracking_code,day,reach,impressions,clicks,spend\n" + "\n".join(rows) + "\n")
    with session_scope(live.engine) as s:
        done = steps.feedback(s, campaign_id=campaign_id, settings=live.settings, metrics_path=path)
    assert done["metrics_stored"] == 3


def kpi(page: Page, label: str) -> str:
    return page.locator(f'.kpi:has(.k:text-is("{label}")) .v').inner_text().strip()


def outcomes_leg(browser: Browser, live: Live, campaign_id: int, name: str) -> None:
    """The director reads the campaign's outcomes and its line in the portfolio. By hand from
    ``METRICS`` and the one actionable tip (Benin City, English): reach 1,200 + 800 + 500 = 2,500
    (each target's sum is under its population); clicks 70 of 5,000 impressions, CTR 1.40 %;
    spend 90.00; 1 tip per 2,500 reached = 40.0 per 100k; 90.00 per actionable tip. Benin City
    in English alone: reach 2,000 (peak day 1,200), 60 of 4,000 clicks = 1.50 %, 70.00 spent,
    1 tip = 50.0 per 100k, 70.00 per actionable tip."""
    dina = as_person(browser, live, "dina", viewport={"width": 1200, "height": 1400})
    page = dina.page
    page.goto(live.url(f"/outcomes/{campaign_id}"))
    assert page.locator("#simulated").count() == 0
    assert kpi(page, "people reached (upper bound)") == "2,500"
    assert kpi(page, "click-through rate") == "1.40%"
    assert kpi(page, "spend") == "90.00 USD"
    assert kpi(page, "tips / actionable") == "1 / 1"
    assert kpi(page, "tips per 100k reached") == "40.0"
    assert kpi(page, "cost per actionable tip (USD)") == "90.00"
    rows = page.locator("#outcome-rows tbody tr")
    benin = rows.filter(has=page.locator("td:nth-child(1)", has_text="Benin City")).filter(
        has=page.locator("td:nth-child(2):text-is('en')")
    )
    figures = [t.strip() for t in benin.locator("td").all_inner_texts()]
    # target, locale, reach, peak day, impressions, clicks, CTR, completion, spend, conversions,
    # cost per conversion, share of population, tips, actionable, per 100k, cost per actionable
    assert figures[2:7] == ["2,000", "1,200", "4,000", "60", "1.50"]
    assert (figures[8], figures[12:]) == ("70.00", ["1", "1", "50.0", "70.00"])

    page.goto(live.url("/portfolio"))
    for _ in range(60):  # the portfolio works a changed campaign out in the background
        if page.locator("#pending").count() == 0:
            break
        page.wait_for_timeout(500)
        page.reload()
    line = [
        t.strip()
        for t in page.locator(f'#portfolio-rows tr[data-campaign="{campaign_id}"] td').all_inner_texts()
    ]
    # campaign, status, starts, reach, CTR %, tips / actionable, per 100k, spend, cost per actionable tip
    assert line[0] == name and line[1] == "published"
    assert line[3:9] == ["2,500", "1.40", "1 / 1", "40.0", "90.00 USD", "90.00"]
    dina.close()


def test_the_whole_loop_from_an_import_to_the_directors_outcomes(
    live_store: Live, module_browser: Browser, tmp_path: Path
) -> None:
    """Every role in turn on one store: import and hotspots, plan to submit, approval and the
    outbox, a tip and its triage, then the outcomes and the portfolio."""
    name = "Safe journeys (English)"
    run_id = analyst_leg(module_browser, live_store, tmp_path)
    refused_id, clean_id = manager_leg(module_browser, live_store, run_id)
    director_leg(module_browser, live_store, refused_id=refused_id, clean_id=clean_id)
    publish_leg(module_browser, live_store, clean_id)
    public_leg(
        module_browser, live_store, tracking_code(module_browser, live_store, clean_id, "Benin City", "en")
    )
    triage_leg(module_browser, live_store, name)
    load_metrics(module_browser, live_store, clean_id, tmp_path)
    outcomes_leg(module_browser, live_store, clean_id, name)
