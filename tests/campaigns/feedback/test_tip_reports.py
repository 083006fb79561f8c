"""An actionable tip enters the store through the one door (``intel.ingest.add_reports``):
taxonomy codes, grading, fingerprint and incidents, and none of the tip's words."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from campaigns.feedback.tips import NoReportPlace, submit_tip, tip_audit, triage_tip
from intel.errors import CounterflowError
from intel.ingest import add_reports
from intel.models import AuditEvent, ImportBatch, Report, Source, Tip
from intel.settings import Settings
from intel.store import load_reports
from intel.taxonomy import normalise_code
from tests.factories import make_campaign_rows, make_users

SECRET = "Madam Joy takes girls from Ekpoma to Agadez in a white bus"
TYPED_PLACE = "the blue house behind Iyaro motor park"


def _benin_code(rows) -> str:  # type: ignore[no-untyped-def]
    return rows.assets[(rows.targets[0].id, "en")].tracking_code


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("forced labor", "forced_labour"),
        ("forced labour", "forced_labour"),
        ("sexual exploitation", "sexual"),
        ("Sexual exploitation|forced labor|sexual", "sexual|forced_labour"),
    ],
)
def test_a_label_is_stored_as_its_taxonomy_code(
    sqlite_engine: Engine, sqlite_settings: Settings, typed: str, stored: str
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, lat=6.34, lon=5.62, settings=sqlite_settings)
        triage_tip(
            s, tip_id=tip.id, actor="ana", actionable=True, exploitation=typed, settings=sqlite_settings
        )
        s.commit()
        report = s.get(Report, tip.report_id)
        assert report is not None and report.exploitation == stored
        assert s.get(Tip, tip.id).exploitation == stored  # type: ignore[union-attr]


def test_an_unknown_exploitation_is_refused_with_the_taxonomys_message(
    engine: Engine, settings: Settings
) -> None:
    with pytest.raises(CounterflowError) as expected:
        normalise_code("exploitation", "space_piracy")
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        tip = submit_tip(s, text=SECRET, tracking_code=_benin_code(rows), settings=settings)
        s.commit()
        with pytest.raises(CounterflowError) as err:
            triage_tip(
                s, tip_id=tip.id, actor="ana", actionable=True, exploitation="space_piracy", settings=settings
            )
        assert (err.value.problem, err.value.fix) == (expected.value.problem, expected.value.fix)
        s.commit()  # even a caller that goes on and commits has stored nothing
    with Session(engine) as s:
        stored = s.get(Tip, tip.id)
        assert stored is not None
        assert (stored.status, stored.triaged_by, stored.report_id, stored.exploitation) == (
            "new",
            None,
            None,
            "",
        )
        assert s.exec(select(Report)).all() == []
        assert s.exec(select(ImportBatch)).all() == []
        assert [e.action for e in tip_audit(s, tip_id=tip.id)] == ["tip.submitted"]


def test_the_report_is_graded_comes_through_an_import_and_holds_no_tip_words(
    engine: Engine, settings: Settings
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        tip = submit_tip(
            s,
            text=SECRET,
            tracking_code=_benin_code(rows),
            place=TYPED_PLACE,
            lat=6.3456,
            lon=5.6189,
            simulated=True,
            settings=settings,
        )
        triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, exploitation="sexual", settings=settings)
        s.commit()
        report = s.get(Report, tip.report_id)
        assert report is not None
        source = s.get(Source, report.source_id)
        assert source is not None and (source.kind, source.reliability) == ("campaign_tip", "F")
        assert (report.reliability, report.credibility) == ("F", 3)
        assert report.import_id is not None and s.get(ImportBatch, report.import_id) is not None
        assert (report.lat, report.lon) == (6.3, 5.6)  # coarsened to 0.1 degree
        assert (report.place, report.country) == ("Benin City", "NG")  # a gazetteer name only
        assert report.simulated is True
        assert report.extra == {
            "tip_id": tip.id,
            "campaign_id": rows.campaign.id,
            "target_id": rows.targets[0].id,
            "place_from": "tip_location",
            "place_precision_reason": "coordinates rounded to 1 decimal",
        }
        assert report.place_precision == "district"  # a tip's place is coarsened: never a point
        assert report.observed_on == tip.received_at.date()
    with Session(engine) as s:
        raw = s.connection().execute(text("SELECT * FROM report")).one()
    flat = " ".join(str(v) for v in raw)
    for words in (SECRET, "Madam Joy", "Ekpoma", "white bus", TYPED_PLACE, "Iyaro"):
        assert words not in flat


def test_two_tips_about_one_place_and_day_become_one_incident(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        code = _benin_code(rows)
        first = submit_tip(s, text=SECRET, tracking_code=code, settings=settings)
        second = submit_tip(s, text="girls kept near the motor park", tracking_code=code, settings=settings)
        for tip in (first, second):
            triage_tip(
                s, tip_id=tip.id, actor="ana", actionable=True, exploitation="sexual", use_target_area=True,
                settings=settings,
            )  # fmt: skip
        s.commit()
        assert first.report_id is not None and second.report_id not in (None, first.report_id)
        later = s.get(Report, second.report_id)
        assert later is not None and later.duplicate_of == first.report_id
        assert s.get(Report, first.report_id).duplicate_of is None  # type: ignore[union-attr]
        triaged = tip_audit(s, tip_id=second.id)[-1]
        assert triaged.action == "tip.triaged"
        assert triaged.detail["report_id"] == second.report_id
        assert triaged.detail["duplicate_of"] == first.report_id
        # the next hotspot run sees one incident, corroborated twice
        incidents = load_reports(s)
        assert incidents["id"].tolist() == [first.report_id]
        assert incidents["corroboration"].tolist() == [2]


def test_a_tip_joins_an_incident_already_in_the_store(engine: Engine, settings: Settings) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        tip = submit_tip(s, text=SECRET, tracking_code=_benin_code(rows), settings=settings)
        (news,) = add_reports(
            s,
            rows=[{"observed_on": dt.date.today(), "lat": 6.3, "lon": 5.6, "country": "NG",
                   "exploitation": "sexual", "summary": "Girls recruited in Benin City for Libya"}],
            source_kind="news",
            source_name="Vanguard",
            settings=settings,
        )  # fmt: skip
        triage_tip(
            s, tip_id=tip.id, actor="ana", actionable=True, exploitation="sexual", use_target_area=True,
            settings=settings,
        )  # fmt: skip
        s.commit()
        report = s.get(Report, tip.report_id)
        assert report is not None and report.id != news and report.duplicate_of == news
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "tip.triaged")).one()
        assert event.detail["duplicate_of"] == news


def test_a_tip_with_nowhere_to_report_asks_for_a_place(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, settings=sqlite_settings)  # no code, no place, no location
        with pytest.raises(NoReportPlace) as err:
            triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, settings=sqlite_settings)
        assert "no place for its report" in err.value.problem and "town" in err.value.fix
        assert s.get(Tip, tip.id).status == "new"  # type: ignore[union-attr]
        with pytest.raises(CounterflowError) as unknown:
            triage_tip(
                s, tip_id=tip.id, actor="ana", actionable=True, place="Nowhereville", settings=sqlite_settings
            )
        assert "'Nowhereville' is not in the gazetteer" in unknown.value.problem
        triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, place="Agadez", settings=sqlite_settings)
        s.commit()
        report = s.get(Report, tip.report_id)
        assert report is not None and (report.place, report.country) == ("Agadez", "NE")
