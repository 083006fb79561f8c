"""Bulk writes inside the caller's transaction: never one ORM object per row.

SQLite: ``executemany`` on the driver connection under the session's connection (same
transaction). PostgreSQL: ``COPY ... FROM STDIN`` through psycopg. Either way a rollback of the
session's transaction removes every row written here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from intel import taxonomy
from intel.errors import CounterflowError

if TYPE_CHECKING:
    from sqlmodel import Session

REPORT_INSERT_COLUMNS = (
    "source_id", "import_id", "line", "observed_on", "received_at", "language", "summary",
    "reliability", "credibility", "exploitation", "recruitment", "control", "transport",
    "age_band", "gender", "victim_count", "is_aggregate", "measure", "figure", "figure_high",
    "place", "admin1", "country", "lat", "lon", "place_precision", "date_precision", "role",
    "origin", "transit", "destination",
    "fingerprint", "duplicate_of", "simulated", "extra",
)  # fmt: skip


def _driver(session: Session) -> tuple[str, Any]:
    conn = session.connection()
    return conn.dialect.name, conn.connection.driver_connection


def _sqlite_ts(value: dt.datetime) -> str:
    # the text layout SQLAlchemy's SQLite DateTime reads back
    return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _columns(frame: pd.DataFrame) -> tuple[str, ...]:
    return (("id",) if "id" in frame else ()) + REPORT_INSERT_COLUMNS


_INT_COLUMNS = frozenset((
    "id", "credibility", "victim_count", "figure", "figure_high", "line", "source_id", "import_id",
    "duplicate_of",
))  # fmt: skip
_BOOL_COLUMNS = frozenset(("is_aggregate", "simulated"))


def _column_values(
    frame: pd.DataFrame, c: str, *, dialect: str, received_at: dt.datetime
) -> tuple[Sequence[Any], bool]:
    """One column as plain Python values for the driver, and whether it has a single value."""
    n = len(frame)
    if c == "received_at":
        return [_sqlite_ts(received_at) if dialect == "sqlite" else received_at] * n, True
    if c == "observed_on":
        days = frame[c].to_numpy().astype("datetime64[D]")
        same = bool(n) and bool((days == days[0]).all())
        return (days.astype(str).tolist() if dialect == "sqlite" else days.astype(object).tolist()), same
    if c in ("lat", "lon"):
        arr = frame[c].to_numpy(dtype="float64")
        nan = np.isnan(arr)
        same = bool(n) and (bool(nan.all()) or (not nan.any() and bool((arr == arr[0]).all())))
        if not nan.any():
            return arr.tolist(), same
        obj = arr.astype(object)
        obj[nan] = None
        return obj.tolist(), same
    if c in _BOOL_COLUMNS:
        b = frame[c].to_numpy(dtype=bool)
        same = bool(n) and bool((b == b[0]).all())
        return (b.astype(int).tolist() if dialect == "sqlite" else b.tolist()), same
    values = frame[c].to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.all():
        return [None] * n, bool(n)
    if c in _INT_COLUMNS:
        if not missing.any():
            ints = values.astype(np.int64)
            return ints.tolist(), bool((ints == ints[0]).all())
        out = [None if m else int(v) for v, m in zip(values.tolist(), missing.tolist(), strict=True)]
        return out, False
    if missing.any():
        values = values.copy()
        values[missing] = None
        return values.tolist(), False
    first = values[0]
    same = isinstance(first, str) and bool((values == first).all())
    return values.tolist(), same


def report_rows(frame: pd.DataFrame, *, dialect: str, received_at: dt.datetime) -> list[tuple[Any, ...]]:
    """Rows for the insert, in ``_columns(frame)`` order, as plain Python values."""
    cols = [_column_values(frame, c, dialect=dialect, received_at=received_at)[0] for c in _columns(frame)]
    return list(zip(*cols, strict=True))


def _sqlite_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, or None when it is better bound as a parameter."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str) and len(value) <= 200 and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _sqlite_insert(raw: Any, frame: pd.DataFrame, *, received_at: dt.datetime) -> int:
    """``executemany`` binding only the columns that vary: a column with one value in the whole
    batch (import, time of receipt, flags, often grades and blanks) is written as a literal."""
    names: list[str] = []
    marks: list[str] = []
    bound: list[Sequence[Any]] = []
    for c in _columns(frame):
        values, same = _column_values(frame, c, dialect="sqlite", received_at=received_at)
        literal = _sqlite_literal(values[0]) if same else None
        names.append(c)
        if literal is not None:
            marks.append(literal)
        else:
            marks.append("?")
            bound.append(values)
    sql = f"INSERT INTO report ({', '.join(names)}) VALUES ({', '.join(marks)})"
    cur = raw.cursor()
    # the report indexes need a page cache larger than SQLite's 2 MB default to insert at speed;
    # this connection keeps it (256 MB at most)
    cur.execute("PRAGMA cache_size = -262144")
    # a report may point (duplicate_of) at a row later in the same batch: check at commit
    cur.execute("PRAGMA defer_foreign_keys = ON")
    if bound:
        cur.executemany(sql, zip(*bound, strict=True))
    else:
        cur.executemany(sql, ((),) * len(frame))
    cur.close()
    return len(frame)


def code_problems(frame: pd.DataFrame) -> np.ndarray:
    """Per row, why a taxonomy column of ``frame`` holds something other than ``|``-joined codes
    of its facet (None where each holds codes or nothing). One check per distinct value."""
    reasons = np.full(len(frame), None, dtype=object)
    for facet in taxonomy.FACETS:
        if facet not in frame:
            continue
        codes, uniques = pd.factorize(frame[facet].to_numpy(dtype=object))  # missing: -1, the last slot
        problems = [taxonomy.code_problem(facet, v) for v in uniques.tolist()]
        if not any(problems):
            continue
        per_row = np.array([*problems, None], dtype=object)[codes]
        first = pd.isna(reasons) & ~pd.isna(per_row)
        reasons[first] = per_row[first]
    return reasons


def insert_reports(session: Session, frame: pd.DataFrame, *, received_at: dt.datetime) -> int:
    """Insert the rows of ``frame`` (columns ``REPORT_INSERT_COLUMNS``) in bulk.

    Refuses the whole batch when a taxonomy column holds anything but codes of its facet: the
    import rejects such a row (``code_problems``) before it gets here, so this never stores one.
    """
    if frame.empty:
        return 0
    problems = code_problems(frame)
    bad = np.flatnonzero(~pd.isna(problems))
    if len(bad):
        where = f"line {frame['line'].iloc[bad[0]]}" if "line" in frame else f"row {bad[0] + 1}"
        raise CounterflowError(
            f"report {where} was not stored: {problems[bad[0]]}",
            "import it through an import spec, which rejects such a row with its reason",
        )
    dialect, raw = _driver(session)
    if dialect == "sqlite":
        return _sqlite_insert(raw, frame, received_at=received_at)
    if dialect == "postgresql":
        return _pg_copy(raw, frame, received_at=received_at)
    # any other engine: SQLAlchemy Core executemany
    from sqlalchemy import insert

    from intel.models import Report

    rows = report_rows(frame, dialect=dialect, received_at=received_at)
    columns = _columns(frame)
    session.connection().execute(insert(Report), [dict(zip(columns, r, strict=True)) for r in rows])
    return len(rows)


#: COPY's text format: these characters of a value are written as backslash escapes
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"


def _copy_texts(values: list[Any], c: str, lines: pd.Series | None) -> list[str]:
    """Text values (no missing ones) as COPY text fields: escaped where they need it.

    A NUL character cannot be stored in a PostgreSQL text column: refused with the row's line
    (the readers reject such a row first, so only a direct caller meets this).
    """
    try:
        joined = "".join(values)
    except TypeError:  # a value that is no text (a number in a text column): its text, as psycopg
        values = [v if isinstance(v, str) else str(v) for v in values]
        joined = "".join(values)
    if "\x00" in joined:
        at = next(i for i, v in enumerate(values) if "\x00" in v)
        where = f"line {lines.iloc[at]}" if lines is not None else f"row {at + 1}"
        raise CounterflowError(
            f"report {where} was not stored: its {c} holds a NUL character (\\x00), which is no text",
            "remove the NUL character from that field",
        )
    if any(ch in joined for ch in "\\\t\n\r"):
        return [v.translate(_COPY_ESCAPES) for v in values]
    return values


def _copy_column(
    frame: pd.DataFrame, c: str, *, received_at: dt.datetime
) -> tuple[list[str] | None, str | None]:
    """One column as COPY text fields: (a field per row, None), or (None, the one field of every
    row) when the batch holds a single value there. The same values ``write_row`` wrote, whose
    text PostgreSQL reads back exactly (floats as ``repr``, their shortest exact text)."""
    n = len(frame)
    lines = frame.get("line")
    if c == "received_at":
        return None, received_at.isoformat()
    if c == "observed_on":
        days = frame[c].to_numpy().astype("datetime64[D]")
        nat = np.isnat(days)
        if bool(n) and (bool(nat.all()) or (not nat.any() and bool((days == days[0]).all()))):
            return None, _COPY_NULL if nat[0] else str(days[0])
        texts = days.astype(str).astype(object)
        texts[nat] = _COPY_NULL
        return texts.tolist(), None
    if c in ("lat", "lon"):
        arr = frame[c].to_numpy(dtype="float64")
        nan = np.isnan(arr)
        if bool(n) and bool(nan.all()):
            return None, _COPY_NULL
        # one value (bit for bit: -0.0 == 0.0 but is another value)
        if bool(n) and not nan.any() and bool((arr.view(np.int64) == arr[:1].view(np.int64)).all()):
            return None, repr(float(arr[0]))
        texts = np.array([repr(v) for v in arr.tolist()], dtype=object)
        texts[nan] = _COPY_NULL
        return texts.tolist(), None
    if c in _BOOL_COLUMNS:
        b = frame[c].to_numpy(dtype=bool)
        if bool(n) and bool((b == b[0]).all()):
            return None, "t" if b[0] else "f"
        return np.where(b, "t", "f").astype(object).tolist(), None
    column = frame[c]
    values = column.to_numpy(dtype=object)
    # the column's own mask (a text column's is kept beside its values): no pass over objects
    missing = column.isna().to_numpy()
    if missing.all():
        return None, _COPY_NULL
    if c in _INT_COLUMNS:
        if not missing.any():
            ints = values.astype(np.int64)
            if bool((ints == ints[0]).all()):
                return None, str(int(ints[0]))
            return [str(v) for v in ints.tolist()], None
        return [
            _COPY_NULL if m else str(int(v)) for v, m in zip(values.tolist(), missing.tolist(), strict=True)
        ], None
    if missing.any():
        texts = np.full(n, _COPY_NULL, dtype=object)
        texts[~missing] = _copy_texts(
            values[~missing].tolist(), c, None if lines is None else lines[~missing]
        )
        return texts.tolist(), None
    first = values[0]
    if isinstance(first, str) and bool((values == first).all()):
        return None, _copy_texts([first], c, lines)[0]
    return _copy_texts(values.tolist(), c, lines), None


def _pg_copy(raw: Any, frame: pd.DataFrame, *, received_at: dt.datetime) -> int:
    """``COPY report FROM STDIN`` in the text format, the data built a column at a time.

    The columns that vary come first and the ones with a single value in the batch (import,
    time of receipt, flags, often grades and blanks) after them, joined once into the tail every
    row ends with: one ``join`` per row instead of psycopg formatting each value of each row.
    """
    varying: list[str] = []
    fields: list[list[str]] = []
    same: list[str] = []
    tail: list[str] = []
    for c in _columns(frame):
        texts, one = _copy_column(frame, c, received_at=received_at)
        if texts is None:
            assert one is not None
            same.append(c)
            tail.append(one)  # "" is an empty text, not NULL
        else:
            varying.append(c)
            fields.append(texts)
    end = "\t".join(tail)
    n = len(frame)
    if not fields:
        data = (end + "\n") * n
    else:
        if tail:
            fields.append([end] * n)
        data = "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"
    names = ", ".join((*varying, *same))
    with raw.cursor() as cur, cur.copy(f"COPY report ({names}) FROM STDIN") as copy:
        copy.write(data)
    return n


def insert_rejects(
    session: Session, *, import_id: int, file_name: str, rejects: Iterable[tuple[int, str, str]]
) -> int:
    """Keep rejected rows with their line, reason and raw text."""
    from sqlalchemy import insert

    from intel.models import Reject, utcnow

    now = utcnow()
    rows = [
        {
            "import_id": import_id,
            "file_name": file_name,
            "line": line,
            "reason": reason,
            "raw": raw,
            "created_at": now,
        }
        for line, reason, raw in rejects
    ]
    if rows:
        session.connection().execute(insert(Reject), rows)
    return len(rows)


def set_duplicates(session: Session, *, import_id: int, pairs: list[tuple[str, str]]) -> None:
    """For rows of this import: ``duplicate_of`` = the id of the row with the anchor fingerprint.

    ``pairs`` are (duplicate fingerprint, anchor fingerprint), both of rows of this import (an
    older import may hold the same fingerprint). PostgreSQL: the pairs go through ``COPY`` into a
    temporary table and one ``UPDATE ... FROM`` joins them to the rows by the fingerprint index.
    Other engines: ids looked up through the fingerprint index in chunks, then set by primary key.
    """
    if not pairs:
        return
    from sqlalchemy import bindparam, text

    dialect, raw = _driver(session)
    if dialect == "postgresql":
        with raw.cursor() as cur:
            cur.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS duplicate_pair (fp text NOT NULL, anchor text NOT NULL) "
                "ON COMMIT DROP"
            )
            cur.execute("TRUNCATE duplicate_pair")
            with cur.copy("COPY duplicate_pair (fp, anchor) FROM STDIN") as copy:
                for pair in pairs:
                    copy.write_row(pair)
            cur.execute("ANALYZE duplicate_pair")
            cur.execute(
                "UPDATE report AS r SET duplicate_of = a.id "
                "FROM duplicate_pair AS p JOIN report AS a ON a.fingerprint = p.anchor AND a.import_id = %(imp)s "
                "WHERE r.fingerprint = p.fp AND r.import_id = %(imp)s",
                {"imp": import_id},
            )
            cur.execute("DROP TABLE duplicate_pair")
        return
    conn = session.connection()
    wanted = sorted({fp for pair in pairs for fp in pair})
    ids: dict[str, int] = {}
    # by fingerprint (indexed), keeping this import's rows: an older import may hold the same one
    stmt = text("SELECT id, fingerprint, import_id FROM report WHERE fingerprint IN :fps").bindparams(
        bindparam("fps", expanding=True)
    )
    for start in range(0, len(wanted), 500):
        for rid, fp, imp in conn.execute(stmt, {"fps": wanted[start : start + 500]}):
            if imp == import_id:
                ids[fp] = rid
    conn.execute(
        text("UPDATE report SET duplicate_of = :anchor WHERE id = :id"),
        [{"anchor": ids[a], "id": ids[fp]} for fp, a in pairs],
    )


def extra_json(notes: list[dict[str, Any] | None]) -> list[str]:
    return ["{}" if not d else json.dumps(d, ensure_ascii=False, sort_keys=True, default=str) for d in notes]


#: A bulk load into an empty ``report`` table builds these indexes once, at the end, instead of
#: growing them row by row. ``duplicate_of`` keeps its index on SQLite: its deferred foreign-key
#: check looks a report's duplicates up by it.
KEEP_INDEXED = ("duplicate_of",)


def suspend_report_indexes(session: Session) -> list[str]:
    """Before a bulk load into an empty ``report`` table: drop what costs per row and can be
    built once at the end, inside the caller's transaction, and return the statements that
    build it again (for ``restore_report_indexes``). A rollback brings everything back with the
    rest of the transaction.

    SQLite: the non-unique secondary indexes. PostgreSQL: those and the foreign keys of
    ``report`` (each stored row otherwise runs one look-up per key, half the server's time of a
    ``COPY``; adding a key back checks every row in one join). Only when ``report`` and the
    tables its keys point at can be locked at once (``NOWAIT``): the lock is held to the end of
    the transaction, so other sessions wait for the import to end before they read them. Should
    another session be using one of them, nothing is dropped and the load keeps them up to
    date row by row. Other engines: nothing.
    """
    dialect, raw = _driver(session)
    if dialect == "postgresql":
        return _pg_suspend(raw)
    if dialect != "sqlite":
        return []
    cur = raw.cursor()
    found = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'report' AND sql IS NOT NULL"
    ).fetchall()
    kept: list[str] = []
    for name, sql in found:
        if sql.upper().startswith("CREATE UNIQUE") or any(c in sql for c in KEEP_INDEXED):
            continue
        cur.execute(f'DROP INDEX "{name}"')
        kept.append(sql)
    cur.close()
    return kept


def _pg_suspend(raw: Any) -> list[str]:
    with raw.cursor() as cur:
        keys = cur.execute(
            "SELECT format('ALTER TABLE report DROP CONSTRAINT %I', conname), "
            "format('ALTER TABLE report ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)), "
            "confrelid::regclass::text "
            "FROM pg_constraint WHERE conrelid = 'report'::regclass AND contype = 'f' ORDER BY conname"
        ).fetchall()
        indexes = cur.execute(
            "SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = 'report'::regclass AND NOT i.indisunique "
            "AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid::regclass::text"
        ).fetchall()
        tables = ", ".join(dict.fromkeys(["report", *(t for _, _, t in keys)]))
        cur.execute("SAVEPOINT report_bulk_load")
        try:
            cur.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE NOWAIT")
        except Exception as exc:
            if getattr(exc, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            cur.execute("ROLLBACK TO SAVEPOINT report_bulk_load")
            cur.execute("RELEASE SAVEPOINT report_bulk_load")
            return []
        cur.execute("RELEASE SAVEPOINT report_bulk_load")
        for drop, _ in indexes:
            cur.execute(drop)
        for drop, _, _ in keys:
            cur.execute(drop)
    return [create for _, create in indexes] + [add for _, add, _ in keys]


def restore_report_indexes(session: Session, statements: list[str]) -> None:
    """Build again what ``suspend_report_indexes`` dropped (one sort per index, one join per
    foreign key)."""
    if not statements:
        return
    dialect, raw = _driver(session)
    if dialect == "postgresql":
        with raw.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
        return
    cur = raw.cursor()
    # SQLite sorts for an index in runs the size of the page cache: small runs merged fit the
    # CPU's caches and build a million-row index about 40% faster than one run of 256 MB
    (cache,) = cur.execute("PRAGMA cache_size").fetchone()
    cur.execute("PRAGMA cache_size = -2000")
    try:
        for sql in statements:
            cur.execute(sql)
    finally:
        cur.execute(f"PRAGMA cache_size = {int(cache)}")
        cur.close()
