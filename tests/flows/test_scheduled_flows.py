"""What the scheduled deployments run, as real Prefect flow runs on an SQLite store: the nightly
hotspot run over every saved route, and the daily insights of every running campaign (published
through the sandbox facebook channel against the local fake Graph API)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, col, func, select

from campaigns.crud import running_campaigns
from campaigns.delivery.approval import approve_campaign
from campaigns.delivery.channels import get_channel
from campaigns.delivery.publish import publish_campaign
from campaigns.delivery.schedule import schedule_campaign
from flows import steps
from flows.loop import feedback_flow, hotspots_flow
from hotspots.routes import parse_route
from intel.db import get_engine, session_scope
from intel.errors import CounterflowError
from intel.hotspot_store import get_or_create_route
from intel.models import AuditEvent, Campaign, Delivery, HotspotRun, Metric, Route
from intel.settings import Settings
from intel.users import add_user
from sandbox.fakegraph import FakeGraph
from sandbox.scenario import write_scenario_csv
from tests.factories import ENGLISH_ONLY, make_draft_campaign

WEST = "Benin City > Agadez > Sabha > Tripoli"
EAST = "Asmara > Khartoum > Al Kufrah > Tripoli"


def _save_route(session: Session, text: str, corridor_km: float) -> Route:
    spec = parse_route(text, corridor_km=corridor_km)
    return get_or_create_route(
        session, name=spec.name, waypoints=[w.to_dict() for w in spec.waypoints], corridor_km=corridor_km
    )


def test_the_hotspots_flow_without_a_route_runs_every_saved_route(prefect_harness, sqlite_settings, tmp_path):
    home, url = str(sqlite_settings.home), sqlite_settings.database_url
    engine = get_engine(sqlite_settings)
    csv_path = write_scenario_csv(tmp_path / "reports.csv", n=400, seed=3)
    with session_scope(engine) as s:
        steps.ingest(s, path=csv_path, settings=sqlite_settings)

    # no saved route yet: one run over all reports
    first = hotspots_flow(home=home, database_url=url, top=3)
    assert [r["label"] for r in first] == ["all reports"]
    with Session(engine) as s:
        assert [r.route_id for r in s.exec(select(HotspotRun))] == [None]
        west = _save_route(s, WEST, 80.0)
        east = _save_route(s, EAST, 120.0)
        s.commit()
        ids = {west.id: 80.0, east.id: 120.0}

    nightly = hotspots_flow(home=home, database_url=url, top=3)
    assert len(nightly) == 2 and all(r["ranked"] for r in nightly)
    with Session(engine) as s:
        runs = s.exec(select(HotspotRun).where(col(HotspotRun.id).in_([r["run_id"] for r in nightly]))).all()
        assert sorted(r.route_id for r in runs) == sorted(ids)
        # each route in its own corridor: the run keeps it and the saved route is left as it was
        assert {r.route_id: r.params["corridor_km"] for r in runs} == ids
        assert {r.id: r.corridor_km for r in s.exec(select(Route))} == ids
        assert (
            s.exec(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "route.changed")
            ).one()
            == 0
        )
        assert s.exec(select(func.count()).select_from(HotspotRun)).one() == 3


def _published(
    session: Session, settings: Settings, fake: FakeGraph, *, name: str, starts_on: dt.date, days: int
) -> Campaign:
    """A campaign planned, scheduled, approved and published through facebook-sandbox the day
    before it started (the fake Graph API's clock set to that day)."""
    c = make_draft_campaign(session, name=name, targets=ENGLISH_ONLY, starts_on=starts_on, days=days)
    at = dt.datetime.combine(starts_on - dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC)
    schedule_campaign(session, campaign_id=c.id, windows=[(8, 0), (19, 0)], now=at)
    approve_campaign(session, campaign_id=c.id, approver="bello", now=at)
    session.commit()
    fake.now = lambda: at
    try:
        report = publish_campaign(
            session, campaign_id=c.id, channel=get_channel("facebook-sandbox", settings), now=at
        )
    finally:
        fake.now = None
    assert report.ok and report.sent
    session.refresh(c)
    assert (c.status, c.channel) == ("published", "facebook-sandbox")
    return c


def test_the_feedback_flow_without_a_campaign_pulls_every_running_campaigns_insights(
    prefect_harness, sqlite_settings, fake_graph, monkeypatch
):
    # the flow's own settings come from the environment, as in a served deployment
    for key, value in fake_graph.settings_env().items():
        monkeypatch.setenv(key, value)
    sandbox_settings = sqlite_settings.model_copy(update=fake_graph.settings_update())
    today = dt.datetime.now(dt.UTC).date()
    engine = get_engine(sqlite_settings)
    with Session(engine) as s:
        add_user(s, name="bello", role="campaign_manager")
        s.commit()
        running = _published(
            s, sandbox_settings, fake_graph, name="running", starts_on=today - dt.timedelta(days=2), days=5
        )
        ended = _published(
            s, sandbox_settings, fake_graph, name="ended", starts_on=today - dt.timedelta(days=60), days=5
        )
        draft = make_draft_campaign(
            s, name="draft", targets=ENGLISH_ONLY, starts_on=today - dt.timedelta(days=2)
        )
        ids = running.id, ended.id, draft.id
    n_requests = len(fake_graph.requests)

    out = feedback_flow(
        home=str(sqlite_settings.home), database_url=sqlite_settings.database_url, today=today
    )

    assert out["campaigns"] == [ids[0]] and out["files"] is None
    (pulled,) = out["insights"]
    assert pulled["channel"] == "facebook-sandbox"
    assert (pulled["first_day"], pulled["last_day"]) == (str(today - dt.timedelta(days=2)), str(today))
    assert pulled["inserted"] == 2 * 3  # two ad sets, three days so far
    with Session(engine) as s:
        per_campaign = dict(
            s.exec(select(Metric.campaign_id, func.count()).group_by(Metric.campaign_id)).all()  # type: ignore[arg-type]
        )
        assert per_campaign == {ids[0]: 6}
        assert {m.source for m in s.exec(select(Metric))} == {"platform"}
        ext = s.exec(
            select(Delivery.external_id).where(Delivery.campaign_id == ids[0], Delivery.kind == "campaign")
        ).one()
    # the platform was asked about the running campaign only
    asked = [
        json.loads(r["params"]["filtering"])[0]["value"]
        for r in fake_graph.requests[n_requests:]
        if r["path"].endswith("/insights")
    ]
    assert asked and set(asked) == {ext}
    # run again the next morning: the same days are updated, one more comes in
    again = feedback_flow(
        home=str(sqlite_settings.home),
        database_url=sqlite_settings.database_url,
        today=today + dt.timedelta(days=1),
    )
    assert again["campaigns"] == [ids[0]]
    assert (again["insights"][0]["inserted"], again["insights"][0]["updated"]) == (2, 6)


@pytest.mark.parametrize(
    ("status", "starts", "ends", "running"),
    [
        ("published", -2, 2, True),
        ("scheduled", 0, 0, True),  # its first (and only) day
        ("published", -5, -1, True),  # ended yesterday: its last day's insights still come in
        ("published", -6, -2, False),  # ended the day before yesterday
        ("published", 1, 5, False),  # starts tomorrow
        ("draft", -2, 2, False),
        ("approved", -2, 2, False),
        ("finished", -2, 2, False),
    ],
)
def test_which_campaigns_are_running(sqlite_engine, status, starts, ends, running):
    today = dt.date(2027, 3, 10)
    with Session(sqlite_engine) as s:
        c = make_draft_campaign(s, starts_on=today + dt.timedelta(days=starts), days=ends - starts + 1)
        c.status = status
        s.add(c)
        s.commit()
        assert [x.id for x in running_campaigns(s, today=today)] == ([c.id] if running else [])


def test_feedback_files_without_a_campaign_are_refused(prefect_harness, sqlite_settings):
    with pytest.raises(CounterflowError, match="without a campaign") as info:
        feedback_flow(
            home=str(sqlite_settings.home), database_url=sqlite_settings.database_url, tips="tips.csv"
        )
    assert "campaign_id" in info.value.fix
