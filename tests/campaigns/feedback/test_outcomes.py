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
        triage_tip(s, tip_id=tips[0].id, actor="ana", actionable=True)
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
