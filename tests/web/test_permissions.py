"""Every route of the app, as the public and as each role, against the one permission table.

The routes come from the app itself (``permissions.routes``), so a new route without an entry in
``web.permissions.TABLE`` fails here (and answers 500 in the app until it has one).
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from intel.models import Campaign
from intel.roles import Role
from intel.settings import Settings
from tests.factories import PASSWORD, Seeded, as_user, seed
from web import permissions
from web.app import create_app

#: One user per role in ``tests.factories.make_users`` (cleo: a campaign manager, not the author).
USERS = {
    Role.ANALYST: "ana",
    Role.CAMPAIGN_MANAGER: "cleo",
    Role.DIRECTOR: "dina",
    Role.ADMIN: "root",
    Role.PARTNER: "pia",
}


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, str]]:
    from intel.db import get_engine

    home = tmp_path_factory.mktemp("walk")
    settings = Settings(environment="test", home=home, database_url=f"sqlite:///{home / 'store.db'}")
    engine: Engine = get_engine(settings)
    seeded: Seeded = seed(engine)
    with Session(engine) as s:  # an author who is none of the walkers, so approving is allowed
        campaign = s.get(Campaign, seeded.rows.campaign.id)
        assert campaign is not None
        campaign.author = "amara"
        s.add(campaign)
        s.commit()
    client = TestClient(create_app(settings))
    code = seeded.rows.assets[(seeded.rows.targets[0].id, "en")].tracking_code
    assert (
        client.post("/api/tips", json={"text": "seen at the bus station", "tracking_code": code}).status_code
        == 201
    )
    params = {
        "run_id": str(seeded.run.id),
        "campaign_id": str(seeded.rows.campaign.id),
        "tip_id": "1",
        "code": code,
        "locale": "en",
        "token": "no-such-link",
        "import_id": "1",
        "job_id": "no-such-job",
        "key": "no-such-result",
    }
    return client, params


def _cases() -> list[tuple[str, Role | None]]:
    return [(entry, role) for entry in sorted(permissions.TABLE) for role in (None, *Role)]


def test_every_route_of_the_app_has_one_entry(sqlite_settings: Settings) -> None:
    app = create_app(sqlite_settings)
    found = {permissions.key(m, p) for m, p in permissions.routes(app)}
    assert found - set(permissions.TABLE) == set(), "routes without an entry in web.permissions.TABLE"
    assert set(permissions.TABLE) - found == set(), "entries of web.permissions.TABLE without a route"
    assert len(found) >= 30


@pytest.mark.parametrize(("entry", "role"), _cases(), ids=lambda v: str(v) if v else "public")
def test_each_route_answers_each_role_as_the_table_says(
    walk: tuple[TestClient, dict[str, str]], entry: str, role: Role | None
) -> None:
    client, params = walk
    client.cookies.clear()  # the sign-in case leaves a session cookie in the jar
    method, path = entry.split(" ", 1)
    url = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)
    headers = as_user(client, USERS[role]) if role else {}
    data = {"csrf_token": headers["X-CSRF-Token"]} if role and method == "POST" else None
    if url == "/signin" and method == "POST":
        data = {"name": "ana", "password": PASSWORD}
    body = {"json": {"text": "seen near the market"}} if url == "/api/tips" else {"data": data}
    r = client.request(method, url, headers=headers, follow_redirects=False, **body)  # type: ignore[arg-type]
    sent_to_sign_in = r.status_code == 303 and r.headers["location"].startswith("/signin?next=")
    if permissions.allowed(entry, role):
        assert r.status_code not in (401, 403, 500) and not sent_to_sign_in, (r.status_code, r.text[:300])
    elif role is None:
        assert r.status_code == 401 or sent_to_sign_in, (r.status_code, r.text[:300])
    else:
        assert r.status_code == 403 and f"has the role '{role}'" in unescape(r.text), (
            r.status_code,
            r.text[:300],
        )


def test_static_files_are_public(walk: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = walk
    assert client.get("/static/counterflow.css").status_code == 200
