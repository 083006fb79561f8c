"""Users on the command line: the first admin, admins adding users with their credential, one-time
links, passwords typed twice and never echoed, personal tokens from ``counterflow login``."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from cli.main import main
from intel.accounts import find_user
from intel.db import get_engine
from intel.settings import Settings, get_settings
from tests.factories import typed
from web.app import create_app

ROOT_PW = "the admin's long passphrase"
AMA_PW = "another long passphrase here"


@pytest.fixture
def env(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("COUNTERFLOW_TOKEN", raising=False)
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


def test_the_first_admin_then_only_admins_add_users(env: Settings, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert main(["users", "add", "root", "--role", "admin"]) == 0
    capsys.readouterr()
    typed(monkeypatch, ROOT_PW, ROOT_PW)
    assert main(["users", "set-password", "root"]) == 0
    out = capsys.readouterr()
    assert ROOT_PW not in out.out + out.err  # never echoed
    # now there is an admin: adding a user needs one, with the admin's own password
    assert main(["users", "add", "ama", "--role", "analyst"]) == 2
    assert "only an admin may do this" in capsys.readouterr().err
    typed(monkeypatch, "WRONG-PASSWORD")
    assert main(["users", "add", "ama", "--role", "analyst", "--by", "root"]) == 2
    typed(monkeypatch, ROOT_PW)
    assert main(["users", "add", "ama", "--role", "analyst", "--by", "root"]) == 0
    link = re.search(r"/set-password/(\S+)", capsys.readouterr().out)
    assert link is not None
    # ama has no password yet and may not set one without the link
    typed(monkeypatch, AMA_PW, AMA_PW)
    assert main(["users", "set-password", "ama"]) == 2
    assert "use the one-time link" in capsys.readouterr().err
    # an analyst cannot add users, even with her own password
    with TestClient(create_app(env)) as c:
        r = c.post(
            f"/set-password/{link.group(1)}",
            data={"password": AMA_PW, "password2": AMA_PW},
            follow_redirects=False,
        )
        assert r.status_code == 303
    typed(monkeypatch, AMA_PW)
    assert main(["users", "add", "eve", "--role", "admin", "--by", "ama"]) == 2
    assert "not admin" in capsys.readouterr().err
    with Session(get_engine(env)) as s:
        assert find_user(s, "eve") is None
    # changing one's own password needs the current one, typed first
    typed(monkeypatch, "not the current one", "a new long passphrase", "a new long passphrase")
    assert main(["users", "set-password", "ama"]) == 2
    typed(monkeypatch, AMA_PW, "a new long passphrase", "a different long passphrase")
    assert main(["users", "set-password", "ama"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err


def test_login_keeps_a_private_token_that_acts_only_for_its_owner(
    env: Settings, capsys, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    assert main(["users", "add", "root", "--role", "admin"]) == 0
    typed(monkeypatch, ROOT_PW, ROOT_PW)
    assert main(["users", "set-password", "root"]) == 0
    typed(monkeypatch, "WRONG-PASSWORD")
    assert main(["login", "root"]) == 2
    typed(monkeypatch, ROOT_PW)
    assert main(["login", "root"]) == 0
    path = tmp_path / "config" / "counterflow" / "token"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    token = path.read_text().strip()
    assert token not in capsys.readouterr().out
    typed(monkeypatch)  # no password typed: the token is enough for root
    assert main(["users", "add", "ama", "--role", "analyst", "--by", "root"]) == 0
    assert main(["logout"]) == 0 and not path.exists()
    monkeypatch.setenv("COUNTERFLOW_TOKEN", token)  # a revoked token opens nothing
    assert main(["users", "add", "bea", "--role", "analyst", "--by", "root"]) == 2
    assert "the personal token is unknown or expired" in capsys.readouterr().err
