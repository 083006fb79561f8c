"""The admin page: users, tip keys, channel and flows, and never a secret in its HTML."""

from __future__ import annotations

import socket

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.accounts import issue_password_link, issue_token
from intel.models import Credential, StaffSession, Tip, User
from intel.settings import Settings
from intel.tipkeys import multi
from tests.factories import as_user, make_users, user_with_password
from web.app import create_app
from web.routes.admin import fingerprint, flows_state

TOKEN = "EAAGfakeaccesstoken0123456789secretvalue"
APP_SECRET = "app-secret-0123456789abcdef"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def setup(tmp_path, monkeypatch) -> tuple[TestClient, dict[str, object]]:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings = Settings(
        environment="test",
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'admin.db'}",
        tip_key=SecretStr(f"{new.decode()},{old.decode()}"),
        channel="facebook",
        facebook_access_token=SecretStr(TOKEN),
        facebook_app_secret=SecretStr(APP_SECRET),
        facebook_app_id="1234",
        facebook_ad_account_id="act_987654321",
        facebook_page_id="555",
    )
    app = create_app(settings)
    engine: Engine = app.state.engine
    with Session(engine) as s:
        make_users(s)
        newbie = user_with_password(s, "nadia", "analyst", password=False)
        link = issue_password_link(s, user=newbie, actor="root")
        ana = s.exec(select(User).where(User.name == "ana")).one()
        token = issue_token(s, user=ana)
        readable = multi([new, old])
        s.add(Tip(text_encrypted=readable.encrypt(b"seen at the market")))
        s.add(Tip(text_encrypted=Fernet(old).encrypt(b"older tip, older key")))
        s.add(Tip(text_encrypted=Fernet(Fernet.generate_key()).encrypt(b"a lost key's tip")))
        s.commit()
    client = TestClient(app)
    headers = as_user(client, "root")
    with Session(engine) as s:
        hashes = [u.password_hash for u in s.exec(select(User)).all() if u.password_hash]
        hashes += [c.secret_hash for c in s.exec(select(Credential)).all() if c.secret_hash]
        hashes += [x.id for x in s.exec(select(StaffSession)).all()]
    secrets = {
        "token": TOKEN,
        "app_secret": APP_SECRET,
        "new_key": new.decode(),
        "old_key": old.decode(),
        "link": link,
        "personal_token": token,
        "session_cookie": headers["Cookie"].split("=", 1)[1],
        "csrf": headers["X-CSRF-Token"],
    }
    for i, h in enumerate(hashes):
        secrets[f"hash{i}"] = h
    return client, {"headers": headers, "secrets": secrets, "new": new}


def test_the_page_says_the_state_and_holds_no_secret(setup) -> None:  # type: ignore[no-untyped-def]
    client, ctx = setup
    r = client.get("/admin", headers=ctx["headers"])
    assert r.status_code == 200
    html = r.text
    for name, secret in ctx["secrets"].items():
        if name == "csrf":  # the page's own sign-out form carries it, as every page does
            continue
        assert secret not in html, f"the {name} is on the admin page"
        assert secret[:16] not in html, f"a prefix of the {name} is on the admin page"
    nadia = html.split('data-user="nadia"', 1)[1].split("</tr>", 1)[0]
    assert "none yet" in nadia and "<td>yes</td>" in nadia  # no password, an open one-time link
    ana = html.split('data-user="ana"', 1)[1].split("</tr>", 1)[0]
    assert "set" in ana and "<td>no</td>" in ana and ana.rstrip().endswith('<td class="num">1</td>')
    assert 'id="key-count">2' in html
    assert f'<code id="key-fingerprint">{fingerprint(ctx["new"])}</code>' in html
    unreadable = html.split('id="unreadable">', 1)[1].split("</dd>", 1)[0]
    assert ">1</span>" in unreadable and "of the newest 3 checked" in unreadable
    assert 'id="ad-account">act_987654321' in html and "set (not shown)" in html
    assert 'id="no-prefect"' in html and "hotspots-nightly" in html and "0 2 * * *" in html
    assert 'href="/admin"' in html


def test_only_an_admin_may_open_it(setup) -> None:  # type: ignore[no-untyped-def]
    client, _ = setup
    assert client.get("/admin", headers=as_user(client, "dina")).status_code == 403
    assert 'href="/admin"' not in client.get("/portfolio", headers=as_user(client, "dina")).text


def test_an_unreachable_prefect_api_is_said_quickly() -> None:
    import time

    t0 = time.perf_counter()
    state = flows_state(f"http://127.0.0.1:{_closed_port()}/api", timeout=1.0)
    assert time.perf_counter() - t0 < 3
    assert state.api_url and not state.reachable and state.problem


def test_a_prefect_url_loses_its_password() -> None:
    state = flows_state(f"http://user:hunter2@127.0.0.1:{_closed_port()}/api", timeout=0.5)
    assert state.api_url is not None and "hunter2" not in state.api_url
