"""The triage form through the real app (TestClient): prefilled from the tip, a place that does
not resolve re-shows the form (422) with the candidates as choices, and nothing is stored."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import AuditEvent, Report, Tip
from tests.factories import Seeded, as_user

WORDS = "They force girls into prostitution at the Blue Lodge"


def _tip(client: TestClient, seeded: Seeded, sqlite_engine: Engine, place: str) -> int:
    benin = seeded.rows.targets[0]
    code = seeded.rows.assets[(benin.id, "en")].tracking_code
    r = client.post(f"/t/{code}", data={"text": WORDS, "place": place}, follow_redirects=False)
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        tip = s.exec(select(Tip).order_by(Tip.id.desc())).first()  # type: ignore[union-attr]
        assert tip is not None and tip.id is not None
        return tip.id


def _value(html: str, field: str) -> str:
    found = re.search(rf'<input type="text" id="{field}" name="{field}" value="([^"]*)"', html)
    assert found, f"no input {field}"
    return unescape(found.group(1))


def _choices(html: str) -> list[str]:
    return [unescape(v) for v in re.findall(r'<input type="radio" name="place_choice" value="([^"]*)"', html)]


def test_the_form_is_prefilled_from_the_tip(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    tip_id = _tip(client, seeded, sqlite_engine, "Tripoli")
    page = client.get(f"/tips/{tip_id}", headers=as_user(client, "ana"))
    assert page.status_code == 200
    given = re.search(r'<p id="place-given">.*?<bdi[^>]*>([^<]*)</bdi>', page.text)
    assert given and given.group(1) == "Tripoli"  # what the tipster typed, to the analyst only
    assert _value(page.text, "place") == ""  # Libya or Lebanon: the analyst chooses
    assert _choices(page.text) == [
        "Tripoli, Tripoli, Libya",
        "Tripoli, Liban-Nord, Lebanon",
        "Trípoli, Peloponnese, Greece",
        "Tripoli, Iowa, United States",
    ]
    assert _value(page.text, "exploitation") == "sexual"  # suggested by "prostitution"
    assert "prostitution" in page.text.split('id="exploitation-suggested"')[1].split("</p>")[0]
    assert _value(page.text, "language") == "en"
    assert 'id="target-area"' in page.text and "Benin City (25 km)" in page.text
    resolved = _tip(client, seeded, sqlite_engine, "Uselu, Benin City")
    page = client.get(f"/tips/{resolved}", headers=as_user(client, "ana"))
    assert _value(page.text, "place") == "Uselu, Edo State, Nigeria"
    assert "found within 25 km of Benin City" in page.text
    # the list of tips shows no typed place: only the gazetteer's name of a resolved one
    listing = client.get("/tips", headers=as_user(client, "ana")).text
    assert "Uselu, Benin City" not in listing and "<td>Uselu</td>" in listing


def test_a_place_that_does_not_resolve_reshows_the_form_with_candidates(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    tip_id = _tip(client, seeded, sqlite_engine, "")
    url, ana = f"/tips/{tip_id}/triage", as_user(client, "ana")
    r = client.post(
        url, headers=ana, data={"decision": "actionable", "place": "Ekpomma", "exploitation": "sexual"}
    )
    assert r.status_code == 422
    assert 'id="triage-error"' in r.text and "'Ekpomma' is not in the gazetteer" in unescape(r.text)
    assert _choices(r.text) == ["Ekpoma, Edo State, Nigeria"]
    assert (_value(r.text, "place"), _value(r.text, "exploitation")) == ("Ekpomma", "sexual")  # kept
    r = client.post(url, headers=ana, data={"decision": "not_actionable", "place": "Tripoli"})
    assert r.status_code == 422 and len(_choices(r.text)) == 4
    with Session(sqlite_engine) as s:
        tip = s.get(Tip, tip_id)
        assert tip is not None and (tip.status, tip.report_id, tip.triaged_by) == ("new", None, None)
        assert s.exec(select(Report)).all() == []
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "tip.triaged")).all()
    # the analyst picks a candidate: it wins over the place typed before
    r = client.post(
        url,
        headers=ana,
        data={"decision": "actionable", "place": "Ekpomma", "place_choice": "Ekpoma, Edo State, Nigeria"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        report = s.exec(select(Report)).one()
        assert (report.place, report.country, report.lat, report.lon) == ("Ekpoma", "NG", 6.7, 6.1)


def test_the_targets_area_is_a_choice_the_analyst_makes(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    tip_id = _tip(client, seeded, sqlite_engine, "")
    url, ana = f"/tips/{tip_id}/triage", as_user(client, "ana")
    r = client.post(url, headers=ana, data={"decision": "actionable"})
    assert r.status_code == 422 and "no place for its report" in unescape(r.text)
    r = client.post(
        url, headers=ana, data={"decision": "actionable", "target_area": "yes"}, follow_redirects=False
    )
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        report = s.exec(select(Report)).one()
        assert (report.place, report.lat, report.lon) == ("Benin City", 6.3, 5.6)
        assert (report.place_precision, report.extra["place_from"]) == ("district", "target_area")
