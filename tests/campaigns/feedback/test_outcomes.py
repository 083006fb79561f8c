"""Outcome metrics on hand-built campaigns with known answers (both stores)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from campaigns.feedback.outcomes import campaign_outcomes
from campaigns.feedback.tips import submit_tip, triage_tip
from intel.errors import NotFound
from intel.models import Metric
from intel.settings import Settings
from tests.factories import make_campaign_rows, make_metrics, make_report, make_route_and_run, make_users

D = dt.date


def test_outcomes_per_target_and_locale(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        benin, tripoli = rows.targets
        tripoli.population = 5000  # caps the Tripoli reach (9000 summed daily)
        make_metrics(s, rows, days=3, reach=1000)
        code = rows.assets[(benin.id, "en")].tracking_code
        tips = [submit_tip(s, text=f"tip {i}", tracking_code=code, settings=settings) for i in range(3)]
        triage_tip(s, tip_id=tips[0].id, actor="ana", actionable=True, use_target_area=True)
        s.commit()
        out = campaign_outcomes(s, campaign_id=rows.campaign.id, today=D(2026, 6, 1))
    frame = out.rows.set_index(["target", "locale"])
    en = frame.loc[("Benin City", "en")]
    assert en["reach"] == 3000 and en["reach_peak_day"] == 1000
    assert en["impressions"] == 6000 and en["clicks"] == 60
    assert en["ctr"] == pytest.approx(1.0)
    assert en["video_completion"] == pytest.approx(300 / 6000)
    assert en["spend"] == pytest.approx(30.0)
    assert en["tips"] == 3 and en["actionable_tips"] == 1
    assert en["tips_per_100k"] == pytest.approx(100.0)
    assert en["cost_per_actionable_tip"] == pytest.approx(30.0)
    assert en["population_share"] == pytest.approx(3000 / 1_782_000)
    pcm = frame.loc[("Benin City", "pcm")]
    assert pcm["reach"] == 6000 and pcm["tips"] == 0 and pd.isna(pcm["cost_per_actionable_tip"])
    ar = frame.loc[("Tripoli", "ar")]
    assert ar["reach"] == 5000  # capped at the population
    assert ar["population_share"] == pytest.approx(1.0)
    assert out.totals["reach"] == 3000 + 6000 + 5000
    assert out.totals["spend"] == pytest.approx(3 * (10 + 20 + 30))
    assert out.totals["tips"] == 3 and out.totals["actionable_tips"] == 1
    assert out.simulated and bool(en["simulated"])
    assert any("SIMULATED" in n for n in out.notes)
    assert out.change is None  # no hotspot run behind this campaign


def test_real_metrics_are_not_labelled_simulated(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        rows = make_campaign_rows(s)
        make_metrics(s, rows, simulated=False)
        s.commit()
        out = campaign_outcomes(s, campaign_id=rows.campaign.id)
    assert not out.simulated
    assert not any("SIMULATED" in n for n in out.notes)
    assert not out.rows["simulated"].any()


def test_a_day_from_two_sources_counts_once(sqlite_engine: Engine) -> None:
    """The platform's figures win over a simulation of the same days: nothing is counted twice."""
    with Session(sqlite_engine, expire_on_commit=False) as s:
        rows = make_campaign_rows(s)
        make_metrics(s, rows, days=3, reach=1000, simulated=True)
        make_metrics(s, rows, days=2, reach=10, simulated=False)
        s.commit()
        out = campaign_outcomes(s, campaign_id=rows.campaign.id, today=D(2026, 6, 1))
    en = out.rows.set_index(["target", "locale"]).loc[("Benin City", "en")]
    assert en["reach"] == 10 + 10 + 1000  # two platform days, the third day simulated only
    assert en["spend"] == pytest.approx(10 + 10 + 10)


