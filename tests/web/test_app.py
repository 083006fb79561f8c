"""Every route through FastAPI's TestClient, and the one error handler."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from intel.models import AuditEvent, Campaign, Report, Tip
from intel.settings import Settings
from tests.factories import Seeded, as_user, seed
from web import permissions
from web.app import create_app

SECRET = "The agent in Ekpoma keeps our passports"


def test_home_is_public_offers_sign_in_and_links_each_role(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    for link in ('href="/hotspots"', 'href="/campaigns"', 'href="/tips"', 'href="/tip"', 'href="/signin"'):
        assert link in r.text
    assert "set-cookie" not in r.headers


@pytest.mark.parametrize("path", ["/hotspots", "/campaigns", "/tips", "/outcomes/1"])
def test_staff_pages_send_the_public_to_sign_in(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/signin?next={path.replace('/', '%2F')}"
    assert "www-authenticate" not in r.headers  # no HTTP Basic prompt: it checked no password


@pytest.mark.parametrize("path", ["/api/hotspots", "/api/tips"])
def test_the_api_answers_401_to_the_public(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401 and r.json()["fix"] == "sign in with your user name and password"


def test_wrong_role_is_refused_with_a_fix(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/api/tips", headers=as_user(client, "dina"))  # a director
    assert r.status_code == 403
    assert r.json()["error"].startswith("user 'dina' has the role 'director'")
    assert r.json()["fix"]


def test_hotspot_pages_show_the_ranked_list_and_an_offline_map(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/hotspots", headers=as_user(client, "ana"))
    assert f'href="/hotspots/{seeded.run.id}"' in r.text
    r = client.get(f"/hotspots/{seeded.run.id}", headers=as_user(client, "ana"))
    assert r.status_code == 200
    ranked = re.findall(r"<tr><td class=\"num\">(\d+)</td><td>([^<]+)</td>", r.text)
    assert ranked == [("1", "Benin City"), ("2", "Agadez"), ("3", "Sabha"), ("4", "Tripoli")]
    assert "intensifying hot spot" in r.text
    assert f'src="/hotspots/{seeded.run.id}/map"' in r.text
    m = client.get(f"/hotspots/{seeded.run.id}/map", headers=as_user(client, "ana"))
    assert m.status_code == 200 and "L.map(" in m.text
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=[\"'](https?:)?//", m.text), (
        "the map must load nothing from outside"
    )
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200


def test_missing_run_is_a_404_page_naming_it(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/hotspots/999", headers=as_user(client, "ana"))
    assert r.status_code == 404
    assert "hotspot run 999 does not exist" in r.text and "pick a run from /hotspots" in r.text
    r = client.get("/api/hotspots/999", headers=as_user(client, "ana"))
    assert r.json() == {
        "error": "hotspot run 999 does not exist",
        "fix": "pick a run from /hotspots",
        "status": 404,
    }


def test_unknown_path_and_bad_parameter_render_through_the_handler(
    client: TestClient, seeded: Seeded
) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404 and "there is no page at /nowhere" in r.text
    r = client.get("/hotspots/abc", headers=as_user(client, "ana"))
    assert r.status_code == 422 and "run_id" in r.text and "'abc'" in unescape(r.text)
    r = client.get("/api/outcomes/abc", headers=as_user(client, "dina"))
    assert r.status_code == 422 and "run_id" not in r.json()["error"] and "campaign_id" in r.json()["error"]
    r = client.get("/tips?status=weird", headers=as_user(client, "ana"))
    assert r.status_code == 400 and "status was 'weird'" in unescape(r.text)


def test_campaign_page_shows_assets_per_language_schedule_and_outbox(
    client: TestClient, seeded: Seeded
) -> None:
    cid = seeded.rows.campaign.id
    r = client.get("/campaigns", headers=as_user(client, "cam"))
    assert f'href="/campaigns/{cid}"' in r.text
    r = client.get(f"/campaigns/{cid}", headers=as_user(client, "cam"))
    assert r.status_code == 200
    assert 'lang="ar" dir="rtl"' in r.text and "تحذير من عروض العمل الكاذبة" in r.text
    assert 'lang="pcm" dir="ltr"' in r.text
    assert "<td>women</td>" in r.text  # ad sets name their genders, not the platform's ids
    assert f"{seeded.rows.campaign.starts_on}T09:00:00+01:00" in r.text  # local time of a post
    assert '"status": "PAUSED"' in unescape(r.text)  # a pretty-printed outbox payload
    assert 'id="approve"' not in r.text and "You wrote this campaign" in r.text


def test_approval_by_another_manager(client: TestClient, seeded: Seeded, sqlite_engine: Engine) -> None:
    cid = seeded.rows.campaign.id
    page = client.get(f"/campaigns/{cid}", headers=as_user(client, "cleo"))
    assert 'id="approve"' in page.text
    r = client.post(f"/campaigns/{cid}/approve", headers=as_user(client, "cam"))  # the author
    assert r.status_code == 403 and "author" in r.text
    r = client.post(f"/campaigns/{cid}/approve", headers=as_user(client, "ana"))  # an analyst may not approve
    assert r.status_code == 403
    r = client.post(f"/campaigns/{cid}/approve", headers=as_user(client, "cleo"), follow_redirects=False)
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None and campaign.approved_by == "cleo" and campaign.status == "approved"
    assert 'id="approved-by">cleo' in client.get(f"/campaigns/{cid}", headers=as_user(client, "cam")).text


def test_tip_triage_pages(client: TestClient, seeded: Seeded, sqlite_engine: Engine) -> None:
    benin = seeded.rows.targets[0]
    code = seeded.rows.assets[(benin.id, "en")].tracking_code
    r = client.post(f"/t/{code}", data={"text": SECRET, "place": "Ekpoma"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/t/{code}/thanks?lang=en"
    with Session(sqlite_engine) as s:
        tip = s.exec(select(Tip)).one()
    listing = client.get("/tips", headers=as_user(client, "ana"))
    assert listing.status_code == 200 and f'href="/tips/{tip.id}"' in listing.text
    assert SECRET not in listing.text  # the list never shows text
    assert client.get(f"/tips/{tip.id}", headers=as_user(client, "cam")).status_code == 403
    page = client.get(f"/tips/{tip.id}", headers=as_user(client, "ana"))
    assert page.status_code == 200 and SECRET in page.text
    r = client.post(
        f"/tips/{tip.id}/triage",
        headers=as_user(client, "ana"),
        data={"decision": "actionable", "exploitation": "labour", "place": ""},  # a synonym
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/tips/{tip.id}", headers=as_user(client, "ana"))
    assert "Became report" in page.text
    audit = re.findall(r"<td>(ana|public)</td><td>(tip\.[a-z]+)</td>", page.text)
    assert audit == [
        ("public", "tip.submitted"),
        ("ana", "tip.read"),
        ("ana", "tip.triaged"),
        ("ana", "tip.read"),
    ]
    with Session(sqlite_engine) as s:
        assert s.exec(select(Report)).one().exploitation == "forced_labour"  # the taxonomy's code
    ana = as_user(client, "ana")
    r = client.post(
        f"/tips/{tip.id}/refer", headers=ana, data={"partner": "IOM Tripoli"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.get(r.headers["location"], headers=ana)  # httpx drops a Cookie header on redirects
    assert r.status_code == 200 and "referred" in r.text and "tip.referred" in r.text
    bad = client.post(f"/tips/{tip.id}/triage", headers=as_user(client, "ana"), data={"decision": "maybe"})
    assert bad.status_code == 400 and "decision was 'maybe'" in unescape(bad.text)


def test_outcomes_page_has_charts_and_the_simulated_label(client: TestClient, seeded: Seeded) -> None:
    cid = seeded.rows.campaign.id
    assert client.get(f"/outcomes/{cid}", headers=as_user(client, "ana")).status_code == 403
    r = client.get(f"/outcomes/{cid}", headers=as_user(client, "dina"))
    assert r.status_code == 200
    assert 'id="simulated"' in r.text and "SIMULATED" in r.text
    assert r.text.count("<svg") == 3 and "Tips per 100k reached" in r.text
    assert 'id="did-value"' in r.text
    data = client.get(f"/api/outcomes/{cid}", headers=as_user(client, "dina")).json()
    assert data["simulated"] is True and len(data["rows"]) == 3
    assert data["change_at_hotspots"]["targeted_hotspots"] == 2


def test_outcomes_page_shows_conversions_unknowns_and_unattributed_spend_apart(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    """The seeded campaign (3 ad sets x 3 days, spend 10, 20 and 30 a day) plus one day of an ad
    set that is not the campaign's: its 55.25 spend is shown apart, the total stays 180."""
    from intel.models import Metric

    rows = seeded.rows
    cid = rows.campaign.id
    with Session(sqlite_engine) as s:
        first = s.exec(select(Metric).where(Metric.campaign_id == cid).order_by(Metric.id)).first()
        assert first is not None
        first.conversions, first.reach = 4, None  # conversions known; reach of that day unknown
        s.add(first)
        s.add(
            Metric(
                campaign_id=cid,
                tracking_code="fb-adset-424242",
                day=rows.campaign.starts_on,
                source="export",
                spend=55.25,
                impressions=7000,
            )
        )
        s.commit()
    r = client.get(f"/outcomes/{cid}", headers=as_user(client, "dina"))
    assert r.status_code == 200
    text_ = unescape(r.text)
    assert 'id="unattributed"' in r.text
    assert re.search(r'id="unattributed-spend">55\.25 USD<', r.text)
    assert "unattributed: 55.25 USD spend in 1 daily rows of 1 ad sets" in text_
    assert "Conversions" in r.text and "partly unknown" in r.text
    assert "reach known for 2 of 3 daily rows" in text_
    data = client.get(f"/api/outcomes/{cid}", headers=as_user(client, "dina")).json()
    assert data["totals"]["spend"] == pytest.approx(3 * (10 + 20 + 30))
    assert data["totals"]["conversions"] == 4 and data["unattributed"]["spend"] == 55.25


