"""The SQLite store is private and durable: mode 0600 for the file and its WAL, full syncs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from campaigns.feedback.tips import submit_tip
from intel.db import get_engine, make_engine
from intel.settings import Settings


def test_store_file_and_wal_are_private_and_commits_are_full_syncs(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files would be world-readable
    try:
        settings = Settings(environment="test", home=tmp_path / "home")
        engine = get_engine(settings)
        with Session(engine) as s:
            submit_tip(s, text="a tip that must survive a power cut", settings=settings)
            s.commit()
            assert s.connection().execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        db = settings.home / "counterflow.db"
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
        assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_an_older_world_readable_store_is_narrowed(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    db.touch(mode=0o644)
    db.chmod(0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_an_in_memory_url_makes_no_file(tmp_path: Path, monkeypatch) -> None:
    """``sqlite://`` is an in-memory store: opening it writes no file named after the URL."""
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert list(tmp_path.iterdir()) == []
