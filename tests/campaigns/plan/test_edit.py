"""Editing a draft through the one step the faces share (flows.steps.edit)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from campaigns import crud
from campaigns.delivery.approval import approve_campaign
from flows import steps
from intel.db import session_scope
from intel.errors import Conflict, CounterflowError, Forbidden
from intel.models import AuditEvent, Delivery, ScheduledPost
from intel.settings import Settings
from intel.users import add_user
from tests.factories import DEMO_ROUTE, make_demo_run, make_route

NOW = dt.datetime(2027, 1, 2, 9, 0, tzinfo=dt.UTC)
SPOTS = [
    ("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1),
    ("Tripoli", 32.887, 13.187, 2, 15.0, 3, 5.5),
]


def _planned(engine: Engine, settings: Settings, **kw) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        make_demo_run(session, route=make_route(session), hotspots=SPOTS)
        add_user(session, name="ana", role="campaign_manager")
        add_user(session, name="bola", role="campaign_manager")
        add_user(session, name="dayo", role="director")
        args = dict(
            settings=settings,
            route=DEMO_ROUTE,
            name="Safe journeys",
            author="ana",
            ages="18-28",
            genders="women",
            languages="en",
            budget=1000.0,
            starts_on=dt.date(2027, 1, 10),
            ends_on=dt.date(2027, 1, 19),
            allow_fuzzy=True,
            now=NOW,
        )
        args.update(kw)
        return int(steps.plan(session, **args)["campaign_id"])


def test_disclosures_make_the_draft_pass_and_an_edit_withdraws_the_approval(
    engine: Engine, settings: Settings
) -> None:
    cid = _planned(engine, settings)
    with session_scope(engine) as session:
        refused = {
            f["rule"]
            for f in steps.plan_summary(session, campaign_id=cid, now=NOW)["findings"]
            if f["level"] == "refuse"
        }
        assert refused == {"paid_for_by"}
        done = steps.edit(
            session, campaign_id=cid, editor="ana", settings=settings, now=NOW, paid_for_by="Safe Passage"
        )
        assert done["changes"]["paid_for_by"] == [None, "Safe Passage"]
        assert done["changes"]["dsa_payor"] == [None, "Safe Passage"]  # defaults to the payer
        assert not [f for f in done["findings"] if f["level"] == "refuse"]
        assert done["approval_withdrawn"] is None
        approve_campaign(session, campaign_id=cid, approver="bola")
    with session_scope(engine) as session:
        done = steps.edit(session, campaign_id=cid, editor="ana", settings=settings, now=NOW, budget=2000.0)
        assert done["approval_withdrawn"] == "bola" and done["status"] == "draft"
        campaign = crud.get_campaign(session, campaign_id=cid)
        assert campaign.approved_by is None and campaign.approved_at is None
        events = session.exec(select(AuditEvent).where(AuditEvent.object_id == cid)).all()
        withdrawn = [e for e in events if e.action == "campaign.approval_withdrawn"]
        assert len(withdrawn) == 1 and withdrawn[0].actor == "ana"
        assert withdrawn[0].detail["approved_by"] == "bola" and withdrawn[0].detail["changed"] == ["budget"]
        edits = [e for e in events if e.action == "campaign.edited"]
        assert [e.detail["changes"] for e in edits][-1] == {"budget": [1000.0, 2000.0]}
        # the ad sets were split again: 2000 USD in all, each at least 10 USD (10 days x 1 USD)
        adsets = crud.list_adsets(session, campaign_id=cid)
        assert round(sum(a.budget for a in adsets), 2) == 2000.0 and min(a.budget for a in adsets) >= 10.0
        assert len(crud.list_assets(session, campaign_id=cid)) == 3 * len(adsets)  # made again


def test_dates_languages_and_a_dropped_target(engine: Engine, settings: Settings) -> None:
    cid = _planned(engine, settings, paid_for_by="Org")
    with session_scope(engine) as session:
        tripoli = [t for t in crud.list_targets(session, campaign_id=cid) if t.name == "Tripoli"][0]
        done = steps.edit(
            session,
            campaign_id=cid,
            editor="bola",  # a campaign manager who is not the author
            settings=settings,
            now=NOW,
            starts_on=dt.date(2027, 1, 12),
            ends_on=dt.date(2027, 1, 31),
            languages="en,pcm",
            drop_targets=[tripoli.id],
        )
        assert [t["name"] for t in done["targets"]] == ["Benin City"]
        assert done["days"] == 20 and done["changes"]["starts_on"] == ["2027-01-10", "2027-01-12"]
        adsets = crud.list_adsets(session, campaign_id=cid)
        assert sorted(a.locale for a in adsets) == ["en", "pcm"]
        campaign = crud.get_campaign(session, campaign_id=cid)
        assert campaign.special_ad_category_country == ["NG"]
        # Tripoli is a significant hot spot (bin 3) that is no longer targeted: the plan says so
        (left,) = [n for n in campaign.plan_notes if n["rule"] == "left_out"]
        assert left["object"] == f"hotspot {tripoli.hotspot_id} (Tripoli)"


@pytest.mark.parametrize(
    ("kw", "error", "words"),
    [
        ({"editor": "dayo", "budget": 5.0}, Forbidden, "dayo may not edit campaign"),
        (
            {"starts_on": dt.date(2027, 1, 1)},
            CounterflowError,
            r"start on 2027-01-01, before today \(2027-01-02",
        ),
        ({"ends_on": dt.date(2027, 1, 5)}, CounterflowError, "end on 2027-01-05 but start on 2027-01-10"),
        ({"budget": 5.0}, CounterflowError, "cannot fund one ad set"),
        ({"budget": 1000.0}, CounterflowError, "nothing changed"),
        ({}, CounterflowError, "nothing to change"),
        ({"drop_targets": [999]}, CounterflowError, "has no target 999"),
        ({"paid_for_by": "  "}, CounterflowError, "organisation name was empty"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(
    engine: Engine, settings: Settings, kw: dict, error: type, words: str
) -> None:
    cid = _planned(engine, settings, paid_for_by="Org")
    args = {"editor": "ana", **kw}
    with pytest.raises(error, match=words), session_scope(engine) as session:
        steps.edit(session, campaign_id=cid, settings=settings, now=NOW, **args)
    with session_scope(engine) as session:
        assert crud.get_campaign(session, campaign_id=cid).budget == 1000.0
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == "campaign.edited")).all()


def test_a_campaign_that_went_out_cannot_be_edited(engine: Engine, settings: Settings) -> None:
    cid = _planned(engine, settings, paid_for_by="Org")
    with session_scope(engine) as session:
        session.add(
            Delivery(campaign_id=cid, key=f"campaign:{cid}", kind="campaign", channel="outbox", status="sent")
        )
    with pytest.raises(Conflict, match="it went out and cannot be edited"), session_scope(engine) as session:
        steps.edit(session, campaign_id=cid, editor="ana", settings=settings, now=NOW, budget=2000.0)
    with session_scope(engine) as session:
        assert session.exec(select(ScheduledPost)).all() == []