def test_difference_in_differences_at_hotspots(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as s:
        run, hotspots = make_route_and_run(s, n=4)  # Benin City, Agadez, Sabha, Tripoli
        rows = make_campaign_rows(
            s, run=run, hotspots=hotspots, starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 31)
        )
        near = {h.place: (h.lat + 0.05, h.lon + 0.05) for h in hotspots}
        plan = {
            "Benin City": ([D(2026, 2, 10), D(2026, 2, 20)], [D(2026, 3, 5)]),
            "Tripoli": ([D(2026, 2, 10), D(2026, 2, 20)], [D(2026, 3, 5)]),
            "Agadez": ([D(2026, 2, 10)], [D(2026, 3, 5), D(2026, 3, 6), D(2026, 3, 7)]),
            "Sabha": ([D(2026, 2, 10)], [D(2026, 3, 5)]),
        }
        for place, (before, after) in plan.items():
            for day in before + after:
                make_report(s, lat=near[place][0], lon=near[place][1], on=day, place=place)
        make_report(s, lat=41.9, lon=12.5, on=D(2026, 3, 5), place="Rome")  # near no hotspot
        make_report(s, lat=6.34, lon=5.62, on=D(2025, 12, 1), place="Benin City")  # before the window
        s.commit()
        out = campaign_outcomes(s, campaign_id=rows.campaign.id, today=D(2026, 6, 1))
    change = out.change
    assert change is not None
    assert (change.targeted_hotspots, change.untargeted_hotspots) == (2, 2)
    assert (change.targeted_before, change.targeted_after) == (2.0, 1.0)
    assert (change.untargeted_before, change.untargeted_after) == (1.0, 2.0)
    assert change.did == pytest.approx(-2.0)
    assert out.to_dict()["change_at_hotspots"]["did"] == pytest.approx(-2.0)


def test_a_hotspot_inside_a_target_circle_is_not_a_control(sqlite_engine: Engine) -> None:
    """The planner merges a nearby hotspot into a target's circle: it is treated, not a control."""
    with Session(sqlite_engine, expire_on_commit=False) as s:
        run, hotspots = make_route_and_run(s, n=4)  # Benin City, Agadez, Sabha, Tripoli
        rows = make_campaign_rows(
            s, run=run, hotspots=hotspots, starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 31)
        )
        agadez = next(h for h in hotspots if h.place == "Agadez")
        benin = next(t for t in rows.targets if t.name == "Benin City")
        agadez.lat, agadez.lon = benin.lat + 0.02, benin.lon  # now inside Benin City's circle
        s.add(agadez)
        s.commit()
        out = campaign_outcomes(s, campaign_id=rows.campaign.id, today=D(2026, 6, 1))
    assert out.change is not None
    assert (out.change.targeted_hotspots, out.change.untargeted_hotspots) == (3, 1)


