"""Backups of the store: a consistent copy taken while the store is in use, and a restore that
checks the copy before it replaces anything.

- **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``) copies every page in one
  step under one read transaction, so the copy is the store as it was at one instant even while
  the web app writes (WAL readers do not block writers). The copy is a plain SQLite file
  (rollback journal, no ``-wal`` beside it) and is itself a usable store.
- **PostgreSQL**: ``pg_dump --format=custom`` (one repeatable-read snapshot) and ``pg_restore
  --clean --if-exists --no-owner``. The database password never appears on a command line: the
  child process reads it from a temporary password file (mode 0600, in a private folder, deleted
  afterwards) named by ``PGPASSFILE``.

A backup file is created with mode 0600 under a temporary name in the destination's folder and
renamed into place when it is complete, so an interrupted backup never leaves a half file under
the destination's name. Tips are ciphertext in the store and stay so in the backup; the tip key
is *not* copied into it (keep it separately: a backup and its key together read every tip).

A restore accepts only a counterflow store at a migration revision this version knows, refuses
to replace a store that holds anything unless told to, and upgrades an older backup to the
current schema. An SQLite restore is checked and upgraded on a private copy first, then copied
into the store file with the backup API, so a failed check leaves the store untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel

from intel import tipkeys
from intel.db import MIGRATIONS, _private_sqlite_file, alembic_config, make_engine
from intel.errors import CommandHint, Conflict, CounterflowError
from intel.models import AuditEvent, Tip
from intel.settings import Settings

Engine_ = Literal["sqlite", "postgresql"]
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
#: Tables every counterflow store has; a file without them is not a counterflow backup.
MARKER_TABLES = ("alembic_version", "tip", "report", "user")


class BackupError(CounterflowError):
    """A backup or a restore that cannot be done as asked."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    path: Path
    engine: Engine_
    revision: str
    tips: int | None  # None: not known without restoring it (a PostgreSQL dump)
    tables: frozenset[str] = frozenset()  # the tables of a PostgreSQL dump


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: Engine_
    revision: str
    tips: int
    size: int


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    engine: Engine_
    backup_revision: str
    revision: str
    tips: int
    readable_tips: int | None  # tips the configured key decrypts; None: no key configured


# --- migration revisions -------------------------------------------------------------------------


def known_revisions() -> list[str]:
    """The store's migration revisions, oldest first (the last is the current schema)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _check_revision(revision: str | None, *, what: str) -> str:
    known = known_revisions()
    if revision is None:
        raise BackupError(
            f"{what} is not a store of this application: it has no migration revision (alembic_version)",
            "give a file that the backup command wrote",
        )
    if revision not in known:
        raise BackupError(
            f"{what} is at migration revision {revision!r}, which this version does not know "
            f"(it knows {known[0]} to {known[-1]})",
            "restore it with the version that made it, or a newer one",
        )
    return revision


# --- the store --------------------------------------------------------------------------------------


def store_engine(settings: Settings) -> Engine_:
    return "sqlite" if settings.is_sqlite else "postgresql"


def store_label(settings: Settings) -> str:
    """The store's URL with any password hidden, for messages."""
    return make_url(settings.db_url).render_as_string(hide_password=True)


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.db_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(
            f"the store {store_label(settings)} is not an SQLite file",
            "set COUNTERFLOW_HOME (or COUNTERFLOW_DATABASE_URL) to the store you mean",
        )
    return Path(database).expanduser().resolve()


#: Tables of the store's own bookkeeping, not of its data: the migration revision and what names
#: the store's state for its report snapshot (``intel.snapshot``).
BOOKKEEPING_TABLES = frozenset(("alembic_version", "store_revision", "store_change"))