def test_json_api(client: TestClient, seeded: Seeded) -> None:
    runs = client.get("/api/hotspots", headers=as_user(client, "ana")).json()
    assert runs[0]["id"] == seeded.run.id and runs[0]["route"]
    run = client.get(f"/api/hotspots/{seeded.run.id}", headers=as_user(client, "ana")).json()
    assert [h["place"] for h in run["hotspots"]] == ["Benin City", "Agadez", "Sabha", "Tripoli"]
    campaigns = client.get("/api/campaigns", headers=as_user(client, "cam")).json()
    assert [c["name"] for c in campaigns] == ["Safe journeys"]
    detail = client.get(f"/api/campaigns/{seeded.rows.campaign.id}", headers=as_user(client, "cam")).json()
    assert len(detail["assets"]) == 3 and len(detail["deliveries"]) == 3
    assert {a["locale"] for a in detail["assets"]} == {"en", "pcm", "ar"}


def test_api_tips_is_public_and_never_returns_text(engine: Engine, settings: Settings) -> None:
    seeded = seed(engine)
    code = seeded.rows.assets[(seeded.rows.targets[1].id, "ar")].tracking_code
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/tips", json={"text": SECRET, "tracking_code": code, "lat": 32.8876, "lon": 13.1912})
        assert r.status_code == 201 and r.json() == {"status": "received", "attributed": True}
        assert r.headers["cache-control"] == "no-store" and "set-cookie" not in r.headers
        r = c.post("/api/tips", json={"text": "  "})
        assert r.status_code == 422 and r.json()["error"] == "the tip text was empty"
        r = c.post("/api/tips", json={"text": "x", "lat": 200, "lon": 0})
        assert r.status_code == 422 and "200" in r.json()["error"]
        r = c.post("/api/tips", json={"place": "Agadez"})
        assert r.status_code == 422 and "text" in r.json()["error"]
        listed = c.get("/api/tips", headers=as_user(c, "ana")).json()
        agg = c.get(f"/api/campaigns/{seeded.rows.campaign.id}/tips", headers=as_user(c, "dina")).json()
        assert c.get("/api/campaigns/999/tips", headers=as_user(c, "dina")).status_code == 404
    assert len(listed) == 1 and "text_encrypted" not in listed[0]
    assert (listed[0]["lat"], listed[0]["lon"]) == (32.9, 13.2)
    assert listed[0]["target_id"] == seeded.rows.targets[1].id and listed[0]["locale"] == "ar"
    assert [(a["locale"], a["status"], a["tips"]) for a in agg] == [("ar", "new", "<11")]
    assert "text" not in agg[0] and "lat" not in agg[0]
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT text_encrypted FROM tip")).scalar_one()
    assert SECRET.encode() not in bytes(raw)
    with Session(engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.object_type == "tip"))]
    assert actions == ["tip.submitted"]


