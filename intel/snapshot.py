"""The report table as Arrow columns in a file, kept for the state of the store it holds.

Reading a million reports through a database driver costs seconds however it is done (SQLite's
Python driver makes an object of every value; the ADBC drivers convert row by row in C, and the
SQLite one cannot share a process with the store's own connections: ``intel.columnar``). The
analyses read the same reports again and again between imports, so ``intel.store.load_reports``
reads them from a snapshot: an uncompressed Arrow IPC file of every report row (the columns of
``SNAPSHOT_COLUMNS``), mapped into memory, filtered and cast in Arrow. It is made by the first
read after the store changed, in one read-only transaction, and named for the state it holds:

* SQLite: the ``store_revision`` token (a trigger sets it to a random number whenever a report
  is changed or deleted, or a source added, changed or deleted), the report table's row count
  and highest id (which every added report changes), and the schema's migration;
* PostgreSQL: the count and the sum of the random tokens of ``store_change`` (a statement
  trigger adds one per statement that writes reports or sources) and the migration.

A reader whose own transaction holds writes it has not committed is not served from a snapshot
(it would not see them); nor is one whose triggers are missing (a migration that rebuilt the
table): both read the store as before. The files live beside an SQLite store
(``store.db.snapshots/``) or, for PostgreSQL, in the user's cache folder, private to the user
(folders 0700, files 0600), with only the newest state kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlmodel import Session

log = logging.getLogger(__name__)

#: Bumped when the file's layout or the meaning of a column changes: older files are not read.
FORMAT = 2

#: The columns of a report frame, in order, with their frame dtypes, but the corroboration count
#: (``intel.store.REPORT_COLUMNS`` adds it; defined here so that the child process that makes a
#: snapshot does not import pandas and SQLAlchemy for them).
FRAME_COLUMNS: dict[str, str] = {
    "id": "int64",
    "observed_on": "datetime64[ns]",
    "lat": "float64",
    "lon": "float64",
    "place": "object",
    "admin1": "object",
    "country": "object",
    "place_precision": "object",
    "date_precision": "object",
    "role": "object",
    "origin": "object",
    "transit": "object",
    "destination": "object",
    "exploitation": "object",
    "recruitment": "object",
    "control": "object",
    "transport": "object",
    "reliability": "object",
    "credibility": "int64",
    "victim_count": "int64",
    "is_aggregate": "bool",
    "simulated": "bool",
    "source_kind": "object",
    "source": "object",
}

#: The columns of a snapshot: every frame column but the corroboration count, which is counted
#: from ``duplicate_of``; one row per report row.
SNAPSHOT_COLUMNS: dict[str, str] = {**FRAME_COLUMNS, "duplicate_of": "Int64"}
_FROM_SOURCE = ("source_kind", "source")

SQLITE_TRIGGERS = (
    "store_revision_report_update",
    "store_revision_report_delete",
    "store_revision_source_insert",
    "store_revision_source_update",
    "store_revision_source_delete",
)
PG_TRIGGERS = ("store_change_report", "store_change_source")

#: A store of this many report rows or more (PostgreSQL: as its statistics estimate) has its
#: snapshot made in a child process through the ADBC driver: on SQLite about 3x faster at 1M rows
#: than the store's own driver, which makes a Python object of every value; on both engines the
#: rows read, cast and put in order (about 3x the file) never weigh on the reading process, a web
#: server's included. Starting the child costs about half a second.
CHILD_READS_FROM = 100_000

#: Rows fetched from SQLite's driver at a time while a snapshot is made.
_CHUNK_ROWS = 65_536


@dataclass(frozen=True)
class Store:
    """Where a session's store is (``kind`` sqlite or postgresql) and its snapshot folder."""

    kind: str
    folder: Path
    sqlite_path: Path | None = None
    pg_uri: str | None = None  # the ADBC address, with any password: never log it


