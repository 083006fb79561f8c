"""Engine, sessions and migrations.

The caller (a request, a task, a CLI command) owns the session; data functions
borrow it. The schema is created and changed only through Alembic migrations.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

from intel.errors import CounterflowError
from intel.settings import Settings, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def _private_sqlite_file(path: Path) -> None:
    """Make the SQLite file (and any WAL / shared-memory file) readable by its owner only.

    SQLite gives the ``-wal`` and ``-shm`` files the permissions of the database file, so a
    database file created here with mode 0600 keeps all three private; an older file made
    world-readable is narrowed.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # an empty file is an empty database
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if name.exists() and name.stat().st_mode & 0o077:
                name.chmod(0o600)
        except PermissionError:  # another user's file: theirs to narrow
            pass


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get WAL, foreign keys, full syncs, their folder, mode 0600.

    ``synchronous=FULL``: a commit (a tip, an approval) is on disk when it returns, even if the
    machine loses power; with ``NORMAL`` in WAL mode the last commits can be lost.
    """
    if url.startswith("sqlite"):
        # "sqlite://" (no third slash) is an in-memory database, like "sqlite:///:memory:"
        path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for ``settings`` (cached per URL), migrated to the latest schema."""
    settings = settings or get_settings()
    engine = _engine_for(settings.db_url)
    migrate(engine)
    return engine


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


_migrated: set[str] = set()


def migrate(engine: Engine) -> None:
    """Upgrade the store to the latest migration (once per engine and process)."""
    key = str(engine.url)
    if key in _migrated:
        return
    if _is_current(engine):  # the common case: no need to import and run Alembic (about 0.2 s)
        _migrated.add(key)
        return
    from alembic import command

    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise CounterflowError(
            f"cannot open the store at {engine.url.render_as_string(hide_password=True)}: {exc.orig}",
            "check COUNTERFLOW_DATABASE_URL (or COUNTERFLOW_HOME for the SQLite file) and that the server runs",
        ) from exc
    _migrated.add(key)


_HEADS_LOCK = threading.Lock()


def _heads() -> frozenset[str] | None:
    """The newest revisions of ``migrations/versions`` (see :func:`_read_heads`), read once per
    process and by one thread at a time: CPython 3.11's ``ast.parse`` fails with "AST constructor
    recursion depth mismatch" when threads parse at once (flows open stores in parallel tasks)."""
    with _HEADS_LOCK:
        return _read_heads()


@lru_cache(maxsize=1)
def _read_heads() -> frozenset[str] | None:
    """The newest revisions, read from each migration file's ``revision`` and ``down_revision``
    literals; ``None`` when a file does not state them that way."""
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    found[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, parent = found.get("revision"), found.get("down_revision", "missing")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(parent, str) and parent != "missing":
            parents.add(parent)
        elif isinstance(parent, tuple) and all(isinstance(p, str) for p in parent):
            parents.update(parent)
        elif parent is not None:
            return None
    return frozenset(revisions - parents) or None


def _is_current(engine: Engine) -> bool:
    """Whether the store is already at the newest migrations (asked with one plain query)."""
    heads = _heads()
    if heads is None:
        return False
    try:
        with engine.connect() as conn:
            stored = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:  # no version table yet (a new store), or the server is not there: Alembic says
        return False
    return stored == heads


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
