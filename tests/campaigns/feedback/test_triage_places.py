"""Places named in tips resolve like any other place: never inside the campaign target's country
only, never silently at the target's centre; a place that names no place or several is refused
with its candidates and nothing changes.

Coordinates worked by hand from the gazetteer (GeoNames): Ekpoma 6.743, 6.14029 -> 6.7, 6.1;
Uselu 6.38429, 5.60984 -> 6.4, 5.6; the Agadez target 16.97, 7.99 -> 17.0, 8.0 (0.1 degree).
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import intel.gazetteer
from campaigns.feedback.places import PlaceNotResolved
from campaigns.feedback.tips import NoReportPlace, read_tip_text, submit_tip, tip_audit, triage_tip
from campaigns.feedback.triage import triage_form
from intel.errors import CounterflowError
from intel.gazetteer import get_gazetteer
from intel.models import Report, Tip
from intel.settings import Settings
from tests.factories import make_campaign_rows, make_target_code, make_users

SECRET = "Madam Joy keeps the girls in a house near the market"


def _report(s: Session, tip: Tip) -> Report:
    stored = s.get(Tip, tip.id)
    assert stored is not None and stored.report_id is not None
    report = s.get(Report, stored.report_id)
    assert report is not None
    return report


def test_a_nigerian_town_in_a_tip_for_a_niger_target_is_reported_in_nigeria(
    engine: Engine, settings: Settings
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        agadez = make_target_code(s)  # the campaign target is Agadez, Niger
        typed = submit_tip(s, text=SECRET, tracking_code=agadez, place="Ekpoma", settings=settings)
        assert (typed.place, typed.country) == ("Ekpoma", "NG")  # not looked up in Niger only
        triage_tip(s, tip_id=typed.id, actor="ana", actionable=True, settings=settings)
        named = submit_tip(s, text=SECRET, tracking_code=agadez, settings=settings)
        done = triage_tip(s, tip_id=named.id, actor="ana", actionable=True, place="Ekpoma", settings=settings)
        s.commit()
        for tip in (typed, named):
            report = _report(s, tip)
            assert (report.place, report.country, report.lat, report.lon) == ("Ekpoma", "NG", 6.7, 6.1)
        assert _report(s, typed).extra["place_from"] == "tip_place"
        assert _report(s, named).extra["place_from"] == "analyst"
        assert done.place_note == "Ekpoma (Edo State, Nigeria)"


def test_a_district_with_its_town_resolves_to_the_district_and_says_which_part_was_used(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        agadez = make_target_code(s)
        uselu = submit_tip(s, text=SECRET, tracking_code=agadez, settings=sqlite_settings)
        done = triage_tip(
            s,
            tip_id=uselu.id,
            actor="ana",
            actionable=True,
            place="Uselu, Benin City",
            settings=sqlite_settings,
        )
        assert done.place_note == "Uselu (Edo State, Nigeria), found within 25 km of Benin City"
        report = _report(s, uselu)
        assert (report.place, report.country, report.lat, report.lon) == ("Uselu", "NG", 6.4, 5.6)
        assert report.place_precision == "district"
        # a part the gazetteer does not know near the town: the town, and the reply says so
        park = submit_tip(s, text=SECRET, tracking_code=agadez, settings=sqlite_settings)
        done = triage_tip(
            s, tip_id=park.id, actor="ana", actionable=True, place="Iyaro motor park, Ekpoma",
            settings=sqlite_settings,
        )  # fmt: skip
        assert done.place_note is not None and done.place_note.startswith(
            "Ekpoma (Edo State, Nigeria): the part"
        )
        report = _report(s, park)
        assert (report.place, report.country, report.place_precision) == ("Ekpoma", "NG", "district")  # coarsened to 0.1 degree


def _nothing_changed(s: Session, tip_id: int) -> None:
    stored = s.get(Tip, tip_id)
    assert stored is not None
    assert (stored.status, stored.report_id, stored.triaged_by) == ("new", None, None)
    assert s.exec(select(Report)).all() == []
    assert [e.action for e in tip_audit(s, tip_id=tip_id)] == ["tip.submitted"]


def test_an_unknown_place_is_refused_with_the_nearest_places_and_nothing_is_stored(
    engine: Engine, settings: Settings
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, tracking_code=make_target_code(s), settings=settings)
        s.commit()
        with pytest.raises(PlaceNotResolved) as err:
            triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, place="Ekpomma", settings=settings)
        assert err.value.status == 422
        assert "'Ekpomma' is not in the gazetteer" in err.value.problem
        assert [(c.name, c.admin1, c.country) for c in err.value.candidates] == [
            ("Ekpoma", "Edo State", "NG")
        ]
        assert "'Ekpoma, Edo State, Nigeria'" in err.value.fix
        s.commit()  # even a caller that goes on and commits has stored nothing
    with Session(engine) as s:
        _nothing_changed(s, tip.id)


def test_an_ambiguous_place_lists_its_candidates_whatever_the_targets_country(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        tripoli_ly = rows.assets[(rows.targets[1].id, "ar")].tracking_code  # the target is in Libya
        tip = submit_tip(s, text=SECRET, tracking_code=tripoli_ly, settings=sqlite_settings)
        with pytest.raises(PlaceNotResolved) as err:
            triage_tip(
                s, tip_id=tip.id, actor="ana", actionable=True, place="Tripoli", settings=sqlite_settings
            )
        assert [c.country for c in err.value.candidates] == ["LY", "LB", "GR", "US"]
        assert (
            "'Tripoli, Liban-Nord, Lebanon'" in err.value.fix and "'Tripoli, Tripoli, Libya'" in err.value.fix
        )
        _nothing_changed(s, tip.id)
        # each candidate's wording names that place alone: the analyst's choice is honoured
        for c in err.value.candidates:
            label = ", ".join(p for p in (c.name, c.admin1, c.country_name) if p)
            assert get_gazetteer().resolve(label) == c
        triage_tip(
            s, tip_id=tip.id, actor="ana", actionable=True, place="Tripoli, Liban-Nord, Lebanon",
            settings=sqlite_settings,
        )  # fmt: skip
        assert (_report(s, tip).country, _report(s, tip).lat) == ("LB", 34.4)


@pytest.mark.parametrize(
    ("lat", "lon", "country"),
    [(32.89, 13.19, "Libya"), (34.44, 35.85, "Lebanon")],
)
def test_the_tips_own_location_settles_an_ambiguous_name_and_the_reply_says_so(
    sqlite_engine: Engine, sqlite_settings: Settings, lat: float, lon: float, country: str
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        # attributed to Agadez, Niger: the target's country plays no part
        tip = submit_tip(
            s, text=SECRET, tracking_code=make_target_code(s), lat=lat, lon=lon, settings=sqlite_settings
        )
        done = triage_tip(
            s, tip_id=tip.id, actor="ana", actionable=True, place="Tripoli", settings=sqlite_settings
        )
        assert done.place_note is not None
        assert f"the one in {country}, where the tip's location is, was taken" in done.place_note
        assert _report(s, tip).extra["place_from"] == "analyst"


def test_the_targets_area_is_used_only_when_the_analyst_chooses_it(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, tracking_code=make_target_code(s), settings=sqlite_settings)
        with pytest.raises(NoReportPlace) as err:
            triage_tip(s, tip_id=tip.id, actor="ana", actionable=True, settings=sqlite_settings)
        assert err.value.status == 422 and "target's area" in err.value.fix
        with pytest.raises(CounterflowError) as both:
            triage_tip(
                s, tip_id=tip.id, actor="ana", actionable=True, place="Ekpoma", use_target_area=True,
                settings=sqlite_settings,
            )  # fmt: skip
        assert "not both" in both.value.fix
        _nothing_changed(s, tip.id)
        done = triage_tip(
            s, tip_id=tip.id, actor="ana", actionable=True, use_target_area=True, settings=sqlite_settings
        )
        assert done.place_note == "the area of the campaign target Agadez (25 km), chosen at triage"
        report = _report(s, tip)
        assert (report.place, report.country, report.lat, report.lon) == ("Agadez", "NE", 17.0, 8.0)
        assert (report.place_precision, report.extra["place_from"]) == ("region", "target_area")  # 17.0, 8.0 reads as whole degrees
        # a wide target stands for a region, not a town
        wide = submit_tip(
            s, text=SECRET, tracking_code=make_target_code(s, radius_km=60), settings=sqlite_settings
        )
        triage_tip(
            s, tip_id=wide.id, actor="ana", actionable=True, use_target_area=True, settings=sqlite_settings
        )
        assert _report(s, wide).place_precision == "region"


def test_the_publics_ambiguous_place_is_kept_encrypted_only_and_offered_at_triage(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        rows = make_campaign_rows(s)
        tripoli_ly = rows.assets[(rows.targets[1].id, "ar")].tracking_code
        tip = submit_tip(s, text=SECRET, tracking_code=tripoli_ly, place="Tripoli", settings=sqlite_settings)
        assert (tip.place, tip.country) == (None, None)  # no guess from the target's country
        assert b"Tripoli" not in tip.text_encrypted
        assert read_tip_text(s, tip_id=tip.id, actor="ana", settings=sqlite_settings).endswith(
            "[place given: Tripoli]"
        )
        form = triage_form(s, tip_id=tip.id, actor="ana", settings=sqlite_settings)
        assert (form.text, form.place_given, form.place) == (SECRET, "Tripoli", "")
        assert [c.label for c in form.candidates] == [
            "Tripoli, Tripoli, Libya",
            "Tripoli, Liban-Nord, Lebanon",
            "Trípoli, Peloponnese, Greece",
            "Tripoli, Iowa, United States",
        ]
        # the same words with the tipster's own location in Libya: the Libyan town, kept in clear
        located = submit_tip(s, text=SECRET, place="Tripoli", lat=32.89, lon=13.19, settings=sqlite_settings)
        assert (located.place, located.country) == ("Tripoli", "LY")


def test_the_form_is_prefilled_from_the_tip(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        words = "They force girls into prostitution at a hotel"
        tip = submit_tip(
            s,
            text=words,
            tracking_code=make_target_code(s),
            place="Uselu, Benin City",
            settings=sqlite_settings,
        )
        form = triage_form(s, tip_id=tip.id, actor="ana", settings=sqlite_settings)
        assert (form.text, form.place_given) == (words, "Uselu, Benin City")
        assert form.place == "Uselu, Edo State, Nigeria"
        assert form.place_note == "Uselu (Edo State, Nigeria), found within 25 km of Benin City"
        assert (form.language, form.exploitation) == ("fr", "sexual")
        assert form.suggested == [("sexual", ("prostitution",))]
        assert form.target is not None and form.target.name == "Agadez"
        # reading the form is reading the tip: audited
        assert [e.action for e in tip_audit(s, tip_id=tip.id)] == ["tip.submitted", "tip.read"]


def test_typed_places_never_reach_the_logs(
    sqlite_engine: Engine,
    sqlite_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the gazetteer logs the choice of a dominant place once per process: start afresh
    monkeypatch.setattr(intel.gazetteer, "_warned", set())
    caplog.set_level(logging.DEBUG)
    typed = ["Palermo", "Iyaro motor park, Ekpoma", "Uselu, Benin City", "Tripoli", "Ekpomma"]
    with Session(sqlite_engine, expire_on_commit=False) as s:
        make_users(s)
        code = make_target_code(s)
        tips = [
            submit_tip(s, text=SECRET, tracking_code=code, place=p, settings=sqlite_settings) for p in typed
        ]
        # with no campaign at all: the name is looked up everywhere, and the choice is not logged
        tips.append(submit_tip(s, text=SECRET, place="Palermo", settings=sqlite_settings))
        for tip in tips:
            triage_form(s, tip_id=tip.id, actor="ana", settings=sqlite_settings)
        triage_tip(s, tip_id=tips[0].id, actor="ana", actionable=True, settings=sqlite_settings)
        triage_tip(
            s, tip_id=tips[1].id, actor="ana", actionable=True, place="Palermo", settings=sqlite_settings
        )
        with pytest.raises(PlaceNotResolved):
            triage_tip(
                s, tip_id=tips[2].id, actor="ana", actionable=True, place="Tripoli", settings=sqlite_settings
            )
        s.commit()
    assert caplog.records, "the tip service logs its actions"
    logged = caplog.text.lower()
    for words in ("palermo", "iyaro", "uselu", "tripoli", "ekpom"):
        assert words not in logged