def _private_folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def cache_dir() -> Path:
    """The folder of PostgreSQL stores' snapshots: ``COUNTERFLOW_SNAPSHOT_DIR``, or the user's
    cache folder."""
    if os.environ.get("COUNTERFLOW_SNAPSHOT_DIR"):
        return Path(os.environ["COUNTERFLOW_SNAPSHOT_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "counterflow" / "snapshots"


def store_of(session: Session) -> Store | None:
    """The session's store, or ``None`` for an engine a snapshot is not kept for (in-memory
    SQLite, engines other than SQLite and PostgreSQL)."""
    url = session.connection().engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:") or "mode=memory" in str(url):
            return None
        path = Path(database).resolve()
        return Store("sqlite", path.with_name(path.name + ".snapshots"), sqlite_path=path)
    if backend == "postgresql":
        where = f"{url.host or 'local'}:{url.port or 5432}/{url.database or ''}/{url.username or ''}"
        digest = hashlib.sha256(where.encode()).hexdigest()[:16]
        return Store(
            "postgresql",
            cache_dir() / f"pg-{digest}",
            pg_uri=url.set(drivername="postgresql").render_as_string(hide_password=False),
        )
    return None


def _quiet(session: Session, kind: str) -> bool:
    """Whether the session's transaction holds no write of its own (it sees what is committed)."""
    conn = session.connection()
    if kind == "sqlite":
        # pysqlite opens a transaction only before a write
        return not conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    return conn.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is None


def _key_sql(kind: str) -> str:
    if kind == "sqlite":
        names = ", ".join(f"'{n}'" for n in SQLITE_TRIGGERS)
        return (
            "SELECT (SELECT token FROM store_revision WHERE id = 1), (SELECT count(*) FROM report), "
            "(SELECT max(id) FROM report), (SELECT group_concat(version_num) FROM alembic_version), "
            f"(SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({names}))"
        )
    names = ", ".join(f"'{n}'" for n in PG_TRIGGERS)
    return (
        "SELECT (SELECT count(*) FROM store_change), (SELECT coalesce(sum(token), 0) FROM store_change)::text, "
        "(SELECT string_agg(version_num, ',') FROM alembic_version), "
        f"(SELECT count(*) FROM pg_trigger WHERE tgname IN ({names}) AND tgenabled <> 'D')"
    )


def _key(kind: str, row: tuple[Any, ...] | list[Any]) -> str | None:
    """The name of the state ``row`` (the answer to ``_key_sql``) describes; ``None`` when the
    triggers that keep the name honest are not all there."""
    *state, triggers = row
    wanted = len(SQLITE_TRIGGERS) if kind == "sqlite" else len(PG_TRIGGERS)
    if triggers != wanted or state[0] is None:
        return None
    text = "|".join(str(v) for v in (FORMAT, kind, *state, *SNAPSHOT_COLUMNS))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def current_key(session: Session, store: Store) -> str | None:
    """The name of the state the session sees, or ``None`` when it cannot be named (writes of
    its own not committed, triggers missing, a store not yet migrated)."""
    return _current(session, store)[0]


def _current(session: Session, store: Store) -> tuple[str | None, int]:
    """``current_key`` and how many report rows the store holds (PostgreSQL: its statistics'
    estimate, 0 before the table is first analysed)."""
    from sqlalchemy.exc import DBAPIError

    if not _quiet(session, store.kind):
        return None, 0
    try:
        row = tuple(session.connection().exec_driver_sql(_key_sql(store.kind)).one())
    except DBAPIError:  # no revision tables yet
        return None, 0
    if store.kind == "sqlite":
        return _key(store.kind, row), int(row[1] or 0)
    estimate = (
        session.connection()
        .exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'report'::regclass")
        .scalar()
    )  # -1 until the table is first analysed
    return _key(store.kind, row), max(int(estimate or 0), 0)


#: SQLite: the rows that are incidents (``incidents_first``).
_INCIDENT = "r.duplicate_of IS NULL AND r.is_aggregate = 0"


def _data_sql(where: str = "", *, by_id: bool = False) -> str:
    """Every report row (or those ``where`` holds), with the columns of ``SNAPSHOT_COLUMNS`` in
    order; in no set order unless ``by_id`` (``incidents_first`` orders them)."""
    named = {"source_kind": "s.kind", "source": "s.name"}
    select = ", ".join(named.get(c, f"r.{c}") for c in SNAPSHOT_COLUMNS)
    sql = f"SELECT {select} FROM report AS r LEFT OUTER JOIN source AS s ON s.id = r.source_id"
    return sql + (f" WHERE {where}" if where else "") + (" ORDER BY r.id" if by_id else "")


def _arrow_type(dtype: str) -> pa.DataType:
    import pyarrow as pa

    if dtype.startswith("datetime64"):
        return pa.timestamp("ns")
    # text as large_string, pandas' own layout for its text: the frame's columns are the file's
    # buffers, not copies (a cast of 7M values of text took 0.15 s a column)
    return {"int64": pa.int64(), "Int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}.get(
        dtype, pa.large_string()
    )


def schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(c, _arrow_type(t)) for c, t in SNAPSHOT_COLUMNS.items()])