def store_rows(settings: Settings) -> int:
    """How many rows the store holds, in every table but its bookkeeping (0: empty)."""
    if settings.is_sqlite and not _sqlite_path(settings).exists():
        return 0
    engine = make_engine(settings.db_url)
    try:
        names = [n for n in inspect(engine).get_table_names() if n not in BOOKKEEPING_TABLES]
        with engine.connect() as conn:
            return sum(
                conn.execute(select(func.count()).select_from(text(_quoted(engine, n)))).scalar_one()
                for n in names
            )
    except SQLAlchemyError as exc:
        raise BackupError(
            f"cannot read the store {store_label(settings)}: {exc.__class__.__name__}",
            "check COUNTERFLOW_DATABASE_URL (or COUNTERFLOW_HOME) and that the server runs",
        ) from exc
    finally:
        engine.dispose()


def _quoted(engine: Engine, name: str) -> str:
    return str(engine.dialect.identifier_preparer.quote(name))


def _audit(settings: Settings, action: str, **detail: object) -> None:
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as s:
            s.add(AuditEvent(actor="operator", action=action, object_type="store", detail=detail))
            s.commit()
    finally:
        engine.dispose()


# --- files ----------------------------------------------------------------------------------------


def backup_kind(path: Path) -> Engine_:
    """The engine a backup file was made from, read from its first bytes; a clear error for a
    missing, empty or foreign file."""
    if not path.exists():
        raise BackupError(f"the backup {path} does not exist", "check the path of the backup file")
    if not path.is_file():
        raise BackupError(f"the backup {path} is not a file", "give the backup file itself, not a folder")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a backup of a store ({'empty' if not head else 'neither an SQLite store nor a pg_dump archive'})",
        "give a file that the backup command wrote; a truncated or damaged one cannot be restored",
    )


def _private_temp(folder: Path, prefix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=prefix, dir=folder)  # mode 0600
    os.close(fd)
    return Path(name)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _destination(dest: Path, *, overwrite: bool, store: Path | None) -> Path:
    dest = dest.expanduser().resolve()
    if dest.is_dir():
        raise BackupError(
            f"{dest} is a folder", "give the backup a file name, e.g. counterflow-2027-01-10.backup"
        )
    if not dest.parent.is_dir():
        raise BackupError(
            f"the folder {dest.parent} does not exist", "create it (readable by you only) first"
        )
    if store is not None and dest in {
        store,
        Path(f"{store}-wal"),
        Path(f"{store}-shm"),
        Path(f"{store}-journal"),
    }:
        raise BackupError(
            f"{dest} is the store itself", "write the backup to another file, outside the store's home"
        )
    if dest.exists() and not overwrite:
        raise BackupError(
            f"{dest} already exists",
            "choose a new name, or confirm that the new backup replaces the old one",
            hint=CommandHint("backup", f"{dest} --overwrite"),
        )
    return dest


