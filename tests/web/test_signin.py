"""Sign-in with real passwords, sessions in the store, CSRF, the throttle and the trusted header.

Each finding of issue 13's first paragraph has a test here: the user header from a client that
is not a trusted proxy, ``root:WRONG-PASSWORD``, an author approving with another manager's
name, and the audit log naming the person who is signed in.
"""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.accounts import find_user, issue_password_link, token_hash
from intel.models import AuditEvent, Campaign, StaffSession
from intel.settings import Settings
from tests.factories import PASSWORD, Seeded, as_user
from web.app import create_app
from web.auth import SESSION_COOKIE


def _sign_in(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "/"):  # type: ignore[no-untyped-def]
    return client.post(
        "/signin", data={"name": name, "password": password, "next": next_path}, follow_redirects=False
    )


def _csrf(client: TestClient, page: str = "/") -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get(page).text)
    assert match, "the signed-in page carries a CSRF token"
    return match.group(1)


def test_sign_in_with_the_password_opens_a_session_kept_as_a_hash(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    form = client.get("/signin?next=/tips")
    assert form.status_code == 200 and 'type="password"' in form.text and "set-cookie" not in form.headers
    r = _sign_in(client, "ana", next_path="/tips")
    assert r.status_code == 303 and r.headers["location"] == "/tips"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http
    token = client.cookies[SESSION_COOKIE]
    with Session(sqlite_engine) as s:
        row = s.exec(select(StaffSession)).one()
        assert row.id == token_hash(token) and row.id != token  # only the hash is stored
        ana = find_user(s, "ana")
        assert ana is not None and row.user_id == ana.id
        assert dt.timedelta(hours=11) < row.expires_at - row.created_at <= dt.timedelta(hours=12)
    page = client.get("/tips")
    assert page.status_code == 200 and "ana · analyst" in page.text


def test_over_https_the_cookie_is_secure(sqlite_settings: Settings, seeded: Seeded) -> None:
    with TestClient(create_app(sqlite_settings), base_url="https://testserver") as c:
        r = _sign_in(c, "ana")
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_wrong_password_and_unknown_user_get_the_same_refusal(client: TestClient, seeded: Seeded) -> None:
    for name, password in (("ana", "not the password at all"), ("nobody", PASSWORD), ("ana", "")):
        r = _sign_in(client, name, password)
        assert r.status_code == 401 and "set-cookie" not in r.headers
        assert "The user name or the password is wrong." in r.text
    assert client.get("/tips", follow_redirects=False).status_code == 303  # still signed out


def test_http_basic_with_a_wrong_password_gets_nothing(client: TestClient, seeded: Seeded) -> None:
    for password in ("WRONG-PASSWORD", PASSWORD):  # Basic is gone altogether, right password or not
        basic = base64.b64encode(f"root:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}"}
        r = client.get("/api/tips", headers=headers)
        assert r.status_code == 401 and "www-authenticate" not in r.headers
        r = client.get("/hotspots", headers=headers, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_the_user_header_from_a_client_that_is_not_a_trusted_proxy_is_refused(
    sqlite_settings: Settings, seeded: Seeded
) -> None:
    for settings in (
        sqlite_settings,  # not trusted at all
        sqlite_settings.model_copy(update={"trust_user_header": True, "trusted_proxies": ["10.0.0.5"]}),
    ):
        with TestClient(create_app(settings), client=("192.0.2.7", 40000)) as c:
            r = c.get("/api/tips", headers={"X-Counterflow-User": "ana"})
            assert r.status_code == 403 and "only from a trusted proxy" in r.json()["error"]
            r = c.get("/hotspots", headers={"X-Counterflow-User": "ana"})
            assert r.status_code == 403 and "ana · analyst" not in r.text


def test_the_user_header_from_a_trusted_proxy_names_the_user(
    sqlite_settings: Settings, seeded: Seeded
) -> None:
    settings = sqlite_settings.model_copy(
        update={"trust_user_header": True, "trusted_proxies": ["10.0.0.0/24"]}
    )
    with TestClient(create_app(settings), client=("10.0.0.5", 40000)) as c:
        r = c.get("/hotspots", headers={"X-Counterflow-User": "ana"})
        assert r.status_code == 200 and "ana · analyst" in r.text
        assert c.get("/api/tips", headers={"X-Counterflow-User": "dina"}).status_code == 403  # her role
        assert c.get("/api/tips", headers={"X-Counterflow-User": "mallory"}).status_code == 403  # unknown
        # a change still needs the CSRF token of the page the proxy's user was shown
        cid = 1
        assert c.post(f"/campaigns/{cid}/approve", headers={"X-Counterflow-User": "dina"}).status_code == 403


def test_an_author_cannot_approve_by_sending_another_managers_name(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = seeded.rows.campaign.id  # written by cam
    assert _sign_in(client, "cam").status_code == 303
    csrf = _csrf(client)
    for extra in (
        {"X-Counterflow-User": "cleo"},
        {"Authorization": "Basic " + base64.b64encode(b"cleo:x").decode()},
    ):
        r = client.post(
            f"/campaigns/{cid}/approve", data={"csrf_token": csrf}, headers=extra, follow_redirects=False
        )
        assert r.status_code in (401, 403)
    r = client.post(
        f"/campaigns/{cid}/approve", data={"csrf_token": csrf, "approver": "cleo"}, follow_redirects=False
    )
    assert r.status_code == 403 and "cam is the author" in r.text
    with Session(sqlite_engine) as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None and campaign.approved_by is None
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.approved")).all() == []


def test_the_audit_log_names_the_signed_in_person(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = seeded.rows.campaign.id
    assert _sign_in(client, "cleo").status_code == 303
    r = client.post(f"/campaigns/{cid}/approve", data={"csrf_token": _csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.approved")).all()
        assert [(e.actor, e.object_id) for e in events] == [("cleo", cid)]
        assert s.get(Campaign, cid).approved_by == "cleo"  # type: ignore[union-attr]


def test_changes_need_the_csrf_token(client: TestClient, seeded: Seeded, sqlite_engine: Engine) -> None:
    cid = seeded.rows.campaign.id
    assert _sign_in(client, "cleo").status_code == 303
    for data in ({}, {"csrf_token": "0" * 64}):
        r = client.post(f"/campaigns/{cid}/approve", data=data, follow_redirects=False)
        assert r.status_code == 403 and "security token" in r.text
    # another user's session gives another token
    other = as_user(client, "dina")["X-CSRF-Token"]
    r = client.post(f"/campaigns/{cid}/approve", data={"csrf_token": other}, follow_redirects=False)
    assert r.status_code == 403
    with Session(sqlite_engine) as s:
        assert s.get(Campaign, cid).approved_by is None  # type: ignore[union-attr]


def test_sign_out_ends_the_session_in_the_store(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    assert _sign_in(client, "ana").status_code == 303
    token = client.cookies[SESSION_COOKIE]
    r = client.post("/signout", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert r.status_code == 403  # a forged sign-out is refused too
    r = client.post("/signout", data={"csrf_token": _csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and f'{SESSION_COOKIE}=""' in r.headers["set-cookie"]
    with Session(sqlite_engine) as s:
        assert s.get(StaffSession, token_hash(token)) is None
        assert s.exec(select(AuditEvent.action).where(AuditEvent.actor == "ana")).all() == [
            "user.signed_in",
            "user.signed_out",
        ]
    client.cookies.set(SESSION_COOKIE, token)  # a stolen copy of the old cookie opens nothing
    assert client.get("/api/tips").status_code == 401


def test_an_expired_or_idle_session_signs_in_no_one(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    for field, age in (
        ("expires_at", dt.timedelta(seconds=1)),
        ("last_seen_at", dt.timedelta(hours=2, seconds=1)),
    ):
        headers = as_user(client, "ana")
        assert client.get("/api/tips", headers=headers).status_code == 200
        token = headers["Cookie"].split("=", 1)[1]
        with Session(sqlite_engine) as s:
            row = s.get(StaffSession, token_hash(token))
            assert row is not None
            now = dt.datetime.now(dt.UTC)
            setattr(row, field, now - age)
            s.add(row)
            s.commit()
        assert client.get("/api/tips", headers=headers).status_code == 401
        with Session(sqlite_engine) as s:
            assert s.get(StaffSession, token_hash(token)) is None  # and it is gone


def test_sign_in_is_throttled_per_account_and_per_client(sqlite_settings: Settings, seeded: Seeded) -> None:
    app = create_app(sqlite_settings)
    with TestClient(app, client=("192.0.2.1", 1)) as c:
        for _ in range(5):
            assert _sign_in(c, "ana", "a wrong password").status_code == 401
        r = _sign_in(c, "ana")  # the right password, too late
        assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    with TestClient(app, client=("192.0.2.2", 1)) as other:
        assert _sign_in(other, "ana").status_code == 429  # the account is throttled wherever from
        assert _sign_in(other, "dina").status_code == 303  # other accounts are not
    with TestClient(app, client=("192.0.2.3", 1)) as sprayer:
        for i in range(20):  # one client trying many names
            assert _sign_in(sprayer, f"guess{i}", "a wrong password").status_code == 401
        assert _sign_in(sprayer, "cleo").status_code == 429
    with TestClient(app, client=("192.0.2.4", 1)) as elsewhere:
        assert _sign_in(elsewhere, "cleo").status_code == 303
    # the throttle knows clients only by a keyed hash: no address in its memory
    state = repr(app.state.signin_throttle._failures)
    assert "192.0.2" not in state


def test_a_one_time_link_sets_the_password(client: TestClient, seeded: Seeded, sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s:
        dina = find_user(s, "dina")
        assert dina is not None
        link = issue_password_link(s, user=dina, actor="root")
        s.commit()
    page = client.get(f"/set-password/{link}")
    assert page.status_code == 200 and 'id="who">dina' in page.text
    assert page.headers["referrer-policy"] == "same-origin" and page.headers["cache-control"] == "no-store"
    new = "a long new passphrase for the director"
    r = client.post(f"/set-password/{link}", data={"password": new, "password2": new + "x"})
    assert r.status_code == 422 and "differ" in r.text
    r = client.post(f"/set-password/{link}", data={"password": "short", "password2": "short"})
    assert r.status_code == 422 and "at least 12" in r.text
    r = client.post(f"/set-password/{link}", data={"password": new, "password2": new}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/set-password/{link}").status_code == 404  # spent
    assert _sign_in(client, "dina").status_code == 401  # the old password no longer works
    assert _sign_in(client, "dina", new).status_code == 303
    with Session(sqlite_engine) as s:
        user = find_user(s, "dina")
        assert user is not None and user.password_hash and new not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_sign_in_never_redirects_off_the_site(client: TestClient, seeded: Seeded, target: str) -> None:
    r = _sign_in(client, "ana", next_path=target)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_public_tip_form_sets_and_reads_no_cookie(client: TestClient, seeded: Seeded) -> None:
    assert _sign_in(client, "ana").status_code == 303  # even with a staff cookie in the browser
    for r in (
        client.get("/tip"),
        client.post("/tip", data={"text": "seen at the bus station", "lang": "en"}, follow_redirects=False),
        client.post("/api/tips", json={"text": "seen at the market"}),
    ):
        assert r.status_code in (200, 201, 303) and "set-cookie" not in r.headers
        assert "ana" not in r.text
