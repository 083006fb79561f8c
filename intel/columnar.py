"""Query results as Arrow columns, through the ADBC drivers: no Python object per row.

``intel.store`` reads reports through here when the session allows it. The ADBC drivers open a
connection of their own, so they see what is committed and nothing of the caller's open write
transaction: ``arrow_source`` says whether the session's view and a fresh connection's view are
the same (nothing written and left uncommitted in it), and gives the driver's address when they
are. A caller that gets ``None`` reads through the session's own connection instead.

Types are fixed here, not left to the driver: the SQLite driver guesses a column's type from the
values it has seen (an all-NULL column comes out as integers), so every column is cast to the type
the frame wants, and the guess is made over the whole result (``_SQLITE_BATCH_ROWS``) so that a
column whose first rows are NULL is still read as text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from sqlalchemy.sql import ClauseElement
    from sqlmodel import Session

log = logging.getLogger(__name__)

#: Rows the SQLite driver looks at before it fixes each column's type: all of them (one batch).
_SQLITE_BATCH_ROWS = 2**30


@dataclass(frozen=True)
class ArrowSource:
    """Where the ADBC driver reads the session's database: ``kind`` is ``sqlite`` or ``postgresql``,
    ``uri`` the driver's address (with any password: never log it)."""

    kind: str
    uri: str


#: SQLite reads through ADBC only where nothing else in the process opens the same file (benches).
SQLITE_THROUGH_ADBC = False


def arrow_source(session: Session) -> ArrowSource | None:
    """The ADBC address of the session's database, or ``None`` when a fresh connection would not
    see what the session sees: rows written in its open transaction, an in-memory SQLite database,
    an engine other than SQLite or PostgreSQL."""
    conn = session.connection()
    url = conn.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        # Not through ADBC: its driver links a second copy of SQLite into the process, and SQLite's
        # locks are POSIX locks, shared by every copy in a process: closing the driver's file drops
        # the locks of the process's other connections to it (SQLite's "multiple copies of SQLite
        # in one application" warning). Measured: after a write committed through the store's
        # connection, an ADBC read in the same process still returned the earlier rows.
        if not SQLITE_THROUGH_ADBC:
            return None
        path = url.database or ""
        if path in ("", ":memory:") or path.startswith("file:") or "mode=memory" in str(url):
            return None
        # pysqlite opens a transaction only before a write: ``in_transaction`` is "written, not
        # yet committed"
        if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            return None
        return ArrowSource("sqlite", Path(path).resolve().as_uri())
    if backend == "postgresql":
        # a transaction is given an id at its first write; reads alone leave it without one
        if conn.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is not None:
            return None
        return ArrowSource(
            "postgresql", url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
    return None


def compile_sql(session: Session, stmt: ClauseElement) -> str:
    """``stmt`` as SQL text for the session's dialect, its values written in (dates, grades and
    flags from typed arguments, never free text from a user)."""
    return str(stmt.compile(dialect=session.connection().dialect, compile_kwargs={"literal_binds": True}))


def fetch_tables(source: ArrowSource, queries: Sequence[str]) -> list[pa.Table]:
    """The results of ``queries`` as Arrow tables, all read in one read-only snapshot."""
    if source.kind == "sqlite":
        import adbc_driver_sqlite.dbapi as driver
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]
    tables = []
    with driver.connect(source.uri) as conn:  # autocommit off: one transaction for every query
        with conn.cursor() as cur:
            if source.kind == "postgresql":
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for sql in queries:
                if source.kind == "sqlite":
                    cur.adbc_statement.set_options(
                        **{"adbc.sqlite.query.batch_rows": str(_SQLITE_BATCH_ROWS)}
                    )
                cur.execute(sql)
                tables.append(cur.fetch_arrow_table())
        conn.rollback()
    return tables


def _arrow_type(dtype: str) -> pa.DataType:
    import pyarrow as pa

    if dtype.startswith("datetime64"):
        return pa.timestamp("ns")
    # text: large_string, the layout of pandas' own text dtype (no second cast when it is wrapped)
    return {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_()}.get(dtype, pa.large_string())


def to_frame(table: pa.Table, columns: dict[str, str]) -> pd.DataFrame:
    """``table`` as a frame of ``columns`` (name -> dtype), each column cast in Arrow first.

    Text columns come out as pandas' string dtype, and a text column with no value at all as
    objects (``None``), as a frame built from Python rows has them.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    data: dict[str, Any] = {}
    for i, (name, dtype) in enumerate(columns.items()):
        column = table.column(i)
        target = _arrow_type(dtype)
        if pa.types.is_large_string(target) and column.null_count == len(column):
            data[name] = np.full(len(column), None, dtype=object)
            continue
        if column.type != target:  # SQLite's ISO dates and 0/1 flags, PostgreSQL's int4 and date32
            column = pc.cast(column, target)
        data[name] = column.to_pandas()
    # no copy: each column stays the array made above (copying them into 2-D blocks cost 1.3 s
    # for 7M rows)
    return pd.DataFrame(data, columns=list(columns), copy=False)
