"""Backups of the store and their restore, on SQLite and on PostgreSQL: tips stay encrypted and read
back with the same key, a damaged or foreign file is refused clearly, a store is not replaced by
accident, and a backup taken while another connection writes is one instant of the store."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, func, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from campaigns.feedback.tips import read_tip_text, submit_tip
from intel.backup import (
    BackupError,
    _libpq,
    backup_store,
    inspect_backup,
    known_revisions,
    restore_store,
    store_rows,
)
from intel.db import alembic_config, get_engine, make_engine
from intel.errors import Conflict
from intel.models import AuditEvent, Tip
from intel.settings import Settings
from tests.factories import make_users

SECRET = "the driver collects the girls behind the Agadez bus station at night"
HEAD = known_revisions()[-1]


@pytest.fixture
def spare_url(db_url: str) -> Iterator[str]:
    """Where a restore goes: a fresh SQLite path, or a second, empty PostgreSQL database."""
    if db_url.startswith("sqlite"):
        yield ""
        return
    admin_url = make_url(db_url).set(database="postgres")
    name = f"counterflow_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_home(tmp_path: Path, settings: Settings, spare_url: str) -> Settings:
    """A new home with the old home's tip key (as the operator keeps it apart and restores it)."""
    home = tmp_path / "restored"
    home.mkdir(mode=0o700)
    shutil.copy2(settings.tip_key_path, home / "tip.key")
    return Settings(environment="test", home=home, database_url=spare_url or None)


def store_with_a_tip(settings: Settings) -> int:
    with Session(get_engine(settings)) as s:
        make_users(s)
        tip = submit_tip(s, text=SECRET, place="Agadez", settings=settings)
        s.commit()
        assert tip.id is not None
        return tip.id


def revision(settings: Settings) -> str:
    engine = make_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        engine.dispose()


def test_round_trip_reads_the_tip_back_with_the_same_key(
    settings: Settings, spare_url: str, tmp_path: Path
) -> None:
    tip_id = store_with_a_tip(settings)
    dest = tmp_path / "store.backup"
    done = backup_store(settings, dest)
    assert (done.tips, done.revision, done.path) == (1, HEAD, dest)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".store.backup")] == []  # no temp left

    target = fresh_home(tmp_path, settings, spare_url)
    assert store_rows(target) == 0
    restored = restore_store(target, dest)
    assert (restored.tips, restored.readable_tips, restored.backup_revision) == (1, 1, HEAD)
    with Session(get_engine(target)) as s:
        assert read_tip_text(s, tip_id=tip_id, actor="ana", settings=target).startswith(SECRET)
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.object_type == "store")).all()
    assert actions == ["store.restored"]  # the restore is in the audit trail


def test_the_backup_holds_ciphertext_only(settings: Settings, tmp_path: Path) -> None:
    store_with_a_tip(settings)
    dest = backup_store(settings, tmp_path / "b").path
    with Session(get_engine(settings)) as s:
        token = s.exec(select(Tip.text_encrypted)).one()
    if settings.is_sqlite:
        raw = dest.read_bytes()
    else:  # a custom-format dump is compressed: read its data as pg_restore writes it out
        raw = subprocess.run(
            ["pg_restore", "--data-only", "--file=-", str(dest)], capture_output=True, check=True
        ).stdout
        token = token.hex().encode()  # bytea in COPY text form
    assert token in raw  # the tip is in the backup, as the store holds it...
    assert SECRET.encode() not in raw and b"Agadez bus station" not in raw  # ...and not in clear
    assert settings.tip_key_path.read_bytes().strip() not in raw  # nor the key