def test_unexpected_errors_become_a_500_without_internals(
    sqlite_settings: Settings, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(sqlite_settings)
    monkeypatch.setitem(permissions.TABLE, "GET /boom", permissions.PUBLIC)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("internal detail")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        assert r.status_code == 500 and "something went wrong on our side" in r.text
        assert "internal detail" not in r.text
        r = c.get("/boom", headers={"Accept": "application/json"})
        assert r.json()["status"] == 500


def test_error_pages_keep_the_signed_in_user(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/tips/12345", headers=as_user(client, "ana"))
    assert r.status_code == 404 and "tip 12345 does not exist" in r.text
    assert "ana · analyst" in r.text


def test_big_outbox_and_schedule_come_a_page_at_a_time(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    from intel.models import Delivery

    cid = seeded.rows.campaign.id
    with Session(sqlite_engine) as s:
        for i in range(60):
            s.add(
                Delivery(
                    campaign_id=cid,
                    channel="outbox",
                    key=f"post:{i}",
                    kind="post",
                    payload={"message": f"m{i}"},
                )
            )
        s.commit()
    r = client.get(f"/campaigns/{cid}?kind=post", headers=as_user(client, "cam"))
    assert r.status_code == 200 and "(60 post)" in r.text
    plain = re.sub(r"<[^>]+>", "", r.text)
    assert "adset pending: 3" in plain and "post pending: 60" in plain
    assert r.text.count("<code>post:") == 20 and 'class="next"' in r.text  # 20 a page
    r = client.get(f"/campaigns/{cid}?kind=post&page=3", headers=as_user(client, "cam"))
    assert r.text.count("<code>post:") == 20 and "<code>post:59</code>" in r.text
    assert 'class="next"' not in r.text
    data = client.get(f"/api/campaigns/{cid}?per_page=20&page=3", headers=as_user(client, "cam")).json()
    assert data["outbox_total"] == 63 and len(data["deliveries"]) == 20 and data["posts_total"] == 3
    assert data["deliveries"][0]["key"] == "post:37"
    bad = client.get(f"/campaigns/{cid}?page=0", headers=as_user(client, "cam"))
    assert bad.status_code == 400 and "page was 0" in bad.text


def test_staff_changes_from_another_site_are_refused(client: TestClient, seeded: Seeded) -> None:
    cid = seeded.rows.campaign.id
    r = client.post(
        f"/campaigns/{cid}/approve", headers={**as_user(client, "cleo"), "Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "came from another site" in r.text
    r = client.post(
        f"/campaigns/{cid}/approve",
        headers={**as_user(client, "cleo"), "Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post("/tips/1/triage", headers={**as_user(client, "ana"), "Origin": "https://evil.example"})
    assert r.status_code == 403 and "came from another site" in r.text
    # the public tip form is meant to be posted from anywhere a campaign link leads
    r = client.post(
        "/tip",
        data={"text": "seen at the bus station", "lang": "en"},
        headers={"Origin": "https://x.example"},
    )
    assert r.status_code == 200
    r = client.post(
        f"/campaigns/{cid}/approve",
        headers={**as_user(client, "cleo"), "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_errors_never_echo_a_tip_and_are_not_cached(client: TestClient, seeded: Seeded) -> None:
    secret = "my secret tip about Mr X at 12 Foo street"
    r = client.post(
        "/api/tips", content=secret, headers={"Content-Type": "text/plain", "Accept": "application/json"}
    )
    assert r.status_code == 422 and secret not in r.text and "Foo street" not in r.text
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Referrer-Policy"] == "no-referrer"
    r = client.post(
        "/api/tips", json={"text": secret, "lat": "north"}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 422 and secret not in r.text and "north" in r.text  # lat may be echoed


def test_a_nul_byte_in_a_request_is_refused_not_a_crash(engine: Engine, settings: Settings) -> None:
    # PostgreSQL cannot compare text with a NUL byte: ?kind=%00 failed the campaign page's query
    # (a 500, found by schemathesis in tests/web/test_openapi_fuzz.py).
    seeded = seed(engine)
    cid = seeded.rows.campaign.id
    with TestClient(create_app(settings)) as c:
        for url in (f"/campaigns/{cid}?kind=%00", f"/api/campaigns/{cid}?kind=a%00b", "/tips?status=%00"):
            r = c.get(url, headers=as_user(c, "root"))
            assert r.status_code == 400 and "the address holds a NUL byte (%00)" in r.text, url
        # in a form: the name reaches the store's query; refused as a value, or as a wrong name
        r = c.post("/signin", data={"name": "ana\x00", "password": "x" * 12}, follow_redirects=False)
        assert r.status_code == (401 if settings.is_sqlite else 422), r.text[:300]
        r = c.post("/api/tips", json={"text": "seen at the market", "tracking_code": "a\x00b"})
        assert r.status_code == (201 if settings.is_sqlite else 422), r.text[:300]


def test_ids_beyond_the_stores_integers_are_refused_not_a_crash(engine: Engine, settings: Settings) -> None:
    # PostgreSQL's integer ends at 2**31 - 1: a larger id failed the query there (a 500, found by
    # schemathesis in tests/web/test_openapi_fuzz.py); on SQLite 2**63 raised OverflowError.
    seed(engine)
    with TestClient(create_app(settings)) as c:
        for path, name in (
            ("/campaigns/2147483648", "campaign_id"),
            ("/outcomes/99999999999999999999", "campaign_id"),
            ("/hotspots/2147483648", "run_id"),
            ("/tips/2147483648", "tip_id"),
            ("/api/hotspots/2147483648", "run_id"),
            ("/api/campaigns/2147483648/tips", "campaign_id"),
        ):
            r = c.get(path, headers=as_user(c, "root"))
            assert r.status_code == 422, (path, r.status_code)
            assert name in r.text and "less than or equal to 2147483647" in r.text
        r = c.post("/campaigns/2147483648/approve", headers=as_user(c, "root"))
        assert r.status_code == 422
        assert c.get("/campaigns/2147483647", headers=as_user(c, "root")).status_code == 404  # the last id: none
        # a page far past the last one: its offset (2**62 * 50) was beyond PostgreSQL's bigint
        cid = c.get("/api/campaigns", headers=as_user(c, "root")).json()[0]["id"]
        for path in (f"/campaigns/{cid}", f"/api/campaigns/{cid}"):
            r = c.get(f"{path}?page=4611686018427387904", headers=as_user(c, "root"))
            assert r.status_code == 400 and "use page between 1 and 1,000,000" in unescape(r.text), path
        assert c.get(f"/campaigns/{cid}?page=1000000", headers=as_user(c, "root")).status_code == 200


def test_a_post_is_committed_before_its_response_goes_out(
    sqlite_settings: Settings, sqlite_engine: Engine, seeded: Seeded
) -> None:
    """A browser follows a post's redirect as soon as the response starts: by then the route's
    writes must be in the store (they were committed after the response was sent, and a page
    opened at once sometimes missed them)."""
    from starlette.types import Message, Receive, Scope, Send

    app = create_app(sqlite_settings)
    cid = seeded.rows.campaign.id
    seen: list[tuple[int, int]] = []  # (status, reviews in the store) when each response starts

    async def watched(scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                with sqlite_engine.connect() as conn:  # another connection: sees only what is committed
                    n = conn.execute(
                        text("SELECT count(*) FROM auditevent WHERE action = 'campaign.copy_reviewed'")
                    ).scalar_one()
                seen.append((message["status"], n))
            await send(message)

        await app(scope, receive, watch)

    headers = as_user(TestClient(app), "cam")  # a session in the app's store
    with TestClient(watched) as c:
        r = c.post(f"/campaigns/{cid}/copy/en/review", headers=headers, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    assert seen == [(303, 1)]
