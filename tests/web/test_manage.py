"""The campaign manager's pages: plan, edit, preflight as fields change, copy review, the
calendar, submit and publish, each through the same steps as the command line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from intel.models import AuditEvent, Campaign, Delivery, Target
from tests.factories import Seeded, as_user

NEXT_YEAR = dt.date.today().year + 1


def plan_form(seeded: Seeded, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    """A plan form that passes: every proposed target kept, English only, a dry run."""
    form: dict[str, Any] = {
        "csrf_token": headers["X-CSRF-Token"],
        "run": str(seeded.run.id),
        "name": "Safe roads",
        "ages": "18-35",
        "genders": "all",
        "languages": "en",
        "budget": "4000",
        "currency": "USD",
        "starts": f"{NEXT_YEAR}-04-01",
        "ends": f"{NEXT_YEAR}-04-10",
        "paid_for_by": "Counterflow Test Foundation",
        "allow_fuzzy": "1",
        "keep": [str(h.id) for h in seeded.hotspots],
    }
    form.update(changes)
    return form


def campaigns(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Campaign)).one()


def test_the_plan_form_lists_the_runs_proposed_targets_with_their_languages(
    client: TestClient, seeded: Seeded
) -> None:
    r = client.get(f"/campaigns/new?run={seeded.run.id}", headers=as_user(client, "cam"))
    assert r.status_code == 200
    for place, langs in (("Benin City", "en, pcm, bin"), ("Agadez", "fr, ha"), ("Tripoli", "ar")):
        assert place in r.text and langs in r.text
    assert r.text.count('name="keep"') == 4 and r.text.count(" checked") >= 4
    assert '<script src="/static/preflight.js"' in r.text
    run_page = client.get(f"/hotspots/{seeded.run.id}", headers=as_user(client, "cam")).text
    assert f'href="/campaigns/new?run={seeded.run.id}"' in run_page
    # an analyst reads the run but plans nothing
    assert (
        'id="plan-campaign"'
        not in client.get(f"/hotspots/{seeded.run.id}", headers=as_user(client, "ana")).text
    )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "  "}, "name", "give the campaign a name"),
        ({"budget": "-5"}, "budget", "budget was -5: give a positive amount"),
        ({"budget": "lots"}, "budget", "budget was &#39;lots&#39;"),
        ({"starts": "01/04/2027"}, "starts", "give a date as YYYY-MM-DD"),
        ({"ends": f"{NEXT_YEAR}-03-01"}, "ends", "must come after the first"),
        ({"ages": "10-30"}, "ages", "give MIN-MAX within 13-65"),
    ],
)
def test_bad_plan_input_shows_the_form_again_with_the_fields_error_and_saves_nothing(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine, changes: dict[str, str], field: str, words: str
) -> None:
    headers = as_user(client, "cam")
    before = campaigns(sqlite_engine)
    r = client.post("/campaigns", headers=headers, data=plan_form(seeded, headers, **changes))
    assert r.status_code == 422
    assert f'id="{field}-error">' in r.text and words in r.text
    assert campaigns(sqlite_engine) == before


def test_a_plan_the_step_refuses_saves_nothing(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    headers = as_user(client, "cam")
    before = campaigns(sqlite_engine)
    r = client.post("/campaigns", headers=headers, data=plan_form(seeded, headers, origins="ZZ"))
    assert r.status_code == 422 and 'id="plan-problem"' in r.text and "origin &#39;ZZ&#39;" in r.text
    assert campaigns(sqlite_engine) == before


def test_planning_drops_the_unticked_target_and_opens_the_draft(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    headers = as_user(client, "cam")
    agadez = next(h for h in seeded.hotspots if h.place == "Agadez")
    keep = [str(h.id) for h in seeded.hotspots if h is not agadez]
    r = client.post(
        "/campaigns", headers=headers, data=plan_form(seeded, headers, keep=keep), follow_redirects=False
    )
    assert r.status_code == 303
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None
        assert (c.author, c.status, c.budget, c.paid_for_by) == (
            "cam",
            "draft",
            4000.0,
            "Counterflow Test Foundation",
        )
        assert (c.starts_on, c.ends_on) == (dt.date(NEXT_YEAR, 4, 1), dt.date(NEXT_YEAR, 4, 10))
        names = sorted(t.name for t in s.exec(select(Target).where(Target.campaign_id == cid)).all())
    assert names == ["Benin City", "Sabha", "Tripoli"]


def test_the_preflight_fragment_changes_with_a_field_and_saves_nothing(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    headers = as_user(client, "cam")
    before = campaigns(sqlite_engine)
    with_payer = client.post("/campaigns/preflight", headers=headers, data=plan_form(seeded, headers))
    without = client.post(
        "/campaigns/preflight", headers=headers, data=plan_form(seeded, headers, paid_for_by="")
    )
    assert with_payer.status_code == without.status_code == 200
    assert 'data-rule="paid_for_by"' not in with_payer.text and "passes" in with_payer.text
    assert 'data-rule="paid_for_by"' in without.text and "Paid for by" in without.text
    bad = client.post("/campaigns/preflight", headers=headers, data=plan_form(seeded, headers, budget="0"))
    assert 'id="preflight-errors"' in bad.text and "give a positive amount" in bad.text
    assert campaigns(sqlite_engine) == before


def _planned(client: TestClient, seeded: Seeded, **changes: Any) -> int:
    headers = as_user(client, "cam")
    r = client.post(
        "/campaigns", headers=headers, data=plan_form(seeded, headers, **changes), follow_redirects=False
    )
    assert r.status_code == 303, r.text[:500]
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_editing_a_draft_goes_through_the_edit_step_and_is_audited(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = _planned(client, seeded)
    headers = as_user(client, "cleo")  # another campaign manager may edit, as on the command line
    page = client.get(f"/campaigns/{cid}/edit", headers=headers)
    assert page.status_code == 200 and 'value="4000"' in page.text
    form = {"csrf_token": headers["X-CSRF-Token"], "budget": "5000", "starts": f"{NEXT_YEAR}-04-01",
            "ends": f"{NEXT_YEAR}-04-10", "ages": "18-35", "genders": "all", "languages": "en",
            "paid_for_by": "Counterflow Test Foundation", "dsa_beneficiary": "Counterflow Test Foundation",
            "dsa_payor": "Counterflow Test Foundation"}  # fmt: skip
    bad = client.post(f"/campaigns/{cid}/edit", headers=headers, data={**form, "budget": "0"})
    assert bad.status_code == 422 and 'id="budget-error"' in bad.text
    same = client.post(f"/campaigns/{cid}/edit", headers=headers, data={**form, "budget": "4000"})
    assert same.status_code == 422 and "nothing changed" in same.text
    r = client.post(f"/campaigns/{cid}/edit", headers=headers, data=form, follow_redirects=False)
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and c.budget == 5000.0
        edited = s.exec(
            select(AuditEvent).where(AuditEvent.action == "campaign.edited", AuditEvent.object_id == cid)
        ).all()
        assert [(e.actor, e.detail["changes"]["budget"]) for e in edited] == [("cleo", [4000.0, 5000.0])]


def test_only_a_draft_is_edited(client: TestClient, seeded: Seeded, sqlite_engine: Engine) -> None:
    cid = _planned(client, seeded)
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None
        c.status, c.approved_by = "approved", "dina"
        s.add(c)
        s.commit()
    headers = as_user(client, "cam")
    r = client.get(f"/campaigns/{cid}/edit", headers=headers)
    assert r.status_code == 409 and "only a draft is edited here" in r.text
    r = client.post(
        f"/campaigns/{cid}/edit", headers=headers, data={"csrf_token": headers["X-CSRF-Token"], "budget": "1"}
    )
    assert r.status_code == 409
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and c.budget == 4000.0


def test_submit_is_refused_while_a_refusal_stands_then_goes_through(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = _planned(client, seeded, paid_for_by="")  # planned without a disclaimer: a refusal
    headers = as_user(client, "cam")
    page = client.get(f"/campaigns/{cid}", headers=headers).text
    assert 'id="submit" disabled' in page
    r = client.post(f"/campaigns/{cid}/submit", headers=headers)
    assert r.status_code == 409 and "paid_for_by" in r.text
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and c.status == "draft"
    edit = client.get(f"/campaigns/{cid}/edit", headers=headers).text
    form = {k: v for k, v in _values(edit).items()}
    form.update(csrf_token=headers["X-CSRF-Token"], genders="all", paid_for_by="Counterflow Test Foundation")
    assert (
        client.post(f"/campaigns/{cid}/edit", headers=headers, data=form, follow_redirects=False).status_code
        == 303
    )
    r = client.post(f"/campaigns/{cid}/submit", headers=headers, follow_redirects=False)
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and c.status == "submitted"
        assert s.exec(select(AuditEvent.actor).where(AuditEvent.action == "campaign.submitted")).all() == [
            "cam"
        ]
    again = client.post(f"/campaigns/{cid}/submit", headers=headers)
    assert again.status_code == 409 and "not a draft" in again.text
    # an edit of a submitted campaign makes it a draft again: the approvers saw another one
    form = _values(client.get(f"/campaigns/{cid}/edit", headers=headers).text)
    form.update(csrf_token=headers["X-CSRF-Token"], genders="all", budget="4500")
    assert (
        client.post(f"/campaigns/{cid}/edit", headers=headers, data=form, follow_redirects=False).status_code
        == 303
    )
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and (c.status, c.budget) == ("draft", 4500.0)


def _values(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'<input type="(?:text|date)" id="\w+" name="(\w+)" value="([^"]*)"', html))


def test_a_copy_review_is_recorded_with_the_signed_in_reviewer(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = seeded.rows.campaign.id
    headers = as_user(client, "cleo")
    listing = client.get(f"/campaigns/{cid}/copy", headers=headers).text
    assert [loc in listing for loc in ("ar", "en", "pcm")] == [True, True, True]
    page = client.get(f"/campaigns/{cid}/copy/ar", headers=headers).text
    assert 'lang="ar" dir="rtl"' in page and 'lang="en" dir="ltr"' in page
    assert "تحذير من عروض العمل الكاذبة" in page and "Beware of fake job offers" in page
    assert "Not reviewed for this campaign yet." in page
    r = client.post(f"/campaigns/{cid}/copy/ar/review", headers=headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/campaigns/{cid}/copy"
    with Session(sqlite_engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.copy_reviewed")).all()
        assert [(e.actor, e.object_id, e.detail) for e in events] == [("cleo", cid, {"locale": "ar"})]
    assert "Reviewed for this campaign by" in client.get(f"/campaigns/{cid}/copy/ar", headers=headers).text
    assert client.post(f"/campaigns/{cid}/copy/xx/review", headers=headers).status_code == 404
    # an analyst reads the copy but does not mark it
    assert client.post(f"/campaigns/{cid}/copy/ar/review", headers=as_user(client, "ana")).status_code == 403


def test_numbers_in_copy_are_isolated() -> None:
    from web.templating import _bdi

    assert str(_bdi("اتصل +218 91 000 <b>")) == "اتصل <bdi>+218 91 000</bdi> &lt;b&gt;"


def test_the_calendar_and_its_ics_show_the_schedule_the_step_lays_out(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    """The seeded campaign: 1-31 March, three ad sets (Benin City en and pcm, Tripoli ar), one
    post a day each: 93 posts, a preview (it is not scheduled), in Lagos and Tripoli time."""
    cid = seeded.rows.campaign.id
    headers = as_user(client, "dina")
    page = client.get(f"/campaigns/{cid}/schedule", headers=headers)
    assert page.status_code == 200, page.text[:400]
    assert 'id="schedule-preview"' in page.text and "93 posts" in page.text
    assert "Benin City (Africa/Lagos)" in page.text and "Tripoli (Africa/Tripoli)" in page.text
    assert f"March {NEXT_YEAR}" in page.text and page.text.count('class="in"') == 31
    ics = client.get(f"/campaigns/{cid}/schedule.ics", headers=headers)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.startswith("BEGIN:VCALENDAR") and ics.text.count("BEGIN:VEVENT") == 93
    assert "Benin City [pcm]" in ics.text and "Tripoli [ar]" in ics.text
    with Session(sqlite_engine) as s:  # a preview saves nothing: the two seeded slots a target stay
        c = s.get(Campaign, cid)
        assert c is not None and c.status == "draft"
    assert client.get(f"/campaigns/{cid}/schedule?month=13-2027", headers=headers).status_code == 422
    # one week: 3 posts a day (Benin City en and pcm, Tripoli ar), Monday to Sunday
    monday = dt.date(NEXT_YEAR, 3, 1) - dt.timedelta(days=dt.date(NEXT_YEAR, 3, 1).weekday())
    week = client.get(f"/campaigns/{cid}/schedule?week={NEXT_YEAR}-03-01", headers=headers).text
    in_march = sum(1 for i in range(7) if (monday + dt.timedelta(days=i)).month == 3)
    assert week.count('<div class="post ') == 3 * in_march and 'id="month-view"' in week
    assert f'data-date="{monday.isoformat()}"' in week


def test_publish_waits_for_approval_then_fills_the_outbox(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = _planned(client, seeded)
    headers = as_user(client, "cam")
    r = client.post(f"/campaigns/{cid}/publish", headers=headers)
    assert r.status_code == 409 and "not approved" in r.text
    assert client.post(f"/campaigns/{cid}/submit", headers=headers, follow_redirects=False).status_code == 303
    dina = as_user(client, "dina")
    assert client.post(f"/campaigns/{cid}/approve", headers=dina, follow_redirects=False).status_code == 303
    r = client.post(f"/campaigns/{cid}/publish", headers=headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/campaigns/{cid}#outbox"
    with Session(sqlite_engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and (c.status, c.approved_by) == ("published", "dina")
        sent = s.exec(select(Delivery).where(Delivery.campaign_id == cid)).all()
        assert sent and {d.channel for d in sent} == {"outbox"}
    page = client.get(f"/campaigns/{cid}", headers=headers).text
    assert 'id="outbox"' in page and "The outbox is empty." not in page


def test_a_target_added_on_the_plan_form_is_resolved_and_an_ambiguous_one_shows_candidates(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    headers = as_user(client, "cam")
    before = campaigns(sqlite_engine)
    r = client.post("/campaigns", headers=headers, data=plan_form(seeded, headers, add_place="Springfield"))
    assert r.status_code == 422 and 'id="add_place-error"' in r.text
    assert "Springfield (Missouri, United States)" in r.text and campaigns(sqlite_engine) == before
    live = client.post(
        "/campaigns/preflight", headers=headers, data=plan_form(seeded, headers, add_place="Springfield")
    )
    assert 'id="preflight-errors"' in live.text and "is ambiguous" in live.text
    cid = _planned(client, seeded, add_place="Kano, Nigeria", add_radius="15")
    with Session(sqlite_engine) as s:
        kano = s.exec(select(Target).where(Target.campaign_id == cid, Target.name == "Kano")).one()
        assert (kano.hotspot_id, kano.country, kano.radius_km) == (None, "NG", 15.0)


def test_merging_two_targets_too_far_apart_is_refused_on_the_form(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    headers = as_user(client, "cam")
    benin, agadez = seeded.hotspots[0], seeded.hotspots[1]
    r = client.post(
        "/campaigns",
        headers=headers,
        data=plan_form(seeded, headers, merge_a=str(benin.id), merge_b=str(agadez.id)),
    )
    assert r.status_code == 422 and "over the largest radius of 40 km" in r.text
    same = client.post(
        "/campaigns",
        headers=headers,
        data=plan_form(seeded, headers, merge_a=str(benin.id), merge_b=str(benin.id)),
    )
    assert same.status_code == 422 and "choose two different targets to merge" in same.text


def test_languages_typed_for_one_target_on_the_plan_form_win_over_the_campaigns(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    """The form proposes en, pcm, bin for Benin City; the campaign speaks English (languages en);
    Benin City's field changed to 'en, ha' is that target's choice, the others stay English."""
    benin = seeded.hotspots[0]
    proposed = {f"lang-default-{benin.id}": "en, pcm, bin"}
    headers = as_user(client, "cam")
    bad = client.post(
        "/campaigns",
        headers=headers,
        data=plan_form(seeded, headers, **proposed, **{f"lang-{benin.id}": "en, xx"}),
    )
    assert (
        bad.status_code == 422
        and f'id="lang-{benin.id}-error"' in bad.text
        and "languages were en, xx" in bad.text
    )
    cid = _planned(client, seeded, **proposed, **{f"lang-{benin.id}": "en, ha"})
    with Session(sqlite_engine) as s:
        langs = {t.name: t.languages for t in s.exec(select(Target).where(Target.campaign_id == cid)).all()}
    assert langs == {"Benin City": "en|ha", "Agadez": "en", "Sabha": "en", "Tripoli": "en"}
