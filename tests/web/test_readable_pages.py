"""Pages a new user can read: approval in view of the preflight, lists top first with paging,
reasons in words, and no Python repr or raw dict anywhere on a page."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import AuditEvent, Campaign, Hotspot, HotspotRun
from intel.settings import Settings
from tests.factories import Seeded, as_user
from web.app import create_app

SECRET = "They took our passports in Ekpoma"


def _refuse(engine: Engine, campaign_id: int) -> None:
    """Two refusals: no "Paid for by", and Libya missing from the special-category countries."""
    with Session(engine) as s:
        c = s.get(Campaign, campaign_id)
        assert c is not None
        c.paid_for_by = ""
        c.special_ad_category_country = ["NG"]
        s.add(c)
        s.commit()


def test_the_campaign_page_shows_the_preflight_findings_and_the_approval_in_view(
    client: TestClient, seeded: Seeded
) -> None:
    cid = seeded.rows.campaign.id
    page = client.get(f"/campaigns/{cid}", headers=as_user(client, "dina")).text
    preflight = page[page.index('<section id="preflight">') : page.index("</section>")]
    assert 'id="preflight-verdict">passes' in preflight
    # the four warnings of the seeded campaign, each with its rule and its message
    rows = re.findall(
        r'<tr class="finding warn">.*?<code>(\w+)</code></td><td>([^<]*)</td><td>([^<]*)', preflight
    )
    assert [(rule, obj) for rule, obj, _ in rows] == [
        ("helpline", "target 2 (Tripoli)"),
        ("locale_unpinned", "ad set 2 (Benin City, pcm, 18-35)"),
        ("locale_fuzzy", "locale ar"),
        ("locale_fuzzy", "locale pcm"),
    ]
    assert "helpline &#39;IOM Libya&#39; for LY is not verified" in rows[0][2]
    approval = page[page.index('<section id="approval"') :]
    approval = approval[: approval.index("</section>")]
    y = dt.date.today().year + 1  # the factory dates its campaign 1-31 March of next year
    assert f"1,000.00 USD, {y}-03-01 – {y}-03-31" in approval  # the budget and the dates
    # the targets, largest reach first: Benin City (178,200) then Tripoli (115,000)
    assert "2: Benin City (NG, 178,200), Tripoli (LY, 115,000)" in approval
    assert "no refusal" in approval
    assert re.search(r'<button type="submit" id="approve">', approval)  # enabled


def test_approval_is_refused_on_the_web_while_a_refusal_stands(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = seeded.rows.campaign.id
    _refuse(sqlite_engine, cid)
    page = client.get(f"/campaigns/{cid}", headers=as_user(client, "dina")).text
    assert 'id="preflight-verdict">2 refusals' in page
    assert '<details id="findings" open>' in page  # refusals open the list
    refused = re.findall(r'<tr class="finding refuse">.*?<code>(\w+)</code>', page)
    assert refused == ["special_country", "paid_for_by"]  # refusals first
    assert "special_ad_category_country misses LY" in page and "paid_for_by is empty" in page
    assert re.search(r'<button type="submit" id="approve" disabled aria-describedby="approve-reason">', page)
    assert "Approval is closed while 2 preflight refusals stand" in page
    # the button is only a courtesy: the POST is refused by the approval step itself
    r = client.post(f"/campaigns/{cid}/approve", headers=as_user(client, "dina"))
    assert r.status_code == 409
    text = unescape(r.text)
    assert f"campaign {cid} cannot be approved while 2 preflight refusals stand" in text
    assert "[paid_for_by]" in text and "fix each refusal first" in text
    assert "counterflow preflight" not in text  # the command hint is for the command line only
    with Session(sqlite_engine) as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None and campaign.approved_by is None and campaign.status == "draft"
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.approved")).all() == []
    api = client.post(
        f"/campaigns/{cid}/approve", headers={**as_user(client, "dina"), "Accept": "application/json"}
    )
    assert api.status_code == 409 and api.json()["error"].startswith(f"campaign {cid} cannot be approved")


def _big_run(engine: Engine) -> int:
    """A run of 30 cells: 3 ranked along the route, then 27 unranked with falling z."""
    with Session(engine) as s:
        run = HotspotRun(n_reports=300, n_cells=30, n_significant=3)
        s.add(run)
        s.flush()
        assert run.id is not None
        for i in range(30):
            ranked = i < 3
            s.add(
                Hotspot(
                    run_id=run.id, cell=f"c{i:02d}", lat=6.0 + i / 10, lon=5.6, place=f"Town {i:02d}",
                    country="NG", count=30 - i, z=(9.0 - i) if ranked else 2.0 - i / 10, p=0.01,
                    bin=3 if ranked else 0, rank=3 - i if ranked else None,  # stored out of order
                    reasons={"count": 30 - i, "exploitation": {"forced_labour": 2, "sexual": 5},
                             "source_kinds": {"ngo_report": 1}, "bin": 3 if ranked else 0},
                )
            )  # fmt: skip
        s.commit()
        return run.id


def test_the_hotspot_list_comes_top_first_a_page_at_a_time_with_reasons_in_words(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    run_id = _big_run(sqlite_engine)
    headers = as_user(client, "ana")
    first = client.get(f"/hotspots/{run_id}", headers=headers).text
    rows = re.findall(r'<tr><td class="num">([^<]+)</td><td>([^<]+)</td>', first)
    assert len(rows) == 25
    assert rows[:4] == [("1", "Town 02"), ("2", "Town 01"), ("3", "Town 00"), ("–", "Town 03")]
    assert "Rows 1–25 of 30 · page 1 / 2" in first and 'href="?page=2"' in first
    reasons = re.findall(r'<td class="muted reasons">([^<]*)</td>', first)
    assert reasons[0] == "28 reports; hot spot at 99 %; sexual 5, forced labour 2; sources: NGO report 1"
    assert (
        reasons[3]
        == "27 reports; not significant after the FDR correction: listed for its weight; sexual 5, forced labour 2; sources: NGO report 1"
    )
    second = client.get(f"/hotspots/{run_id}?page=2", headers=headers).text
    assert [p for _, p in re.findall(r'<tr><td class="num">([^<]+)</td><td>([^<]+)</td>', second)] == [
        f"Town {i}" for i in range(25, 30)
    ]
    assert "Rows 26–30 of 30" in second and 'rel="next"' not in second
    beyond = client.get(f"/hotspots/{run_id}?page=3", headers=headers)
    assert beyond.status_code == 404 and "page was 3, and there are 2" in unescape(beyond.text)


def test_the_tip_list_is_paged(sqlite_settings: Settings, seeded: Seeded) -> None:
    benin = seeded.rows.targets[0]
    code = seeded.rows.assets[(benin.id, "en")].tracking_code
    with TestClient(create_app(sqlite_settings, tip_rate_limit=100)) as client:
        for i in range(27):
            r = client.post(f"/t/{code}", data={"text": f"tip {i}"}, follow_redirects=False)
            assert r.status_code == 303
        headers = as_user(client, "ana")
        first = client.get("/tips", headers=headers).text
        assert first.count('<a href="/tips/') == 25 and "Rows 1–25 of 27" in first
        second = client.get("/tips?page=2&status=new", headers=headers).text
        assert second.count('<a href="/tips/') == 2 and 'href="?page=1&amp;status=new"' in second


RAW = [
    (re.compile(r"\{'|'\}|\[\{|\{\"|\"\}"), "a Python dict or JSON object"),
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\b(?:nan|NaN)\b"), "NaN"),
    (re.compile(r"<[a-zA-Z]+\.[A-Za-z]+ object at 0x"), "an object repr"),
]


def _visible_text(html: str) -> str:
    html = re.sub(r'<pre class="payload">.*?</pre>', "", html, flags=re.S)  # the outbox's JSON, folded
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("who", ["root", "ana", "cam", "dina", None])
def test_no_page_shows_a_raw_dict_or_none(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine, who: str | None
) -> None:
    benin = seeded.rows.targets[0]
    code = seeded.rows.assets[(benin.id, "en")].tracking_code
    client.post(f"/t/{code}", data={"text": SECRET, "place": "Ekpoma"}, follow_redirects=False)
    run_id = _big_run(sqlite_engine)
    _refuse(sqlite_engine, seeded.rows.campaign.id)  # the refusals' own words are shown too
    with Session(sqlite_engine) as s:
        tip_id = s.exec(select(AuditEvent.object_id).where(AuditEvent.object_type == "tip")).first() or 1
    headers = as_user(client, who) if who else {}
    if who == "ana":  # an analyst triages, which leaves an audit event with a detail
        client.post(f"/tips/{tip_id}/triage", headers=headers, data={"decision": "not_actionable"})
    cid = seeded.rows.campaign.id
    paths = [
        "/", "/signin", "/tip", f"/t/{code}", "/hotspots", f"/hotspots/{seeded.run.id}", f"/hotspots/{run_id}",
        f"/hotspots/{run_id}?page=2", "/campaigns", f"/campaigns/{cid}", f"/outcomes/{cid}", "/tips",
        f"/tips/{tip_id}",
    ]  # fmt: skip
    checked = 0
    for path in paths:
        r = client.get(path, headers=headers, follow_redirects=False)
        if r.status_code != 200:
            continue  # not this role's page
        checked += 1
        text = _visible_text(r.text)
        for pattern, what in RAW:
            found = pattern.search(text)
            assert found is None, (
                f"{path} as {who} shows {what}: ...{text[max(0, found.start() - 80) : found.end() + 80]}..."
            )
    assert checked >= (3 if who is None else 6)