def _install(tmp: Path, dest: Path) -> int:
    os.chmod(tmp, 0o600)
    _sync(tmp)
    os.replace(tmp, dest)
    _sync(dest.parent)
    return dest.stat().st_size


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not set(MARKER_TABLES) <= tables:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _open_checked(path: Path, *, what: str) -> sqlite3.Connection:
    """An SQLite connection to ``path``, after a quick integrity check."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackupError(
            f"{what} is damaged or not an SQLite database ({exc})",
            "use another backup; a truncated or damaged file cannot be restored",
        ) from None
    if not result or result[0] != "ok":
        conn.close()
        raise BackupError(
            f"{what} fails SQLite's integrity check ({result[0] if result else 'no answer'})",
            "use another backup; a damaged file cannot be restored",
        )
    return conn


def _backup_sqlite(settings: Settings, tmp: Path) -> tuple[str, int]:
    store = _sqlite_path(settings)
    if not store.is_file():
        raise BackupError(
            f"there is no store at {store}",
            "check COUNTERFLOW_HOME (or COUNTERFLOW_DATABASE_URL); upgrading the store creates it",
            hint=CommandHint("upgrade"),
        )
    source = sqlite3.connect(store, timeout=30)
    target = sqlite3.connect(tmp)
    try:
        # pages=-1 (the default): every page in one step, under one read transaction, so the copy
        # is one instant of the store even while other connections write
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        revision = _sqlite_revision(target)
        tips = target.execute("SELECT count(*) FROM tip").fetchone()[0] if revision else 0
    finally:
        target.close()
        source.close()
    return _check_revision(revision, what=f"the store at {store}"), int(tips)


def _restore_sqlite(settings: Settings, source: Path) -> tuple[str, int]:
    store = _sqlite_path(settings)
    _private_sqlite_file(store)  # the store's folder (0700) and file (0600), made if missing
    work = _private_temp(store.parent, ".restore-")
    try:
        shutil.copyfile(source, work)  # the backup itself is never changed
        conn = _open_checked(work, what=f"the backup {source}")
        try:
            revision = _check_revision(_sqlite_revision(conn), what=f"the backup {source}")
        finally:
            conn.close()
        _upgrade(f"sqlite:///{work}")
        copy = sqlite3.connect(work)
        live = sqlite3.connect(store, timeout=30)
        try:
            copy.backup(live)  # replaces every page of the store, under its write lock
            # a new name for this state: rows added after a restore must not name the state a
            # snapshot was made for before it (the store's revision token: intel.snapshot)
            live.execute("INSERT OR REPLACE INTO store_revision (id, token) VALUES (1, random())")
            live.commit()
            tips = live.execute("SELECT count(*) FROM tip").fetchone()[0]
        finally:
            live.close()
            copy.close()
    finally:
        for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm"), Path(f"{work}-journal")):
            leftover.unlink(missing_ok=True)
    return revision, int(tips)


def _upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()


# --- PostgreSQL ------------------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed, and it is needed to back up or restore a PostgreSQL store",
            "install the PostgreSQL client tools of the server's major version "
            "(Debian and Ubuntu: the postgresql-client package)",
        )
    return path


def _major(version: str) -> int:
    match = re.search(r"(\d+)(?:\.(\d+))?", version)
    if match is None:
        raise BackupError(
            f"cannot read a PostgreSQL version from {version!r}", "check the PostgreSQL client tools"
        )
    return int(match.group(1))


def _version_of(tool: str) -> str:
    return subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout


def _check_versions(tool: str, engine: Engine) -> None:
    """pg_dump / pg_restore must be at least the server's major version (pg_dump refuses a newer
    server, and an older pg_restore cannot read a newer archive)."""
    client = _major(_version_of(tool))
    with engine.connect() as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    if client < server:
        name = Path(tool).name
        raise BackupError(
            f"{name} is version {client} and the PostgreSQL server is version {server}",
            f"install the client tools of version {server} (or newer) and put their {name} first on the PATH",
        )


@contextlib.contextmanager
def _libpq(url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A connection string without the password, and the child's environment: the password, if
    any, in a temporary password file (0600, in a private folder) that ``PGPASSFILE`` names."""
    parsed = make_url(url)
    # URL.set(password=None) would keep the password (None means "unchanged"): build it anew
    conninfo = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    ).render_as_string(hide_password=False)
    env = dict(os.environ)  # a PGPASSWORD or PGPASSFILE of the operator's own still works
    with tempfile.TemporaryDirectory(prefix="counterflow-pg-") as folder:  # mode 0700
        if parsed.password is not None:
            env.pop("PGPASSWORD", None)  # it would win over the file
            pgpass = Path(folder) / "pgpass"

            def field(value: object) -> str:
                return str(value).replace("\\", "\\\\").replace(":", "\\:")

            fd = os.open(pgpass, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"*:*:*:{field(parsed.username or '*')}:{field(parsed.password)}\n")
            env["PGPASSFILE"] = str(pgpass)
        yield conninfo, env


def _failed(tool: str, stderr: str, fix: str) -> BackupError:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    said = "; ".join(lines[:3]) or "no message"
    return BackupError(f"{tool} failed: {said}", fix)


def _pg_store_revision(engine: Engine, what: str) -> tuple[str, int]:
    names = set(inspect(engine).get_table_names())
    if not set(MARKER_TABLES) <= names:
        return _check_revision(None, what=what), 0
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        tips = conn.execute(select(func.count()).select_from(Tip.__table__)).scalar_one()  # type: ignore[attr-defined]
    return _check_revision(revision, what=what), int(tips)


