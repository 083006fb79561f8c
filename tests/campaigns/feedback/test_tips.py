"""The tip service against both stores: encryption, coarsening, attribution, roles, audit, triage."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from campaigns.feedback.tips import (
    TipInvalid,
    export_tips_aggregated,
    read_tip_text,
    submit_tip,
    tip_audit,
    triage_tip,
)
from intel.errors import Conflict, CounterflowError, Forbidden, NotFound
from intel.models import Report, Source, Tip
from intel.settings import Settings
from tests.factories import make_campaign_rows, make_users

SECRET = "Madam Joy takes girls from Ekpoma to Agadez in a white bus"


def test_tip_is_encrypted_coarsened_and_attributed(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        rows = make_campaign_rows(s)
        benin = rows.targets[0]
        code = rows.assets[(benin.id, "pcm")].tracking_code
        tip = submit_tip(s, text=SECRET, tracking_code=code, lat=6.3456, lon=5.6189, settings=settings)
        s.commit()
        tip_id = tip.id
    with engine.connect() as conn:
        raw, lat, lon, campaign_id, target_id, locale = conn.execute(
            text("SELECT text_encrypted, lat, lon, campaign_id, target_id, locale FROM tip WHERE id = :i"),
            {"i": tip_id},
        ).one()
    assert SECRET.encode() not in bytes(raw)
    assert b"Madam" not in bytes(raw)
    assert (lat, lon) == (6.3, 5.6)
    assert (campaign_id, target_id, locale) == (rows.campaign.id, benin.id, "pcm")


def test_unknown_tracking_code_is_kept_unattributed(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        tip = submit_tip(s, text="a tip", tracking_code="nosuchcode", locale="fr", settings=settings)
        s.commit()
        assert tip.campaign_id is None and tip.target_id is None
        assert tip.tracking_code == "nosuchcode" and tip.locale == "fr"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"text": "   "}, "empty"),
        ({"text": "x" * 5001}, "too_long"),
        ({"text": "ok", "lat": 6.3}, "bad_location"),
        ({"text": "ok", "lat": 95.0, "lon": 5.0}, "bad_location"),
    ],
)
def test_bad_tips_are_refused_with_a_reason(
    sqlite_engine: Engine, sqlite_settings: Settings, kwargs, code
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s, pytest.raises(TipInvalid) as err:
        submit_tip(s, settings=sqlite_settings, **kwargs)
    assert err.value.code == code
    assert err.value.fix


def test_only_analysts_and_admins_read_and_every_read_is_audited(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, settings=settings)
        s.commit()
        for who in ("cam", "dina"):
            with pytest.raises(Forbidden):
                read_tip_text(s, tip_id=tip.id, actor=who, settings=settings)
        with pytest.raises(Forbidden):
            read_tip_text(s, tip_id=tip.id, actor="stranger", settings=settings)
        with pytest.raises(NotFound):
            read_tip_text(s, tip_id=9999, actor="ana", settings=settings)
        assert read_tip_text(s, tip_id=tip.id, actor="ana", settings=settings) == SECRET
        assert read_tip_text(s, tip_id=tip.id, actor="root", settings=settings) == SECRET
        s.commit()
        trail = [(e.actor, e.action) for e in tip_audit(s, tip_id=tip.id)]
    assert trail == [("public", "tip.submitted"), ("ana", "tip.read"), ("root", "tip.read")]


def test_actionable_tip_becomes_a_graded_report_once(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        tripoli = rows.targets[1]
        tip = submit_tip(
            s, text=SECRET, tracking_code=rows.assets[(tripoli.id, "ar")].tracking_code, settings=settings
        )
        with pytest.raises(Forbidden):
            triage_tip(s, tip_id=tip.id, actor="cam", actionable=True)
        # the tip says nowhere: the analyst chooses the target's area, explicitly
        triage_tip(
            s, tip_id=tip.id, actor="ana", actionable=True, exploitation="sexual|labour", use_target_area=True
        )
        triage_tip(s, tip_id=tip.id, actor="ana", actionable=True)  # again: still one report
        s.commit()
        reports = s.exec(select(Report)).all()
        assert len(reports) == 1
        report = reports[0]
        source = s.get(Source, report.source_id)
        assert source is not None and source.kind == "campaign_tip"
        assert (report.reliability, report.credibility) == ("F", 3)
        assert (report.lat, report.lon, report.country) == (32.9, 13.2, "LY")  # target centre, coarsened
        # a 25 km target stands for its town, and the report says where its place came from
        assert (report.place_precision, report.extra["place_from"]) == ("district", "target_area")  # stated town, coordinates coarsened to 0.1 degree
        assert report.exploitation == "sexual|forced_labour"  # the taxonomy's codes
        assert SECRET not in (report.summary or "")
        stored = s.get(Tip, tip.id)
        assert stored is not None and stored.status == "actionable" and stored.report_id == report.id
        assert stored.triaged_by == "ana"
        with pytest.raises(Conflict):
            triage_tip(s, tip_id=tip.id, actor="ana", actionable=False)
        actions = [e.action for e in tip_audit(s, tip_id=tip.id)]
    assert actions == ["tip.submitted", "tip.triaged", "tip.triaged"]


def test_triage_place_is_resolved_and_coarsened(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text="seen at the motor park", settings=sqlite_settings)
        triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, place="Agadez")
        s.commit()
        report = s.exec(select(Report)).one()
    assert report.country == "NE"
    assert report.lat == pytest.approx(17.0, abs=0.11) and report.lon == pytest.approx(8.0, abs=0.11)
    assert round(report.lat, 1) == report.lat


def test_tip_text_never_reaches_the_logs(
    sqlite_engine: Engine, sqlite_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, settings=sqlite_settings)
        read_tip_text(s, tip_id=tip.id, actor="ana", settings=sqlite_settings)
        triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, place="Benin City")
        s.commit()
    assert caplog.records, "the tip service logs its actions"
    assert all("Madam Joy" not in r.getMessage() for r in caplog.records)
    assert "Madam Joy" not in caplog.text


def test_export_is_aggregated_and_suppresses_small_counts(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        rows = make_campaign_rows(s)
        benin = rows.targets[0]
        en = rows.assets[(benin.id, "en")].tracking_code
        pcm = rows.assets[(benin.id, "pcm")].tracking_code
        for _ in range(4):
            submit_tip(s, text=SECRET, tracking_code=en, lat=6.34, lon=5.62, settings=settings)
        submit_tip(s, text=SECRET, tracking_code=pcm, settings=settings)
        submit_tip(s, text="elsewhere", settings=settings)
        s.commit()
        frame = export_tips_aggregated(s, campaign_id=rows.campaign.id)
    assert list(frame.columns) == [
        "campaign_id",
        "target_id",
        "locale",
        "status",
        "week",
        "tips",
        "simulated",
    ]
    by_locale = dict(zip(frame["locale"], frame["tips"], strict=True))
    assert by_locale == {"en": "<11", "pcm": "<11"}
    with Session(engine) as s:
        small = export_tips_aggregated(s, campaign_id=rows.campaign.id, k=3)
    assert dict(zip(small["locale"], small["tips"], strict=True)) == {"en": "4", "pcm": "<3"}
    flat = frame.astype(str).to_string()
    assert "Madam" not in flat and "6.3" not in flat


def test_referral_needs_an_actionable_tip_and_is_audited(engine: Engine, settings: Settings) -> None:
    from campaigns.feedback.tips import refer_tip

    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, settings=settings)
        with pytest.raises(Conflict):
            refer_tip(s, tip_id=tip.id, actor="ana", partner="NAPTIP Benin zonal office")
        triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, place="Benin City")
        with pytest.raises(Forbidden):
            refer_tip(s, tip_id=tip.id, actor="dina", partner="NAPTIP")
        with pytest.raises(CounterflowError) as err:
            refer_tip(s, tip_id=tip.id, actor="ana", partner="  ")
        assert "partner's name was empty" in err.value.problem
        refer_tip(s, tip_id=tip.id, actor="ana", partner="NAPTIP Benin zonal office")
        s.commit()
        assert s.get(Tip, tip.id).status == "referred"  # type: ignore[union-attr]
        last = tip_audit(s, tip_id=tip.id)[-1]
    assert (last.action, last.detail["partner"]) == ("tip.referred", "NAPTIP Benin zonal office")


def test_a_typed_place_is_encrypted_and_never_reaches_a_report(engine, settings):
    """The public's free-text place is as sensitive as the text: it stays in the encrypted tip."""
    from sqlmodel import select

    from campaigns.feedback.tips import read_tip_text, submit_tip, triage_tip
    from intel.db import session_scope
    from intel.models import Report, Tip
    from intel.users import add_user

    typed = "house of Mrs Ada Obi, 12 Sapele Road, she hides girls"
    with session_scope(engine) as s:
        add_user(s, name="ana", role="analyst")
        tip = submit_tip(s, text="girls kept in a house", place=typed, lat=6.34, lon=5.62, settings=settings)
        tip_id = tip.id
    with session_scope(engine) as s:
        row = s.get(Tip, tip_id)
        assert row.place is None  # not a town the gazetteer knows: nothing in clear
        assert typed.encode() not in row.text_encrypted
        assert typed in read_tip_text(s, tip_id=tip_id, actor="ana", settings=settings)
        triage_tip(s, tip_id=tip_id, actor="ana", actionable=True)
    with session_scope(engine) as s:
        report = s.exec(select(Report).where(Report.id == s.get(Tip, tip_id).report_id)).one()
        assert report.place == "Benin City" and "Sapele" not in (report.summary or "")
