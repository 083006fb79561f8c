"""The budget split: expected impact, the platform's minimum, and what is dropped (numbers by hand)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from campaigns import crud
from campaigns.plan.budget import (
    MIN_DAILY_BUDGET,
    TargetShare,
    allocate,
    budget_rows,
    min_daily_budget,
    run_days,
)
from campaigns.plan.planner import Audience, plan_campaign
from intel.db import session_scope
from intel.errors import CounterflowError
from intel.settings import Settings
from tests.factories import make_demo_run

NOW = dt.datetime(2027, 1, 2, 9, 0, tzinfo=dt.UTC)


def test_the_split_follows_score_times_reach_and_drops_what_cannot_reach_the_minimum() -> None:
    # 100 USD over 10 days; the minimum is 1 USD a day, so 10.00 (1000 cents) per ad set.
    shares = [
        TargetShare("A", score=2.0, reach=1000, adsets=["a1", "a2", "a3"]),  # impact 2000
        TargetShare("B", score=1.0, reach=1000, adsets=["b1"]),  # impact 1000
        TargetShare("C", score=1.0, reach=100, adsets=["c1", "c2"]),  # impact 100
    ]
    alloc = allocate(shares, budget=100, currency="usd", days=10)
    # first split of 10000 cents by 2000:1000:100 (of 3100): A 6451 (+2 remainder), B 3225,
    # C 322 < 1000: C is dropped; then 2000:1000 gives A 6666 + 1, B 3333
    assert alloc.min_cents == 1000
    assert alloc.kept == [[0, 1, 2], [0], None]
    assert alloc.amounts == [[2223, 2222, 2222], [3333], []]
    (note,) = alloc.findings
    assert note["rule"] == "budget_target_dropped" and note["object"] == "target C"
    assert "3.22 USD (0.32 a day), is under the platform's minimum of 1.00 USD a day" in note["problem"]


def test_a_target_keeps_the_ad_sets_its_share_can_fund_in_order() -> None:
    # 25 USD over 10 days: 2500 cents fund 2 ad sets of at least 1000; the third is dropped
    alloc = allocate(
        [TargetShare("Lampedusa", 3.0, 191, ["it 18-28", "en 18-28", "fr 18-28"])],
        budget=25,
        currency="USD",
        days=10,
    )
    assert alloc.kept == [[0, 1]] and alloc.amounts == [[1250, 1250]]
    (note,) = alloc.findings
    assert note["rule"] == "budget_adsets_dropped"
    assert "fund 2 of its 3 ad sets" in note["problem"] and "dropped: fr 18-28" in note["problem"]


def test_without_scores_reach_alone_splits_it() -> None:
    alloc = allocate(
        [TargetShare("A", 0.0, 300, ["a"]), TargetShare("B", 0.0, 100, ["b"])],
        budget=100,
        currency="EUR",
        days=5,
    )
    assert alloc.amounts == [[7500], [2500]]


def test_a_budget_under_one_ad_set_is_refused() -> None:
    with pytest.raises(CounterflowError, match=r"5.00 USD over 10 days cannot fund one ad set .* 10.00 USD"):
        allocate([TargetShare("A", 1.0, 100, ["a"])], budget=5, currency="USD", days=10)


def test_the_minimum_table() -> None:
    assert min_daily_budget("USD") == 1.0  # charged for impressions: our ad sets
    assert min_daily_budget("EUR", "OUTCOME_TRAFFIC") == 5.0
    assert min_daily_budget("GBP", "OUTCOME_APP_PROMOTION") == 40.0
    assert set(MIN_DAILY_BUDGET) == {"USD", "EUR", "GBP", "CHF"}
    with pytest.raises(CounterflowError, match="'NGN' has no documented minimum daily budget"):
        min_daily_budget("NGN")
    assert run_days(dt.date(2027, 1, 10), dt.date(2027, 2, 10)) == 32


def _plan(session, settings: Settings, run_id: int, **kw):  # type: ignore[no-untyped-def]
    args = dict(
        name="Safe journeys",
        hotspot_run_id=run_id,
        author="ana",
        audience=Audience.parse(ages="18-28", genders="women", languages="en"),
        budget=1000,
        currency="USD",
        starts_on=dt.date(2027, 1, 10),
        ends_on=dt.date(2027, 1, 19),  # 10 days: 10 USD per ad set at least
        settings=settings,
        paid_for_by="Counterflow NGO",
        now=NOW,
    )
    args.update(kw)
    return plan_campaign(session, **args)


def test_the_planner_splits_by_forecast_times_reach(engine: Engine, settings: Settings) -> None:
    spots = [
        ("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1),
        ("Kano", 12.0, 8.517, 2, 10.0, 1, 2.2),
    ]
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=spots)
        hs = crud.run_hotspots(session, run_id=run.id)
        hs[0].reasons = {"method": "forecast", "forecast": 3.0}
        hs[1].reasons = {"method": "forecast", "forecast": 1.0}
        session.add_all(hs)
        campaign = _plan(session, settings, run.id)
        targets = crud.list_targets(session, campaign_id=campaign.id or 0)
        adsets = crud.list_adsets(session, campaign_id=campaign.id or 0)
        rows = budget_rows(campaign, targets, adsets)
    benin, kano = targets
    impact = [3.0 * benin.reach_estimate, 1.0 * kano.reach_estimate]
    cents = [int(100_000 * w / sum(impact)) for w in impact]  # floor; the remainder to the larger
    cents[impact.index(max(impact))] += 100_000 - sum(cents)
    assert [round(a.budget * 100) for a in adsets] == cents
    assert [r["lifetime"] for r in rows] == [c / 100 for c in cents]
    assert [r["per_day"] for r in rows] == [round(c / 100 / 10, 2) for c in cents]
    assert rows[0]["adsets"] == 1 and round(sum(r["share"] for r in rows), 3) == 1.0


def test_every_pick_is_explained_and_a_left_out_hot_spot_is_named(engine: Engine, settings: Settings) -> None:
    spots = [
        ("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1),
        ("Agadez", 16.973, 7.991, 2, 8.0, 0, 0.8),  # ranked, but no Gi* hot spot
        ("Kano", 12.0, 8.517, None, 10.0, 2, 3.4),  # significant, not ranked, beyond top 2
    ]
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=spots)
        campaign = _plan(session, settings, run.id, top_n=2, budget=10_000)
        targets = crud.list_targets(session, campaign_id=campaign.id or 0)
        kano = [h for h in crud.run_hotspots(session, run_id=run.id) if h.place == "Kano"][0]
        notes = campaign.plan_notes
    picks = {t.name: next(n for n in t.notes if n["rule"] == "pick") for t in targets}
    assert picks["Benin City"]["rank"] == 1 and picks["Benin City"]["significant"] is True
    assert picks["Benin City"]["score_kind"] == "reports" and picks["Benin City"]["score"] == 10
    assert picks["Agadez"]["bin"] == 0 and picks["Agadez"]["significant"] is False
    assert (
        "rank 2 of the route's ranking (reports 11); Gi* bin 0, z 0.80: NOT significant"
        in picks["Agadez"]["why"]
    )
    (weak,) = [n for n in notes if n["rule"] == "not_significant"]
    agadez = [t for t in targets if t.name == "Agadez"][0]
    assert weak["object"] == f"target {agadez.id} (Agadez)" and "(bin 0, z 0.80)" in weak["problem"]
    assert weak["hint"] == {"command": "campaign edit", "args": f"{campaign.id} --drop-target {agadez.id}"}
    (left,) = [n for n in notes if n["rule"] == "left_out"]
    assert left["object"] == f"hotspot {kano.id} (Kano)"
    assert "bin 2, z 3.40, not ranked" in left["problem"]


def test_a_start_in_the_past_is_refused(engine: Engine, settings: Settings) -> None:
    # 2027-01-09 23:30 UTC is already 2027-01-10 in Lagos (UTC+1): a start on the 9th is past there
    late = dt.datetime(2027, 1, 9, 23, 30, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=[("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1)])
        with pytest.raises(
            CounterflowError, match=r"starts on 2027-01-09, before today \(2027-01-10 in Africa/Lagos\)"
        ):
            _plan(session, settings, run.id, starts_on=dt.date(2027, 1, 9), now=late)
        assert _plan(session, settings, run.id, starts_on=dt.date(2027, 1, 10), now=late).id is not None


def test_a_hot_spot_inside_a_targets_circle_is_not_left_out(engine: Engine, settings: Settings) -> None:
    spots = [
        ("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1),
        ("Kano", 12.0, 8.517, 2, 10.0, 3, 4.0),
        ("Zaria", 11.07, 7.7, 3, 10.0, 0, 0.5),  # the third pick ends the choice at top 2
        ("Benin City north", 6.40, 5.626, None, 3.0, 2, 3.0),  # 6.9 km from Benin City: reached by it
    ]
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=spots)
        campaign = _plan(session, settings, run.id, top_n=2, budget=10_000)
    assert [n for n in campaign.plan_notes if n["rule"] == "left_out"] == []