def _backup_postgres(settings: Settings, tmp: Path) -> tuple[str, int]:
    tool = _pg_tool("pg_dump")
    engine = make_engine(settings.db_url)
    try:
        try:
            _check_versions(tool, engine)
            revision, tips = _pg_store_revision(engine, f"the store {store_label(settings)}")
        except SQLAlchemyError as exc:
            raise BackupError(
                f"cannot reach the store {store_label(settings)}: {exc.__class__.__name__}",
                "check COUNTERFLOW_DATABASE_URL and that the server runs",
            ) from exc
    finally:
        engine.dispose()
    with _libpq(settings.db_url) as (conninfo, env), tmp.open("wb") as out:
        done = subprocess.run(
            [tool, "--format=custom", "--no-password", f"--dbname={conninfo}"],
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            text=False,
            check=False,
        )
    if done.returncode != 0:
        raise _failed("pg_dump", done.stderr.decode(errors="replace"), "check the store's URL and the server")
    return revision, tips


def _damaged(source: Path, said: str) -> BackupError:
    last = [ln.strip() for ln in said.splitlines() if ln.strip()][-1:] or ["no message"]
    return BackupError(
        f"the backup {source} is damaged or not a pg_dump archive ({last[0]})",
        "use another backup; a truncated or damaged file cannot be restored",
    )