def _cast(table: pa.Table) -> pa.Table:
    """``table`` (the columns of ``SNAPSHOT_COLUMNS`` in order) with the snapshot's types."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for column, field in zip(table.columns, schema(), strict=True):
        if column.type != field.type:
            if pa.types.is_null(column.type):
                column = pa.nulls(len(column), field.type)
            elif pa.types.is_boolean(field.type) and not pa.types.is_integer(column.type):
                column = pc.cast(pc.cast(column, pa.int64()), field.type)
            else:
                column = pc.cast(column, field.type)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=schema())


def _read_sqlite(path: Path, *, after: int | None = None) -> tuple[tuple[Any, ...], pa.Table | None]:
    """The store's state (the answer to ``_key_sql``) and every report row, or only those with an
    id above ``after``, read in one transaction through the same SQLite library as the store's own
    connections (never a second copy of it: ``intel.columnar``)."""
    import sqlite3

    import numpy as np
    import pyarrow as pa

    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN")
        state = tuple(conn.execute(_key_sql("sqlite")).fetchone())
        if _key("sqlite", state) is None:
            return state, None
        where = f"r.id > {int(after)}" if after is not None else ""
        cursor = conn.execute(_data_sql(where, by_id=True))
        names = list(SNAPSHOT_COLUMNS)
        batches = []
        while part := cursor.fetchmany(_CHUNK_ROWS):
            chunk = np.array(part, dtype=object)
            del part
            arrays = [pa.array(chunk[:, i], from_pandas=True) for i in range(len(names))]
            batches.append(_cast(pa.Table.from_arrays(arrays, names=names)))
        conn.execute("COMMIT")
    finally:
        conn.close()
    if not batches:
        return state, schema().empty_table()
    return state, pa.concat_tables(batches).combine_chunks()


def _read_sqlite_adbc(path: Path) -> tuple[tuple[Any, ...], pa.Table | None]:
    """As ``_read_sqlite``, through the ADBC driver (Arrow, no Python object per value): only
    ever in a process of its own (``_made_by_a_child``), since the driver links a second copy of
    SQLite, whose locks would drop the store connections' locks in a shared process."""
    import adbc_driver_sqlite.dbapi as driver
    import pyarrow as pa

    with driver.connect(path.resolve().as_uri()) as conn:  # autocommit off: one read transaction
        with conn.cursor() as cur:
            cur.execute(_key_sql("sqlite"))
            state = tuple(cur.fetchone() or ())
            if _key("sqlite", state) is None:
                return state, None
            parts = []
            # the incidents, then the other rows, each in id order (a rowid table's own order, no
            # sort): already as ``incidents_first`` wants them, so no copy to reorder them
            for where in (_INCIDENT, f"NOT ({_INCIDENT})"):
                # the driver fixes a column's type from the rows it has seen: let it see them all
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
                cur.execute(_data_sql(where, by_id=True))
                parts.append(_cast(cur.fetch_arrow_table().rename_columns(list(SNAPSHOT_COLUMNS))))
        conn.rollback()
    return state, pa.concat_tables(parts)


