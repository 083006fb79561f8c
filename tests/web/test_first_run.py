"""Home and first run: the public is offered sign-in, and a first-steps page explains how to get a
password and what each role does next; a store where no one has a password says so."""

from __future__ import annotations

from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from intel.models import User
from tests.factories import Seeded, as_user


def test_a_fresh_store_says_no_one_can_sign_in_yet_and_how_to_start(
    client: TestClient, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as s:  # added, but no password set yet
        s.add(User(name="root", role="admin"))
        s.commit()
    home = client.get("/")
    assert home.status_code == 200
    assert 'id="home-signin"' in home.text and 'href="/signin"' in home.text
    assert 'id="home-first-run">No one can sign in yet.' in home.text and 'href="/welcome"' in home.text
    page = client.get("/welcome")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    text = unescape(page.text)
    assert 'id="no-passwords"' in page.text
    for command in (
        "counterflow users add NAME --role analyst|campaign_manager|director|admin|partner --by ADMIN",
        "counterflow users add root --role admin\ncounterflow users set-password root",
        "counterflow users link NAME --by ADMIN",
        "counterflow demo",
    ):
        assert command in text
    assert "one-time link (valid 72 hours)" in text
    for role in ("analyst", "campaign-manager", "director", "admin", "partner"):
        assert f'id="role-{role}"' in page.text
    assert (
        'href="/hotspots"' in page.text and 'href="/tips"' in page.text and 'href="/campaigns"' in page.text
    )
    assert 'href="/overlay"' in page.text


def test_once_someone_has_a_password_the_first_run_notice_goes(client: TestClient, seeded: Seeded) -> None:
    home = client.get("/")
    assert 'id="home-signin"' in home.text and 'id="home-welcome"' in home.text
    assert "home-first-run" not in home.text
    assert 'id="no-passwords"' not in client.get("/welcome").text
    signed_in = client.get("/", headers=as_user(client, "dina")).text
    assert 'id="home-signin"' not in signed_in and 'href="/welcome"' in signed_in
    assert "dina · director" in client.get("/welcome", headers=as_user(client, "dina")).text
