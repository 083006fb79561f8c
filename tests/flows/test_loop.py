"""The whole loop as a Prefect flow run (under Prefect's test harness), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlmodel import func, select

from flows.demo import DEMO_ROUTE, demo_flow
from intel.accounts import issue_grant
from intel.db import get_engine, session_scope
from intel.errors import CounterflowError
from intel.models import Delivery, Metric, Report, Tip, User
from intel.users import add_user
from sandbox.scenario import write_scenario_csv


def test_the_loop_flow_closes_the_loop(prefect_harness, settings, tmp_path):
    csv_path = write_scenario_csv(
        tmp_path / "reports.csv", n=900, seed=5, end=(dt.datetime.now(dt.UTC) - dt.timedelta(days=16)).date()
    )
    engine = get_engine(settings)
    with session_scope(engine) as s:
        for name, role in {
            "amara": "campaign_manager",
            "bola": "campaign_manager",
            "chidi": "analyst",
        }.items():
            add_user(s, name=name, role=role)
        # bola proved who he is (as the command line does with his password): a one-use grant
        grant = issue_grant(s, user=s.exec(select(User).where(User.name == "bola")).one(), purpose="approve")
    # replay a campaign that ran over the past two weeks, as the demo does
    as_of = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=16)
    starts = as_of.date() + dt.timedelta(days=1)
    summary = demo_flow(
        reports_file=str(csv_path),
        plan={
            "name": "test campaign",
            "author": "amara",
            "ages": "13-28",
            "genders": "women",
            "budget": 5000.0,
            "starts_on": starts,
            "ends_on": starts + dt.timedelta(days=13),
            "top": 5,
            "paid_for_by": "Test NGO",
            "allow_fuzzy": True,
        },
        approval_grant=grant,
        analyst="chidi",
        route=DEMO_ROUTE,
        home=str(settings.home),
        database_url=settings.database_url,
        as_of=as_of,
    )
    ingest = summary["ingest"]
    # the scenario is clean: every row is stored, its repeated incidents merged as duplicates
    assert ingest["rows_read"] > 900 and ingest["rows_rejected"] == 0
    assert ingest["rows_stored"] == ingest["rows_read"] and ingest["rows_duplicate"] > 0
    before, after = summary["hotspots_before"], summary["hotspots_after"]
    assert 1 <= len(before["ranked"]) <= 8
    assert Path(before["map"]).exists()
    plan = summary["plan"]
    assert not [f for f in plan["findings"] if f["level"] == "refuse"]
    # every pick explained, every ad set at or above the minimum (1 USD a day for 14 days)
    assert plan["targets"] and all(t["pick"] and t["pick"]["why"] for t in plan["targets"])
    assert plan["days"] == 14 and min(b["min_adset_per_day"] for b in plan["budget"]) >= 1.0
    assert round(sum(b["lifetime"] for b in plan["budget"]), 2) == 5000.0
    weak = {f["object"] for f in plan["findings"] if f["rule"] == "not_significant"}
    assert weak == {f"target {t['id']} ({t['name']})" for t in plan["targets"] if not t["pick"]["significant"]}
    assert summary["schedule"]["posts"] > 0
    outbox = Path(summary["publish"]["outbox"])
    lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == summary["publish"]["sent"] > 0
    fb = summary["feedback"]
    assert fb["simulated"] and fb["metrics_stored"] > 0
    with session_scope(engine) as s:
        n_tip_reports = s.exec(
            select(func.count()).select_from(Report).where(Report.source_id.is_not(None))
        ).one()
        assert s.exec(select(func.count()).select_from(Tip)).one() == fb["tips_stored"]
        assert s.exec(select(func.count()).select_from(Metric)).one() == fb["metrics_stored"]
        assert s.exec(select(func.count()).select_from(Delivery)).one() >= summary["publish"]["sent"]
    assert n_tip_reports >= fb["reports_created"]
    assert after["run_id"] != before["run_id"]
    if fb["reports_created"]:  # actionable tips near the targets are new reports in the corridor
        assert after["n_reports"] > before["n_reports"]
    assert summary["changes"]["lines"]
    assert summary["outcomes"]["simulated"] is True
    assert summary["outcomes"]["totals"]["reach"] > 0
    assert fb["followup_reports"] > 0
    change = summary["outcomes"]["change_at_hotspots"]
    assert change is not None and change["did"] is not None


def test_each_step_flow_runs_on_its_own(prefect_harness, sqlite_settings, tmp_path):
    """The per-step flows, one after another, as an operator would run them from deployments."""
    from flows.loop import feedback_flow, hotspots_flow, ingest_flow, plan_flow, publish_flow

    home, url = str(sqlite_settings.home), sqlite_settings.database_url
    as_of = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=12)
    csv_path = write_scenario_csv(tmp_path / "reports.csv", n=500, seed=9, end=as_of.date())
    with session_scope(get_engine(sqlite_settings)) as s:
        for name, role in {
            "amara": "campaign_manager",
            "bola": "campaign_manager",
            "chidi": "analyst",
        }.items():
            add_user(s, name=name, role=role)
        bola = s.exec(select(User).where(User.name == "bola")).one()
        grant = issue_grant(s, user=bola, purpose="approve")
        amaras = issue_grant(
            s, user=s.exec(select(User).where(User.name == "amara")).one(), purpose="approve"
        )
    assert ingest_flow(str(csv_path), home=home, database_url=url)["rows_stored"] > 500
    run = hotspots_flow(DEMO_ROUTE, home=home, database_url=url, top=4)
    assert run["ranked"] and Path(run["map"]).exists()
    starts = dt.date.today() + dt.timedelta(days=3)
    plan = {
        "route": DEMO_ROUTE,
        "name": "step flows",
        "author": "amara",
        "budget": 900.0,
        "starts_on": starts,
        "ends_on": starts + dt.timedelta(days=4),
        "top": 3,
        "languages": "en",
        "paid_for_by": "Test NGO",
    }
    planned = plan_flow(plan, home=home, database_url=url)
    cid = planned["campaign_id"]
    # the author's own grant approves nothing, and a spent grant approves no second time
    with pytest.raises(CounterflowError, match="amara is the author"):
        publish_flow(cid, approval_grant=amaras, home=home, database_url=url)
    published = publish_flow(cid, approval_grant=grant, home=home, database_url=url)
    with pytest.raises(CounterflowError, match=f"grant {grant} does not allow to approve"):
        publish_flow(cid, approval_grant=grant, home=home, database_url=url)
    with pytest.raises(CounterflowError, match="does not allow to approve"):
        publish_flow(cid, approval_grant=9999, home=home, database_url=url)
    # no flow run of this test holds a password, a token or a hash among its parameters
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    for run in runs:
        text = json.dumps(run.parameters, default=str)
        assert "password" not in text.lower() and "$argon2" not in text and "token" not in text.lower()
    assert published["publish"]["sent"] > 0 and published["schedule"]["posts"] > 0
    # a rerun of the publish flow sends nothing twice
    again = publish_flow(cid, home=home, database_url=url)
    assert again["publish"]["sent"] == 0 and again["publish"]["skipped"] == published["publish"]["sent"]
    # feedback from a file: the campaign's first tracking code
    with session_scope(get_engine(sqlite_settings)) as s:
        from intel.models import Asset

        code = s.exec(select(Asset.tracking_code).where(Asset.campaign_id == cid)).first()
    tips = tmp_path / "tips.csv"
    tips.write_text(
        # the tip names its town: a tip that names none is left for an analyst to place
        f"tracking_code,text,actionable,place\n{code},A recruiter took passports,yes,Benin City\n",
        encoding="utf-8",
    )
    fb = feedback_flow(cid, home=home, database_url=url, tips=str(tips), analyst="chidi")
    assert (fb["files"]["tips_attributed"], fb["files"]["reports_created"]) == (1, 1)
    assert fb["campaigns"] == []  # it starts in three days: no insights yet