def _pg_archive(source: Path) -> tuple[str, set[str]]:
    """The revision and the table names of a pg_dump archive, read without a server."""
    tool = _pg_tool("pg_restore")
    listed = subprocess.run([tool, "--list", str(source)], capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        raise _damaged(source, listed.stderr)
    tables = set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listed.stdout, flags=re.MULTILINE))
    revision = None
    if set(MARKER_TABLES) <= tables:
        data = subprocess.run(
            [tool, "--data-only", "--table=alembic_version", "--file=-", str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        copied = re.search(
            r"^COPY \S+ \(version_num\) FROM stdin;\n(.*?)^\\\.$", data.stdout, re.MULTILINE | re.DOTALL
        )
        values = copied.group(1).split() if copied else []
        revision = values[0] if len(values) == 1 else None
    return _check_revision(revision, what=f"the backup {source}"), tables


def _restore_postgres(settings: Settings, source: Path, tables: set[str]) -> int:
    tool = _pg_tool("pg_restore")
    engine = make_engine(settings.db_url)
    try:
        _check_versions(tool, engine)
        # tables of ours that the backup lacks (a newer schema than the backup's) would keep the
        # live store's rows beside the restored ones: drop them; the upgrade makes them anew
        ours = {t.name for t in SQLModel.metadata.sorted_tables}
        stale = (ours & set(inspect(engine).get_table_names())) - tables
        with engine.begin() as conn:
            for name in stale:
                conn.execute(text(f"DROP TABLE IF EXISTS {_quoted(engine, name)} CASCADE"))
    finally:
        engine.dispose()
    with _libpq(settings.db_url) as (conninfo, env):
        done = subprocess.run(
            [
                tool,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={conninfo}",
                str(source),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        raise _failed(
            "pg_restore",
            done.stderr,
            "nothing was changed (one transaction); check the store's URL and the server",
        )
    _upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Tip.__table__)).scalar_one())  # type: ignore[attr-defined]
    finally:
        engine.dispose()


# --- the two use cases -------------------------------------------------------------------------------


def backup_store(settings: Settings, dest: Path, *, overwrite: bool = False) -> BackupResult:
    """Write a consistent copy of the store to ``dest`` (mode 0600); tips stay encrypted, and the
    tip key is not in it.

    Parameters
    ----------
    dest
        The backup file; its folder must exist. An existing file is replaced only with
        ``overwrite``, and only once the new copy is complete.
    """
    engine: Engine_ = store_engine(settings)
    store = _sqlite_path(settings) if engine == "sqlite" else None
    target = _destination(dest, overwrite=overwrite, store=store)
    tmp = _private_temp(target.parent, f".{target.name}.")
    try:
        if engine == "sqlite":
            revision, tips = _backup_sqlite(settings, tmp)
        else:
            revision, tips = _backup_postgres(settings, tmp)
        size = _install(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupResult(path=target, engine=engine, revision=revision, tips=tips, size=size)


def inspect_backup(source: Path) -> BackupInfo:
    """What a backup file holds (engine, revision, tips), checked without touching the store."""
    source = source.expanduser().resolve()
    kind = backup_kind(source)
    if kind == "postgresql":
        revision, tables = _pg_archive(source)
        return BackupInfo(path=source, engine=kind, revision=revision, tips=None, tables=frozenset(tables))
    with tempfile.TemporaryDirectory(prefix="counterflow-check-") as folder:
        work = Path(folder) / "backup.db"
        shutil.copyfile(source, work)
        conn = _open_checked(work, what=f"the backup {source}")
        try:
            revision = _check_revision(_sqlite_revision(conn), what=f"the backup {source}")
            tips = int(conn.execute("SELECT count(*) FROM tip").fetchone()[0])
        finally:
            conn.close()
    return BackupInfo(path=source, engine=kind, revision=revision, tips=tips)


def check_backup(settings: Settings, source: Path) -> BackupInfo:
    """The backup ``source``, checked for a restore into this store: a counterflow store of the
    same engine, at a migration revision this version knows. Touches nothing."""
    source = source.expanduser().resolve()
    kind = backup_kind(source)
    engine: Engine_ = store_engine(settings)
    if kind != engine:
        raise BackupError(
            f"{source} is a backup of a{'n SQLite' if kind == 'sqlite' else ' PostgreSQL'} store, and this "
            f"store ({store_label(settings)}) is {'SQLite' if engine == 'sqlite' else 'PostgreSQL'}",
            "restore it into a store of the same engine (set COUNTERFLOW_DATABASE_URL), then move the data "
            "with the import commands if you must change engines",
        )
    if engine == "sqlite" and source == _sqlite_path(settings):
        raise BackupError(f"{source} is the store itself", "give a backup file, not the store")
    return inspect_backup(source)


def restore_store(settings: Settings, source: Path, *, replace: bool = False) -> RestoreResult:
    """Replace the store with the backup ``source``, then upgrade it to the current schema.

    Refuses a file that is not a counterflow backup of this store's engine, and a store that
    holds any row unless ``replace`` is given. Afterwards, counts the tips the configured tip key
    decrypts (the text never leaves this function).
    """
    info = check_backup(settings, source)
    source, engine = info.path, info.engine
    rows = store_rows(settings)
    if rows and not replace:
        raise Conflict(
            f"the store {store_label(settings)} is not empty ({rows:,} rows), and a restore replaces all of it",
            "back it up first if you may need it, then confirm the restore",
            hint=CommandHint("restore", f"{source} --yes"),
        )
    if engine == "sqlite":
        backup_revision, tips = _restore_sqlite(settings, source)
    else:
        backup_revision, tips = info.revision, _restore_postgres(settings, source, set(info.tables))
    current = known_revisions()[-1]
    _audit(
        settings,
        "store.restored",
        file=source.name,
        backup_revision=backup_revision,
        revision=current,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    return RestoreResult(
        source=source,
        engine=engine,
        backup_revision=backup_revision,
        revision=current,
        tips=tips,
        readable_tips=readable_tips(settings),
    )


def readable_tips(settings: Settings) -> int | None:
    """How many stored tips the configured tip keys decrypt; None when no key is configured (a
    missing key file is not made here)."""
    if settings.tip_key is None and not settings.tip_key_path.exists():
        return None
    fernet = tipkeys.multi(settings.tip_keys())
    engine = make_engine(settings.db_url)
    try:
        readable = 0
        with engine.connect() as conn:
            for (token,) in conn.execute(select(Tip.text_encrypted)):  # type: ignore[call-overload]
                try:
                    fernet.decrypt(token)
                except InvalidToken:
                    continue
                readable += 1
        return readable
    finally:
        engine.dispose()
