"""The director's portfolio on a hand-made store of three campaigns, figures worked out by hand.

One run with four significant hotspots (Benin City, Agadez, Sabha, Tripoli); each campaign
targets Benin City (en, pcm) and Tripoli (ar) with one asset per locale (i = 0, 1, 2), and
``make_metrics`` gives asset i, per day, reach r(i+1), impressions 2r(i+1), clicks 20(i+1),
spend 10(i+1).

- A (March, 30 days): 3 days at r=1000: reach 3*1000*6 = 18,000, impressions 36,000, clicks
  360 (CTR 1.00 %), spend 180; tips 3, actionable 2: 3/18,000*1e5 = 16.7 per 100k, 180/2 = 90.00
  per actionable tip. Reports: Benin City 2 before / 4 after, Tripoli 0 / 2 (targeted: 1 -> 3,
  +2); Agadez 1 / 1, Sabha 2 / 0 (untargeted: 1.5 -> 0.5, -1): change 2 - (-1) = 3.00.
- B (May 1-11): 2 days at r=500: reach 6,000, impressions 12,000, clicks 240 (2.00 %), spend
  120; tips 2, none actionable: 33.3 per 100k, cost per actionable tip unknown. One report at
  Benin City after its start: targeted 0 -> 0.5, untargeted 0 -> 0: change 0.50.
- C (May 20-30): 1 day at r=100: reach 600, impressions 1,200, clicks 120 (10.00 %), spend 60;
  one actionable tip: 166.7 per 100k, 60.00 per actionable tip; no report: change 0.00.

Per month: 2026-03 is A alone. 2026-05 is B and C: reach 6,600; CTR 360/13,200 = 2.73 %; tips per
100k (2+1)/6,600*1e5 = 45.5; cost per actionable tip C's only (B's is unknown) 60.00; change
(0.50 + 0.00)/2 = 0.25.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from campaigns.feedback.outcomes import campaign_outcomes
from campaigns.feedback.portfolio import CACHE, by_month, top_first
from intel.models import Tip
from intel.settings import Settings
from tests.factories import (
    as_user,
    make_campaign_rows,
    make_metrics,
    make_report,
    make_route_and_run,
    make_users,
)
from web.app import create_app

D = dt.date


def _tips(s: Session, rows, statuses: list[str]) -> None:  # type: ignore[no-untyped-def]
    target = rows.targets[0]
    for status in statuses:
        s.add(
            Tip(
                campaign_id=rows.campaign.id,
                target_id=target.id,
                locale="en",
                text_encrypted=b"x",
                status=status,
            )
        )


def _build(engine: Engine) -> dict[str, int]:
    CACHE.clear()
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        run, hotspots = make_route_and_run(s, n=4)
        a = make_campaign_rows(s, run=run, hotspots=hotspots, starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 31))
        b = make_campaign_rows(s, run=run, hotspots=hotspots, starts_on=D(2026, 5, 1), ends_on=D(2026, 5, 11))
        c = make_campaign_rows(
            s, run=run, hotspots=hotspots, starts_on=D(2026, 5, 20), ends_on=D(2026, 5, 30)
        )
        for rows, name in ((a, "A"), (b, "B"), (c, "C")):
            rows.campaign.name = f"Campaign {name}"
            s.add(rows.campaign)
        make_metrics(s, a, days=3, reach=1000, simulated=False)
        make_metrics(s, b, days=2, reach=500, simulated=False)
        make_metrics(s, c, days=1, reach=100, simulated=False)
        _tips(s, a, ["actionable", "referred", "new"])
        _tips(s, b, ["new", "not_actionable"])
        _tips(s, c, ["actionable"])
        at = {h.place: (h.lat, h.lon) for h in hotspots}
        for place, on, n in (
            ("Benin City", D(2026, 2, 10), 2),
            ("Benin City", D(2026, 3, 10), 4),
            ("Tripoli", D(2026, 3, 12), 2),
            ("Agadez", D(2026, 2, 20), 1),
            ("Agadez", D(2026, 3, 20), 1),
            ("Sabha", D(2026, 2, 5), 2),
            ("Benin City", D(2026, 5, 5), 1),
        ):
            for k in range(n):
                make_report(s, lat=at[place][0], lon=at[place][1], on=on, kind_tag=f"{place}{on}{k}")
        s.commit()
        return {"A": a.campaign.id, "B": b.campaign.id, "C": c.campaign.id}  # type: ignore[dict-item]


@pytest.fixture
def store(sqlite_engine: Engine) -> dict[str, int]:
    return _build(sqlite_engine)


@pytest.fixture
def any_store(engine: Engine) -> tuple[Engine, dict[str, int]]:
    """The same store on SQLite and on PostgreSQL."""
    return engine, _build(engine)


def test_the_figures_are_each_campaigns_outcomes_worked_out_by_hand(
    any_store: tuple[Engine, dict[str, int]],
) -> None:
    today = D(2026, 12, 1)
    engine, _ = any_store
    with Session(engine) as s:
        rows = top_first(CACHE.figures(s, today=today))
        assert [r.name for r in rows] == ["Campaign A", "Campaign B", "Campaign C"]
        a, b, c = rows
        assert (a.reach, a.impressions, a.clicks, a.spend, a.tips, a.actionable_tips) == (
            18000,
            36000,
            360,
            180.0,
            3,
            2,
        )
        assert a.ctr == pytest.approx(1.0) and a.tips_per_100k == pytest.approx(3 / 18000 * 1e5)
        assert a.cost_per_actionable_tip == pytest.approx(90.0) and a.did == pytest.approx(3.0)
        assert (b.reach, b.clicks, b.tips, b.actionable_tips, b.cost_per_actionable_tip) == (
            6000,
            240,
            2,
            0,
            None,
        )
        assert b.ctr == pytest.approx(2.0) and b.did == pytest.approx(0.5)
        assert (c.reach, c.spend, c.cost_per_actionable_tip, c.did) == (600, 60.0, 60.0, 0.0)
        # the same figures as each campaign's own outcome page
        for r in rows:
            t = campaign_outcomes(s, campaign_id=r.campaign_id, today=today).totals
            assert (r.reach, r.ctr, r.tips_per_100k, r.cost_per_actionable_tip) == (
                t["reach"],
                t["ctr"],
                t["tips_per_100k"],
                t["cost_per_actionable_tip"],
            )
        march, may = by_month(rows)
    assert (march.month, march.campaigns, march.reach, march.did) == ("2026-03", 1, 18000, pytest.approx(3.0))
    assert (may.month, may.campaigns, may.reach) == ("2026-05", 2, 6600)
    assert may.ctr == pytest.approx(360 / 13200 * 100)
    assert may.tips_per_100k == pytest.approx(3 / 6600 * 1e5)
    assert may.cost_per_actionable_tip == pytest.approx(60.0) and may.did == pytest.approx(0.25)


def test_a_new_tip_is_counted_at_once_though_figures_are_kept(
    any_store: tuple[Engine, dict[str, int]],
) -> None:
    engine, store = any_store
    with Session(engine) as s:
        before = {r.campaign_id: r for r in CACHE.figures(s)}
        again = {r.campaign_id: r for r in CACHE.figures(s)}
        assert again[store["A"]] is before[store["A"]]  # kept, not computed again
        s.add(Tip(campaign_id=store["B"], text_encrypted=b"x", status="actionable"))
        s.commit()
        after = {r.campaign_id: r for r in CACHE.figures(s)}
    assert after[store["A"]] is before[store["A"]]
    assert (after[store["B"]].tips, after[store["B"]].actionable_tips) == (3, 1)
    assert after[store["B"]].cost_per_actionable_tip == pytest.approx(120.0)


def test_a_campaigns_outcomes_are_kept_until_a_new_tip_changes_them(
    any_store: tuple[Engine, dict[str, int]],
) -> None:
    from intel.errors import NotFound

    engine, store = any_store
    with Session(engine) as s:
        first = CACHE.outcomes(s, campaign_id=store["B"])
        assert CACHE.outcomes(s, campaign_id=store["B"]) is first  # kept, not worked out again
        assert first.to_dict() == campaign_outcomes(s, campaign_id=store["B"]).to_dict()
        s.add(Tip(campaign_id=store["B"], text_encrypted=b"x", status="actionable"))
        s.commit()
        after_tip = CACHE.outcomes(s, campaign_id=store["B"])
        assert after_tip is not first and after_tip.totals["tips"] == first.totals["tips"] + 1
        assert CACHE.outcomes(s, campaign_id=store["A"]) is CACHE.outcomes(s, campaign_id=store["A"])
        with pytest.raises(NotFound):
            CACHE.outcomes(s, campaign_id=999_999)


def _cells(html: str, table: str) -> list[list[str]]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    ]


def test_the_page_shows_the_table_the_months_and_the_charts(
    sqlite_settings: Settings, store: dict[str, int], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from web.routes import portfolio

    monkeypatch.setattr(portfolio, "BUDGET", None)  # every campaign worked out in the request
    client = TestClient(create_app(sqlite_settings))
    r = client.get("/portfolio", headers=as_user(client, "dina"))
    assert r.status_code == 200
    rows = _cells(r.text, "portfolio-rows")
    assert [row[0] for row in rows] == ["Campaign A", "Campaign B", "Campaign C"]
    assert rows[0][3:] == ["18,000", "1.00", "3 / 2", "16.7", "180.00 USD", "90.00", "3.00"]
    assert rows[1][3:] == ["6,000", "2.00", "2 / 0", "33.3", "120.00 USD", "–", "0.50"]
    months = _cells(r.text, "months")
    assert months == [
        ["2026-03", "1", "18,000", "1.00", "16.7", "90.00", "3.00"],
        ["2026-05", "2", "6,600", "2.73", "45.5", "60.00", "0.25"],
    ]
    assert r.text.count("<svg") == 6 and 'data-value="18000"' in r.text
    assert 'href="/portfolio"' in r.text  # in the director's navigation


def test_the_table_is_paged_top_first(sqlite_settings: Settings, store: dict[str, int], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from web.routes import portfolio

    monkeypatch.setattr(portfolio, "PER_PAGE", 2)
    monkeypatch.setattr(portfolio, "BUDGET", None)
    client = TestClient(create_app(sqlite_settings))
    headers = as_user(client, "root")
    second = client.get("/portfolio?page=2", headers=headers)
    assert [row[0] for row in _cells(second.text, "portfolio-rows")] == ["Campaign C"]
    assert "Rows 3–3 of 3" in second.text
    assert client.get("/portfolio?page=3", headers=headers).status_code == 404


def test_a_cold_portfolio_answers_at_once_and_fills_in_behind(
    sqlite_settings: Settings, store: dict[str, int], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import time

    from web.routes import portfolio

    monkeypatch.setattr(portfolio, "BUDGET", 0.0)  # no time in the request: all in the background
    client = TestClient(create_app(sqlite_settings))
    headers = as_user(client, "dina")
    first = client.get("/portfolio", headers=headers)
    assert first.status_code == 200
    pending = re.search(r'data-pending="(\d+)"', first.text)
    assert pending is not None and 1 <= int(pending.group(1)) <= 3
    assert "of 3 campaigns are still being worked out" in first.text
    deadline = time.monotonic() + 60
    while True:
        page = client.get("/portfolio", headers=headers)
        if 'id="pending"' not in page.text:
            break
        assert time.monotonic() < deadline, "the background thread did not finish"
        time.sleep(0.2)
    assert [row[0] for row in _cells(page.text, "portfolio-rows")] == [
        "Campaign A",
        "Campaign B",
        "Campaign C",
    ]