def _made_by_a_child(store: Store) -> str | None:
    """Make the store's snapshot in a child process (``python -m intel.snapshot``), which reads
    it through the ADBC driver and writes it into the store's folder, so that the rows read, cast
    and put in order never weigh on this process; the name of the state it wrote, or ``None`` when
    it could not (the caller then reads in-process). The store's address goes through the child's
    standard input: a PostgreSQL password never shows in the list of processes."""
    import subprocess
    import sys

    where = str(store.sqlite_path) if store.kind == "sqlite" else (store.pg_uri or "")
    try:
        child = subprocess.run(
            [sys.executable, "-m", "intel.snapshot", store.kind, str(store.folder)],
            input=where, capture_output=True, text=True, timeout=3600, check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("report snapshot: no child process (%s): reading in this one", type(exc).__name__)
        return None
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines or not lines[-1].startswith("made "):
        last = (child.stderr.strip().splitlines() or ["no message"])[-1]
        log.warning("report snapshot: the child process failed (%s): reading in this one", last[:200])
        return None
    made = lines[-1].split()[1]
    return None if made == "-" else made


def _read_postgresql(uri: str) -> tuple[tuple[Any, ...], pa.Table | None]:
    """The store's state name and every report row, both in one repeatable-read snapshot, as
    Arrow through the ADBC driver."""
    from intel.columnar import ArrowSource, fetch_tables

    answer, table = fetch_tables(ArrowSource("postgresql", uri), [_key_sql("postgresql"), _data_sql()])
    state = tuple(answer.column(i)[0].as_py() for i in range(answer.num_columns))
    if _key("postgresql", state) is None:
        return state, None
    return state, _cast(table.rename_columns(list(SNAPSHOT_COLUMNS)))


def incidents_first(table: pa.Table) -> pa.Table:
    """``table`` with its incidents (neither a duplicate nor an aggregate) first and the other
    rows after them, each part in id order; the schema's ``incidents`` metadata says how many
    lead, so the common read (incidents only) is a slice, not a copy. (Sorting here rather than
    in the query: PostgreSQL's sort of every row took longer than the read.)"""
    import numpy as np
    import pyarrow.compute as pc

    incident = pc.and_(pc.is_null(table["duplicate_of"]), pc.invert(table["is_aggregate"]))
    mask = incident.to_numpy(zero_copy_only=False)
    order = np.lexsort((table["id"].to_numpy(), ~mask))
    ordered = table.take(order) if len(order) and (order != np.arange(len(order))).any() else table
    return ordered.replace_schema_metadata({"incidents": str(int(mask.sum()))})


def _with_state(table: pa.Table, state: tuple[Any, ...]) -> pa.Table:
    """``table`` with the state it holds (the answer to ``_key_sql``) in its metadata, so that a
    later read can tell whether only reports were added since (``_appended``)."""
    import json

    meta = dict(table.schema.metadata or {})
    meta[b"state"] = json.dumps(
        [v if isinstance(v, int | str) or v is None else str(v) for v in state]
    ).encode()
    return table.replace_schema_metadata(meta)


def _state_of(table: pa.Table) -> tuple[Any, ...] | None:
    import json

    raw = (table.schema.metadata or {}).get(b"state")
    return tuple(json.loads(raw)) if raw else None


#: An SQLite snapshot is extended, not made again, when at most this many reports were added
#: since it was made (and nothing else changed); more are read by the child process from scratch.
APPEND_UP_TO = 100_000


def _appended(store: Store, state: tuple[Any, ...]) -> tuple[tuple[Any, ...], pa.Table] | None:
    """SQLite: the snapshot of ``state`` made from the folder's newest snapshot and the reports
    added since, when reports were only added (same token, same migration, more rows and a higher
    id: every change but an added report sets a new token); ``None`` otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if store.kind != "sqlite" or store.sqlite_path is None:
        return None
    found = sorted(store.folder.glob("reports-*.arrow"), key=lambda p: p.stat().st_mtime_ns)
    old = _open(found[-1]) if found else None
    before = _state_of(old) if old is not None else None
    if old is None or before is None or len(before) != len(state):
        return None
    token, count, highest, version, _triggers = state
    old_count, old_highest = int(before[1] or 0), int(before[2] or 0)
    if (before[0], before[3]) != (token, version) or highest is None:
        return None
    if not (count > old_count and highest > old_highest) or count - old_count > APPEND_UP_TO:
        return None
    now, added = _read_sqlite(store.sqlite_path, after=old_highest)
    if added is None or now != state or old_count + added.num_rows != count:
        return None  # another change came in between: made from scratch instead
    new_incident = pc.and_(pc.is_null(added["duplicate_of"]), pc.invert(added["is_aggregate"]))
    n_old = incident_count(old)
    parts = [
        old.slice(0, n_old),
        added.filter(new_incident),
        old.slice(n_old),
        added.filter(pc.invert(new_incident)),
    ]
    table = pa.concat_tables([p.replace_schema_metadata(None) for p in parts])
    table = table.replace_schema_metadata({"incidents": str(n_old + parts[1].num_rows)})
    return state, _with_state(table, state)


def incident_count(table: pa.Table) -> int:
    """How many rows lead ``table`` as incidents (see ``incidents_first``)."""
    return int((table.schema.metadata or {})[b"incidents"])


def _write(folder: Path, key: str, table: pa.Table) -> Path:
    """Write ``table`` as the snapshot ``key`` (atomically: a reader sees all of it or nothing),
    and remove the snapshots of older states."""
    import pyarrow as pa

    _private_folder(folder)
    final = folder / f"reports-{key}.arrow"
    fd, tmp = tempfile.mkstemp(prefix=".reports-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh, pa.ipc.new_file(fh, table.schema) as writer:
            # one record batch: each column is one buffer the frame can use without a copy
            writer.write_table(table.combine_chunks(), max_chunksize=max(table.num_rows, 1))
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in folder.glob("reports-*.arrow"):
        if old != final:
            old.unlink(missing_ok=True)
    return final


def _open(path: Path) -> pa.Table | None:
    import pyarrow as pa

    try:
        with pa.memory_map(str(path), "r") as source:
            table = pa.ipc.open_file(source).read_all()
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowInvalid) as exc:  # a damaged file is made again
        log.warning("report snapshot %s unreadable (%s): making it again", path.name, type(exc).__name__)
        path.unlink(missing_ok=True)
        return None
    if table.schema != schema() or b"incidents" not in (table.schema.metadata or {}):
        return None
    return table


def reports(session: Session) -> pa.Table | None:
    """Every report row of the store as the session sees it, as Arrow columns
    (``SNAPSHOT_COLUMNS``; incidents first: ``incidents_first``), from the snapshot of that state, made now if there is none; ``None``
    when the session's view cannot be served from a snapshot (see the module's notes)."""
    store = store_of(session)
    if store is None:
        return None
    key, rows = _current(session, store)
    if key is None:
        return None
    path = store.folder / f"reports-{key}.arrow"
    table = _open(path)
    if table is not None:
        return table
    state = _state(session, store)
    grown = _appended(store, state) if state is not None else None
    if grown is not None:
        return _keep(store, key, *grown)
    if rows >= CHILD_READS_FROM:
        made = _made_by_a_child(store)
        if made is not None:
            table = _open(store.folder / f"reports-{made}.arrow")
            if table is not None:
                return table if made == key else None
    try:
        if store.kind == "sqlite":
            assert store.sqlite_path is not None
            read, table = _read_sqlite(store.sqlite_path)
        else:
            assert store.pg_uri is not None
            read, table = _read_postgresql(store.pg_uri)
    except Exception as exc:  # a driver or server that will not serve this read: the caller reads
        log.warning("report snapshot not made: %s", type(exc).__name__)
        return None
    if table is None or _key(store.kind, read) is None:
        return None
    return _keep(store, key, read, _with_state(incidents_first(table), read))


def _state(session: Session, store: Store) -> tuple[Any, ...] | None:
    """The answer to ``_key_sql`` through the session's connection."""
    return tuple(session.connection().exec_driver_sql(_key_sql(store.kind)).one())