def test_restore_refuses_a_store_that_is_not_empty(settings: Settings, tmp_path: Path) -> None:
    store_with_a_tip(settings)
    dest = backup_store(settings, tmp_path / "b").path
    with Session(get_engine(settings)) as s:
        submit_tip(s, text="a second tip, written after the backup", settings=settings)
        s.commit()
    rows = store_rows(settings)
    with pytest.raises(Conflict) as err:
        restore_store(settings, dest)
    assert "is not empty" in err.value.problem and "restore" in str(err.value.hint)
    assert store_rows(settings) == rows  # nothing changed
    done = restore_store(settings, dest, replace=True)
    assert done.tips == 1  # the tip written after the backup is gone


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "empty"),
        (os.urandom(4096), "neither an SQLite store nor a pg_dump archive"),
        (b"name,place\nA,Agadez\n", "neither an SQLite store nor a pg_dump archive"),
    ],
    ids=["empty", "random", "csv"],
)
def test_a_foreign_file_is_not_a_backup(
    settings: Settings, tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "not-a-backup"
    path.write_bytes(content)
    with pytest.raises(BackupError) as err:
        restore_store(settings, path)
    assert said in err.value.problem and "backup command" in err.value.fix


def test_a_missing_file_and_a_folder(sqlite_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        restore_store(sqlite_settings, tmp_path / "nowhere.backup")
    with pytest.raises(BackupError, match="is not a file"):
        restore_store(sqlite_settings, tmp_path)


def test_a_damaged_sqlite_backup(sqlite_settings: Settings, tmp_path: Path) -> None:
    store_with_a_tip(sqlite_settings)
    good = backup_store(sqlite_settings, tmp_path / "good").path
    data = good.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) // 3])  # a copy that stopped a third of the way
    flipped = tmp_path / "flipped"
    flipped.write_bytes(data[:100] + bytes(b ^ 0xFF for b in data[100:4096]) + data[4096:])
    target = Settings(environment="test", home=tmp_path / "t")
    for bad in (cut, flipped):
        with pytest.raises(BackupError) as err:
            restore_store(target, bad)
        assert "damaged" in err.value.problem or "integrity" in err.value.problem, err.value.problem
    assert store_rows(target) == 0


def test_an_sqlite_file_that_is_not_a_store(sqlite_settings: Settings, tmp_path: Path) -> None:
    other = tmp_path / "photos.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO photo (name) VALUES ('beach')")
    conn.close()
    with pytest.raises(BackupError) as err:
        restore_store(sqlite_settings, other)
    assert "is not a store of this application" in err.value.problem


def test_an_unknown_revision_is_refused(sqlite_settings: Settings, tmp_path: Path) -> None:
    store_with_a_tip(sqlite_settings)
    dest = backup_store(sqlite_settings, tmp_path / "b").path
    with sqlite3.connect(dest) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.close()
    with pytest.raises(BackupError) as err:
        restore_store(Settings(environment="test", home=tmp_path / "t"), dest)
    assert "'0099_future'" in err.value.problem and "version that made it" in err.value.fix


def test_an_older_backup_is_upgraded(settings: Settings, spare_url: str, tmp_path: Path) -> None:
    """A backup at revision 0003 restored into a store at the current schema (on PostgreSQL the
    current store has every later column, which the restore must not keep)."""
    old = Settings(environment="test", home=tmp_path / "old", database_url=spare_url or None)
    engine = make_engine(old.db_url)
    command.upgrade(alembic_config(engine), "0003")  # a store as an older counterflow left it
    with engine.begin() as conn:
        conn.execute(insert(Tip.__table__).values(text_encrypted=b"ciphertext", status="new"))  # type: ignore[attr-defined]
    engine.dispose()
    assert revision(old) == "0003"
    dest = backup_store(old, tmp_path / "old.backup").path
    assert inspect_backup(dest).revision == "0003"
    target = settings.model_copy(update={"home": tmp_path / "new"})
    get_engine(target)  # the current schema, empty
    done = restore_store(target, dest)
    assert (done.backup_revision, done.revision, revision(target)) == ("0003", HEAD, HEAD)
    assert done.tips == 1
    assert done.readable_tips is None  # no key in the new home: said, and none was made
    assert not target.tip_key_path.exists()


