"""`counterflow keys rotate` / `keys reencrypt`, and start-up refusing a malformed tip key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from cli.main import main
from intel.db import get_engine
from intel.models import Tip
from intel.settings import Settings, get_settings
from tests.factories import PASSWORD, seed, typed

SECRET = "the van leaves the Sabha compound on Thursdays"


@pytest.fixture
def store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    monkeypatch.delenv("COUNTERFLOW_TIP_KEY", raising=False)
    get_settings.cache_clear()
    seed(get_engine(sqlite_settings))
    yield sqlite_settings
    get_settings.cache_clear()


def test_rotate_then_old_tips_read_with_the_command_line(
    store: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from campaigns.feedback.tips import submit_tip

    with Session(get_engine(store)) as s:
        submit_tip(s, text=SECRET, settings=store)
        s.commit()
    first = store.tip_fernet_key()
    assert main(["keys", "rotate"]) == 0
    assert f"new tip key first in {store.home / 'tip.key'} (2 keys" in capsys.readouterr().out
    keys = store.tip_keys()
    assert keys[1] == first and keys[0] != first
    typed(monkeypatch, PASSWORD)
    assert main(["tips", "--show-text", "--as", "ana"]) == 0
    assert SECRET in capsys.readouterr().out  # the old tip, under the old key, still reads
    assert main(["keys", "rotate", "--reencrypt"]) == 0
    assert "re-encrypted 1 tips" in capsys.readouterr().out
    newest = store.tip_keys()[0]
    with Session(get_engine(store)) as s:
        tip = s.exec(select(Tip)).one()
        assert Fernet(newest).decrypt(tip.text_encrypted).decode().startswith(SECRET)


def test_rotate_refuses_keys_from_the_environment(
    store: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COUNTERFLOW_TIP_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    assert main(["keys", "rotate"]) == 2
    err = capsys.readouterr().err
    assert "COUNTERFLOW_TIP_KEY" in err and "keys reencrypt" in err


def test_web_and_tip_commands_refuse_a_truncated_key_file(
    store: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.home.mkdir(parents=True, exist_ok=True)
    (store.home / "tip.key").write_bytes(Fernet.generate_key()[:30])
    assert main(["web", "--port", "8765"]) == 2  # before serving anything
    err = capsys.readouterr().err
    assert "is not a Fernet key (30 characters" in err and "backup" in err
    typed(monkeypatch, PASSWORD)
    assert main(["tips", "--show-text", "--as", "ana"]) == 2
    assert "is not a Fernet key" in capsys.readouterr().err
    assert len((store.home / "tip.key").read_bytes()) == 30  # never replaced