def _keep(store: Store, key: str, read: tuple[Any, ...], table: pa.Table) -> pa.Table | None:
    """Write ``table`` (the state ``read``) as its snapshot; it is the session's when its name is
    the session's ``key`` (another writer may have committed between the two reads)."""
    made = _key(store.kind, read)
    assert made is not None
    try:
        _write(store.folder, made, table)
    except OSError as exc:  # a read-only or full disk: the table read is still good for this call
        log.warning("report snapshot not kept: %s", exc.strerror or type(exc).__name__)
    return table if made == key else None


def _main(argv: list[str]) -> int:
    """``python -m intel.snapshot KIND FOLDER``, the store's address (an SQLite file, a PostgreSQL
    URI) on standard input: make the store's snapshot in ``FOLDER``; prints ``made KEY`` (``made
    -`` when the store's state cannot be named)."""
    import sys

    kind, folder = argv[0], Path(argv[1])
    where = sys.stdin.read().strip()
    if kind == "sqlite":
        state, table = _read_sqlite_adbc(Path(where))
    else:
        state, table = _read_postgresql(where)
    made = _key(kind, state)
    if made is None or table is None:
        sys.stdout.write("made -\n")
        return 0
    _write(folder, made, _with_state(incidents_first(table), state))
    del table
    sys.stdout.write(f"made {made}\n")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