def test_unknown_campaign(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s, pytest.raises(NotFound) as err:
        campaign_outcomes(s, campaign_id=42)
    assert "campaign 42" in err.value.problem


def test_outcomes_to_dict_is_plain_json(sqlite_engine: Engine) -> None:
    import json

    with Session(sqlite_engine, expire_on_commit=False) as s:
        rows = make_campaign_rows(s)
        make_metrics(s, rows)
        s.commit()
        data = campaign_outcomes(s, campaign_id=rows.campaign.id).to_dict()
    text = json.dumps(data)  # raises on numpy scalars
    assert "NaN" not in text
    assert data["rows"][0]["cost_per_actionable_tip"] is None
    assert data["simulated"] is True


def test_no_change_is_claimed_before_the_campaign_starts(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        run, hotspots = make_route_and_run(s, n=4)
        rows = make_campaign_rows(
            s, run=run, hotspots=hotspots, starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 31)
        )
        s.commit()
        out = campaign_outcomes(s, campaign_id=rows.campaign.id, today=D(2026, 2, 1))
    assert out.change is not None and out.change.window_days == 0 and out.change.did is None
    assert any("no time after its start yet" in n for n in out.notes)


def _metric(rows, key, day: int, code: str | None = None, **measures) -> Metric:
    asset = rows.assets[key] if key else None
    return Metric(
        campaign_id=rows.campaign.id,
        adset_id=asset.adset_id if asset else None,
        tracking_code=code or asset.tracking_code,
        day=D(2026, 3, day),
        source="export",
        **measures,
    )


def test_unknown_measures_and_unattributed_spend_are_shown_apart(engine: Engine, settings: Settings) -> None:
    """Hand-made daily rows with unknown measures and two ad sets that are not the campaign's.

    Benin City en: day 1 reach 1000, impressions 2000, clicks 20, spend 10, conversions 2;
    day 2 reach unknown, 3000, 30, 15, conversions unknown; day 3 reach 500, impressions
    unknown, 5, 5, 1. Tripoli ar: 400/800/8/4/0 and 600/1200/12/6/1. Benin City pcm: nothing.
    Not ours: fb-adset-999 (reach 5000, 9000, 90, spend 40, 4) and fb-adset-998 (spend 2.5 only).
    """
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        benin, tripoli = rows.targets
        en, ar = (benin.id, "en"), (tripoli.id, "ar")
        s.add_all(
            [
                _metric(rows, en, 1, reach=1000, impressions=2000, clicks=20, spend=10.0, conversions=2),
                _metric(rows, en, 2, impressions=3000, clicks=30, spend=15.0),
                _metric(rows, en, 3, reach=500, clicks=5, spend=5.0, conversions=1),
                _metric(rows, ar, 1, reach=400, impressions=800, clicks=8, spend=4.0, conversions=0),
                _metric(rows, ar, 2, reach=600, impressions=1200, clicks=12, spend=6.0, conversions=1),
                _metric(
                    rows,
                    None,
                    1,
                    code="fb-adset-999",
                    reach=5000,
                    impressions=9000,
                    clicks=90,
                    spend=40.0,
                    conversions=4,
                ),
                _metric(rows, None, 1, code="fb-adset-998", spend=2.5),
            ]
        )
        tip = submit_tip(s, text="a tip", tracking_code=rows.assets[en].tracking_code, settings=settings)
        triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, use_target_area=True)
        s.commit()
        out = campaign_outcomes(s, campaign_id=rows.campaign.id, today=D(2026, 6, 1))
    frame = out.rows.set_index(["target", "locale"])
    r = frame.loc[("Benin City", "en")]
    assert (r["reach"], r["impressions"], r["clicks"], r["conversions"]) == (1500, 5000, 55, 3)
    assert r["spend"] == pytest.approx(30.0) and r["metric_rows"] == 3
    assert r["partial"] == (
        "reach known for 2 of 3 daily rows; impressions known for 2 of 3 daily rows; "
        "conversions known for 2 of 3 daily rows"
    )
    assert r["ctr"] == pytest.approx(100 * 50 / 5000)  # days 1 and 2 know clicks and impressions
    assert r["cost_per_conversion"] == pytest.approx(15.0 / 3)  # days 1 and 3
    assert pd.isna(r["population_share"]) and pd.isna(r["tips_per_100k"])  # reach is partial
    assert r["cost_per_actionable_tip"] == pytest.approx(30.0)  # spend is whole
    pcm = frame.loc[("Benin City", "pcm")]
    assert pcm["metric_rows"] == 0 and pd.isna(pcm["reach"]) and pd.isna(pcm["spend"])
    a = frame.loc[("Tripoli", "ar")]
    assert (a["reach"], a["impressions"], a["clicks"], a["conversions"]) == (1000, 2000, 20, 1)
    assert a["partial"] == ""
    assert a["cost_per_conversion"] == pytest.approx(10.0)
    assert a["population_share"] == pytest.approx(1000 / 1_150_000)

    t = out.totals  # the five attributed rows only
    assert (t["reach"], t["impressions"], t["clicks"], t["conversions"]) == (2500, 7000, 75, 4)
    assert t["spend"] == pytest.approx(40.0)  # not 82.5: the other ad sets' spend stays out
    assert t["cost_per_actionable_tip"] == pytest.approx(40.0)
    assert t["ctr"] == pytest.approx(1.0)  # 70 clicks over 7000 impressions, rows that know both
    assert t["cost_per_conversion"] == pytest.approx(25.0 / 4)
    assert t["population_share"] is None and t["tips_per_100k"] is None
    assert "reach known for 4 of 5 daily rows" in t["partial"]
    assert out.unattributed == {
        "rows": 2,
        "ad_sets": 2,
        "reach": 5000,
        "impressions": 9000,
        "clicks": 90,
        "spend": 42.5,
        "conversions": 4,
    }
    assert any(
        n.startswith("unattributed: 42.50 USD spend in 2 daily rows of 2 ad sets") and "not counted" in n
        for n in out.notes
    )
    assert any("reach known for 4 of 5 daily rows" in n for n in out.notes)
    data = out.to_dict()
    assert data["unattributed"]["spend"] == 42.5 and data["totals"]["conversions"] == 4
    assert data["rows"][1]["reach"] is None  # Benin City pcm: nothing known, not 0