def test_a_backup_is_not_written_over_the_store_or_another_backup(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    store_with_a_tip(sqlite_settings)
    store = Path(make_url(sqlite_settings.db_url).database or "")
    with pytest.raises(BackupError, match="is the store itself"):
        backup_store(sqlite_settings, store, overwrite=True)
    dest = backup_store(sqlite_settings, tmp_path / "b").path
    with pytest.raises(BackupError, match="already exists") as err:
        backup_store(sqlite_settings, dest)
    assert str(err.value.hint) == f"counterflow backup {dest} --overwrite"
    assert backup_store(sqlite_settings, dest, overwrite=True).tips == 1
    with pytest.raises(BackupError, match="does not exist"):
        backup_store(sqlite_settings, tmp_path / "no-such-folder" / "b")


def test_a_backup_taken_while_another_connection_writes_is_one_instant(
    settings: Settings, spare_url: str, tmp_path: Path
) -> None:
    """Every tip is written with its audit event in one transaction: a backup that caught half a
    transaction, or tips committed out of order, would show it."""
    engine = get_engine(settings)
    with engine.begin() as conn:  # bulk, so that a copy takes long enough to be written over
        conn.execute(
            insert(Tip), [{"text_encrypted": os.urandom(2048), "status": "new"} for _ in range(8000)]
        )
    padding = 8000
    committed = [0]
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            with Session(engine) as s:
                submit_tip(s, text=f"tip {committed[0]}", settings=settings)
                s.commit()
            committed[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while committed[0] < 5:
            time.sleep(0.01)
        before = committed[0]
        dest = backup_store(settings, tmp_path / "live.backup").path
        after = committed[0]
        while committed[0] < after + 3:  # and it goes on writing afterwards
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    if settings.is_sqlite:
        target = sqlite3.connect(dest)
        tips = target.execute("SELECT count(*), max(id) FROM tip").fetchone()
        audits = target.execute("SELECT count(*) FROM auditevent WHERE action = 'tip.submitted'").fetchone()[
            0
        ]
        target.close()
    else:
        restored = fresh_home(tmp_path, settings, spare_url)
        restore_store(restored, dest)
        with Session(make_engine(restored.db_url)) as s:
            tips = s.exec(select(func.count(), func.max(Tip.id))).one()  # type: ignore[call-overload]
            audits = s.exec(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "tip.submitted")
            ).one()
    written = tips[0] - padding
    assert after > before  # the writer committed while the backup ran (seen: 20-280 tips)
    assert before <= written <= after + 1, (before, written, after)
    assert audits == written  # no tip without its audit event, nor the other way
    assert tips[1] == tips[0]  # ids 1..n: no gap, so no later commit without an earlier one


def test_an_open_write_transaction_is_not_in_the_backup(sqlite_settings: Settings, tmp_path: Path) -> None:
    store_with_a_tip(sqlite_settings)
    engine = get_engine(sqlite_settings)
    with Session(engine) as s:
        submit_tip(s, text="not committed yet", settings=sqlite_settings)
        s.flush()  # holds SQLite's write lock, uncommitted, while the backup runs
        dest = backup_store(sqlite_settings, tmp_path / "b").path
        s.commit()
    assert inspect_backup(dest).tips == 1
    assert store_rows(sqlite_settings) > 0


# --- the engines and their tools -------------------------------------------------------------------


def test_an_sqlite_backup_is_refused_by_a_postgresql_store_and_back(
    settings: Settings, spare_url: str, tmp_path: Path
) -> None:
    store_with_a_tip(settings)
    dest = backup_store(settings, tmp_path / "b").path
    if settings.is_sqlite:
        other = Settings(
            environment="test", home=tmp_path / "x", database_url="postgresql+psycopg://u@127.0.0.1:1/x"
        )
        engine_said = "is a backup of an SQLite store"
    else:
        other = Settings(environment="test", home=tmp_path / "x")
        engine_said = "is a backup of a PostgreSQL store"
    with pytest.raises(BackupError) as err:
        restore_store(other, dest)
    assert engine_said in err.value.problem and "same engine" in err.value.fix


def test_a_damaged_postgresql_dump(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(environment="test", home=tmp_path / "h", database_url=postgres_url)
    dest = backup_store(settings, tmp_path / "b").path
    cut = tmp_path / "cut"
    cut.write_bytes(dest.read_bytes()[:200])
    with pytest.raises(BackupError) as err:
        restore_store(settings, cut, replace=True)
    assert "damaged" in err.value.problem


def fake_tool(folder: Path, name: str, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o700)


def test_pg_dump_missing_or_too_old(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(environment="test", home=tmp_path / "h", database_url=postgres_url)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackupError) as err:
        backup_store(settings, tmp_path / "b")
    assert "pg_dump is not installed" in err.value.problem and "postgresql-client" in err.value.fix
    fake_tool(tmp_path / "old", "pg_dump", 'echo "pg_dump (PostgreSQL) 9.6.24"\n')
    monkeypatch.setenv("PATH", str(tmp_path / "old"))
    with pytest.raises(BackupError) as err:
        backup_store(settings, tmp_path / "b")
    assert "pg_dump is version 9 and the PostgreSQL server is version" in err.value.problem
    assert not (tmp_path / "b").exists() and not list(tmp_path.glob(".b.*"))


def test_the_password_never_reaches_a_command_line(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local server trusts loopback, so a password in the URL is ignored by it; what matters
    is where the child processes found it."""
    password = "hunter2:sec\\ret"
    url = make_url(postgres_url).set(password=password).render_as_string(hide_password=False)
    settings = Settings(environment="test", home=tmp_path / "h", database_url=url)
    seen = tmp_path / "seen"
    real = shutil.which("pg_dump")
    fake_tool(
        tmp_path / "bin",
        "pg_dump",
        f'printf "%s\\n" "$@" >> {seen}\ncat "$PGPASSFILE" >> {seen}.pass\nexec {real} "$@"\n',
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PGPASSWORD", "from-the-parent")
    done = backup_store(settings, tmp_path / "b")
    assert done.size > 0
    argv = seen.read_text()
    assert "--format=custom" in argv and "hunter2" not in argv
    assert (tmp_path / "seen.pass").read_text().strip().endswith(":hunter2\\:sec\\\\ret")
    with _libpq(url) as (conninfo, env):
        passfile = Path(env["PGPASSFILE"])
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
        assert "hunter2" not in conninfo and "PGPASSWORD" not in env
    assert not passfile.exists() and not passfile.parent.exists()
