"""Single sign-on through OpenID Connect, against a real (fake) issuer on loopback.

The issuer (``sandbox.fakeoidc``) is a separate HTTP server with its own RSA key: the app reads
its metadata and keys over HTTP, the "browser" (httpx here, Chromium in the page test) goes to
its ``/authorize`` and comes back, and the app exchanges the code with the client secret and
the PKCE verifier at its ``/token``. Nothing of counterflow is replaced.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from intel.models import AuditEvent, StaffSession, User
from intel.settings import Settings
from sandbox.fakeoidc import FakeIssuer, start_fake_issuer
from tests.factories import Seeded, seed
from web.app import create_app
from web.auth import SESSION_COOKIE
from web.oidc import PENDING_COOKIE

CLIENT_ID = "counterflow-staff"
SECRET = "oidc-client-secret-7Hq2xVw9Lk3PzR8m"


@pytest.fixture
def issuer() -> Iterator[FakeIssuer]:
    fake = start_fake_issuer(client_id=CLIENT_ID, client_secret=SECRET)
    yield fake
    fake.stop()


def _settings(base: Settings, issuer_url: str, secret: str = SECRET) -> Settings:
    return base.model_copy(
        update={
            "oidc_issuer": issuer_url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": __import__("pydantic").SecretStr(secret),
        }
    )


@pytest.fixture
def seeded_store(sqlite_engine: Engine) -> Seeded:
    return seed(sqlite_engine)


@pytest.fixture
def sso(sqlite_settings: Settings, issuer: FakeIssuer, seeded_store: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(sqlite_settings, issuer.url))) as c:
        yield c


def _to_issuer(client: TestClient, next_path: str = "/tips") -> str:
    r = client.get("/signin/oidc", params={"next": next_path}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return r.headers["location"]


def _at_issuer(url: str) -> str:
    """The browser at the issuer: it signs in (at once) and is sent back to the callback."""
    r = httpx.get(url, follow_redirects=False)
    assert r.status_code == 302, r.text
    return r.headers["location"]


def _round_trip(client: TestClient, next_path: str = "/tips") -> httpx.Response:
    return client.get(_at_issuer(_to_issuer(client, next_path)), follow_redirects=False)


def _sessions(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(StaffSession)).one())


def test_the_sign_in_page_offers_the_issuer_and_the_flow_uses_pkce_state_and_nonce(
    sso: TestClient, issuer: FakeIssuer
) -> None:
    page = sso.get("/signin?next=/tips")
    host = urlsplit(issuer.url).netloc
    assert f"Sign in with {host}" in page.text and 'href="/signin/oidc?next=/tips"' in page.text
    r = sso.get("/signin/oidc", params={"next": "/tips"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"{issuer.url}/authorize?")
    q = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}
    assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
    assert q["redirect_uri"] == "http://testserver/signin/oidc/callback"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 30 and len(q["nonce"]) >= 24 and "openid" in q["scope"].split()
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{PENDING_COOKIE}=") and "HttpOnly" in cookie and "Path=/signin/oidc" in cookie
    assert "SameSite=lax" in cookie and "Max-Age=600" in cookie
    # the cookie is sealed: neither the state, the nonce nor the PKCE verifier can be read in it
    sealed = sso.cookies[PENDING_COOKIE]
    assert q["state"] not in sealed and q["nonce"] not in sealed


def test_a_known_user_signs_in_through_the_issuer_and_reaches_a_page_of_their_role(
    sso: TestClient, issuer: FakeIssuer, sqlite_engine: Engine
) -> None:
    r = _round_trip(sso, "/tips")
    assert r.status_code == 303 and r.headers["location"] == "/tips", r.text[:400]
    cookies = r.headers.get_list("set-cookie")
    assert any(c.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith(f'{PENDING_COOKIE}=""') for c in cookies)  # the pending sign-in is spent
    page = sso.get("/tips")
    assert page.status_code == 200 and "ana · analyst" in page.text
    assert issuer.token_requests == [{"auth": "client_secret_basic", "grant_type": "authorization_code", "ok": True}]
    with Session(sqlite_engine) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "user.signed_in")).one().actor == "ana"
    # the role comes from the store: a director signed in by the same issuer cannot read tips
    issuer.user = "dina"
    sso.cookies.clear()
    assert _round_trip(sso, "/").status_code == 303
    assert sso.get("/tips").status_code == 403


def test_the_secret_goes_in_the_form_where_the_issuer_takes_only_that(
    sso: TestClient, issuer: FakeIssuer
) -> None:
    issuer.auth_methods = ["client_secret_post"]
    assert _round_trip(sso).headers["location"] == "/tips"
    assert issuer.token_requests[-1] == {"auth": "client_secret_post", "grant_type": "authorization_code", "ok": True}


def test_an_issuer_that_takes_no_client_secret_is_named(sso: TestClient, issuer: FakeIssuer) -> None:
    issuer.auth_methods = ["private_key_jwt"]
    r = sso.get("/signin/oidc", follow_redirects=False)
    assert r.status_code == 502 and "takes no client secret (private_key_jwt)" in unescape(r.text)


def test_an_unknown_user_is_refused_and_no_user_is_made(
    sso: TestClient, issuer: FakeIssuer, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as s:
        before = s.exec(select(func.count()).select_from(User)).one()
    issuer.user = "mallory"
    r = _round_trip(sso)
    assert r.status_code == 403
    text = unescape(r.text)
    assert "signed you in as 'mallory', but no user of that name exists here" in text
    assert "Traceback" not in text and 'id="signin-form"' in text  # the sign-in page, with why
    assert not any(c.startswith(SESSION_COOKIE) for c in r.headers.get_list("set-cookie"))
    with Session(sqlite_engine) as s:
        assert s.exec(select(func.count()).select_from(User)).one() == before
    assert _sessions(sqlite_engine) == 0


@pytest.mark.parametrize(
    ("misbehave", "reason"),
    [
        ("wrong_key", "bad_signature"),
        ("wrong_audience", "invalid_claim 'aud'"),
        ("wrong_issuer", "invalid_claim 'iss'"),
        ("wrong_nonce", "invalid_claim 'nonce'"),
        ("no_nonce", "missing_claim 'nonce'"),
        ("expired", "expired_token 'exp'"),
        ("alg_none", "unsupported_algorithm"),
    ],
)
def test_an_id_token_that_fails_validation_is_refused(
    sso: TestClient, issuer: FakeIssuer, sqlite_engine: Engine, misbehave: str, reason: str
) -> None:
    issuer.misbehave = misbehave
    r = _round_trip(sso)
    text = unescape(r.text)
    assert r.status_code == 401, text[:400]
    assert "The identity token from" in text and "is not valid" in text
    assert reason in text.split("is not valid", 1)[1][:80]
    assert _sessions(sqlite_engine) == 0
    assert sso.get("/tips", follow_redirects=False).status_code == 303  # still signed out
    # the issuer behaves again: the same browser now signs in
    assert _round_trip(sso).headers["location"] == "/tips"


def test_a_state_that_does_not_match_or_another_browser_is_refused(
    sso: TestClient, issuer: FakeIssuer, sqlite_engine: Engine
) -> None:
    back = _at_issuer(_to_issuer(sso))
    tampered = re.sub(r"state=[^&]+", "state=forged", back)
    r = sso.get(tampered, follow_redirects=False)
    assert r.status_code == 400 and "its state differs" in unescape(r.text)
    # an attacker's callback URL opened in the victim's browser (login CSRF): no pending sign-in there
    back = _at_issuer(_to_issuer(sso))
    with TestClient(sso.app) as victim:
        r = victim.get(back, follow_redirects=False)
        assert r.status_code == 400 and "not belong to a sign-in started in this browser" in unescape(r.text)
    # an altered pending cookie
    back = _at_issuer(_to_issuer(sso))
    sso.cookies.set(PENDING_COOKIE, sso.cookies[PENDING_COOKIE][:-4] + "AAAA", path="/signin/oidc")
    r = sso.get(back, follow_redirects=False)
    assert r.status_code == 400 and "its cookie was altered" in unescape(r.text)
    assert _sessions(sqlite_engine) == 0


def test_a_code_works_once_and_an_issuer_error_is_shown(sso: TestClient, issuer: FakeIssuer) -> None:
    back = _at_issuer(_to_issuer(sso))
    assert sso.get(back, follow_redirects=False).status_code == 303
    sso.cookies.clear()
    again = sso.get(back, follow_redirects=False)  # replayed: the pending cookie is gone
    assert again.status_code == 400
    issuer.deny = True
    r = _round_trip(sso)
    assert r.status_code == 401 and "did not sign you in (access_denied: the user said no)" in unescape(r.text)


def test_a_wrong_client_secret_is_refused_by_the_issuer_and_never_shown_or_logged(
    sqlite_settings: Settings,
    issuer: FakeIssuer,
    seeded_store: Seeded,
    sqlite_engine: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in (None, "httpx", "httpcore", "authlib", "web", "uvicorn"):  # restored after the test
        caplog.set_level(logging.DEBUG, logger=name)
    bodies: list[str] = []
    wrong = "oidc-WRONG-secret-4Jd8sPq1Zx6Vn2Lm"
    with TestClient(create_app(_settings(sqlite_settings, issuer.url, wrong))) as c:
        r = _round_trip(c)
        bodies.append(r.text + str(r.headers))
        assert r.status_code == 401 and "refused to exchange the sign-in code (invalid_client)" in r.text
    with TestClient(create_app(_settings(sqlite_settings, issuer.url))) as c:
        for how in (None, "wrong_key"):
            issuer.misbehave = how
            r = _round_trip(c)
            bodies.append(r.text + str(r.headers))
            bodies.extend(c.get(p).text for p in ("/signin", "/tips", "/api/openapi.json"))
    assert issuer.token_requests[-2]["ok"] and issuer.token_requests[0]["refused"] == "wrong client id or secret"
    assert caplog.records, "the logs were captured"
    assert issuer.verifiers and all(len(v) >= 43 for v in issuer.verifiers)
    for secret in (SECRET, wrong, *issuer.verifiers):
        assert secret not in caplog.text
        assert all(secret not in body for body in bodies)


def test_failed_single_sign_ons_are_throttled_per_client(sso: TestClient, issuer: FakeIssuer) -> None:
    for _ in range(20):  # answers that belong to no sign-in of this browser
        assert sso.get("/signin/oidc/callback?code=x&state=y").status_code == 400
    r = _round_trip(sso)
    assert r.status_code == 429 and "too many failed sign-ins" in unescape(r.text).lower()
    assert issuer.token_requests == []  # refused before the code was even exchanged


def test_without_settings_there_is_no_single_sign_on(client: TestClient, seeded: Seeded) -> None:
    assert "Sign in with" not in client.get("/signin").text
    r = client.get("/signin/oidc")
    assert r.status_code == 404 and "single sign-on is not configured" in r.text
    assert client.get("/signin/oidc/callback?code=x&state=y").status_code == 404


def test_an_issuer_that_does_not_answer_gives_a_clear_page(
    sqlite_settings: Settings, seeded_store: Seeded
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with TestClient(create_app(_settings(sqlite_settings, f"http://127.0.0.1:{port}"))) as c:
        r = c.get("/signin/oidc", follow_redirects=False)
        assert r.status_code == 502 and f"sign-in service 127.0.0.1:{port} did not answer" in r.text
        assert "Traceback" not in r.text


# --- in the browser --------------------------------------------------------------------------


@pytest.mark.browser
def test_clicking_sign_in_with_the_issuer_in_chromium(
    sqlite_settings: Settings, issuer: FakeIssuer, seeded_store: Seeded, chromium_path: str
) -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from tests.web.test_browser import ARGS

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(_settings(sqlite_settings, issuer.url))
    server = uvicorn.Server(uvicorn.Config(app, access_log=False, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    issuer.user = "cleo"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
            page = browser.new_page()
            page.goto(f"{base}/campaigns")
            assert page.url.startswith(f"{base}/signin?next=")
            page.click("#signin-sso")  # off to the issuer, which consents and sends the browser back
            page.wait_for_url(f"{base}/campaigns")
            assert "cleo · campaign_manager" in page.content()
            names = {c["name"] for c in page.context.cookies()}
            assert names == {SESSION_COOKIE}  # the pending sign-in's cookie is gone
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
