"""`counterflow backup` and `counterflow restore` on an SQLite store (the PostgreSQL round trip is in
tests/intel/test_backup.py): what they say, what they refuse, and a tip read back after a restore."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from cli.main import main
from intel.db import get_engine
from intel.settings import Settings, get_settings
from tests.factories import PASSWORD, seed, typed

SECRET = "two boys were taken from the Sabha market to a farm near the border"


def use_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> Settings:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(home))
    monkeypatch.delenv("COUNTERFLOW_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    from campaigns.feedback.tips import submit_tip

    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    monkeypatch.delenv("COUNTERFLOW_TIP_KEY", raising=False)
    settings = use_home(monkeypatch, tmp_path / "home")
    seed(get_engine(settings))
    with Session(get_engine(settings)) as s:
        submit_tip(s, text=SECRET, settings=settings)
        s.commit()
    yield settings
    get_settings.cache_clear()


def test_backup_then_restore_into_a_new_home_and_read_the_tip(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "backups" / "monday.backup"
    dest.parent.mkdir()
    assert main(["backup", str(dest)]) == 0
    out = capsys.readouterr().out
    assert f"backup written: {dest} (SQLite," in out and "1 tips" in out
    assert "the tip key is NOT in the backup" in out and str(store.home / "tip.key") in out
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert SECRET.encode() not in dest.read_bytes()

    # a new machine: the store is lost, the key was kept apart and is put back
    new_home = tmp_path / "new-home"
    new_home.mkdir(mode=0o700)
    shutil.copy2(store.home / "tip.key", new_home / "tip.key")
    use_home(monkeypatch, new_home)
    assert main(["restore", str(dest)]) == 0
    out = capsys.readouterr().out
    assert f"store restored from {dest} (schema revision" in out and "1 tips, still encrypted" in out
    assert "the configured tip key reads all 1 tips" in out
    typed(monkeypatch, PASSWORD)
    assert main(["tips", "--show-text", "--as", "ana"]) == 0
    assert SECRET in capsys.readouterr().out


def test_restore_with_another_key_says_the_tips_cannot_be_read(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "b"
    assert main(["backup", str(dest)]) == 0
    new_home = tmp_path / "new-home"
    settings = use_home(monkeypatch, new_home)
    settings.tip_keys()  # a new key is made here: not the one the tips were stored under
    capsys.readouterr()
    assert main(["restore", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "warning: the configured tip key reads 0 of 1 tips" in out and "older keys after" in out


def test_restore_refuses_a_store_that_is_not_empty_without_yes(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "b"
    assert main(["backup", str(dest)]) == 0
    capsys.readouterr()
    typed(monkeypatch, "y")  # standard input is not a terminal: no question is asked, nor read
    assert main(["restore", str(dest)]) == 2
    err = capsys.readouterr().err
    assert "error: the store is not empty (" in err and "run: counterflow restore SRC --yes" in err
    assert main(["restore", str(dest), "--yes"]) == 0
    assert "store restored" in capsys.readouterr().out


def test_a_damaged_backup_gives_the_error_not_a_traceback(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "b"
    assert main(["backup", str(dest)]) == 0
    cut = tmp_path / "cut"
    cut.write_bytes(dest.read_bytes()[:5000])
    capsys.readouterr()
    for confirmed in ([], ["--yes"]):  # the file is judged before the store's contents are
        assert main(["restore", str(cut), *confirmed]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: the backup ") and "fix: use another backup" in err
        assert "Traceback" not in err and "not empty" not in err
    assert main(["restore", str(tmp_path / "missing"), "--yes"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_backup_does_not_replace_a_file_without_overwrite(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "b"
    dest.write_text("an older backup")
    assert main(["backup", str(dest)]) == 2
    assert "already exists" in capsys.readouterr().err and dest.read_text() == "an older backup"
    assert main(["backup", str(dest), "--overwrite"]) == 0
    assert dest.read_bytes().startswith(b"SQLite format 3\x00")
