"""Reading the store as frames for the analytics (``hotspots/`` never opens a session)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, case, func, literal, select
from sqlmodel import Session, col

from intel.models import Report, Source

log = logging.getLogger(__name__)

GRADES = "ABCDEF"

#: The columns of the report frame, in order, with their dtypes. ``hotspots/`` relies on them.
REPORT_COLUMNS: dict[str, str] = {
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
    "corroboration": "int64",
}
#: Columns that come from the source, not the report row.
_SOURCE_COLUMNS = ("source_kind", "source", "corroboration")

#: The columns of the aggregate frame (``load_aggregates``), in order, with their dtypes.
AGGREGATE_COLUMNS: dict[str, str] = {
    "id": "int64",
    "observed_on": "datetime64[ns]",
    "country": "object",
    "origin": "object",
    "transit": "object",
    "destination": "object",
    "exploitation": "object",
    "gender": "object",
    "age_band": "object",
    "reliability": "object",
    "credibility": "int64",
    "measure": "object",
    "figure": "int64",
    "figure_high": "int64",
    "date_precision": "object",
    "simulated": "bool",
    "source_kind": "object",
    "source": "object",
}


#: Rows fetched from the driver at a time by ``_frame``.
_CHUNK_ROWS = 65_536


def _frame(session: Session, stmt: Select[Any], columns: dict[str, str]) -> pd.DataFrame | None:
    """The rows of ``stmt`` as a frame of ``columns``, built column by column from the driver's
    tuples (no SQLAlchemy row object per row); ``None`` when there are none.

    Values come as the driver gives them: SQLite's dates as ISO text and booleans as 0/1, parsed
    here per column; other columns as pandas infers them, as ``DataFrame.from_records`` did.
    """
    chunks: list[np.ndarray] = []
    result = session.connection().execute(stmt)
    try:
        cursor = result.cursor  # the DBAPI cursor: plain tuples, no result processing
        while part := cursor.fetchmany(_CHUNK_ROWS):
            # one C pass per chunk into an object array: far cheaper than zip(*rows), and no list
            # of tuples for the whole result at once
            chunk = np.array(part, dtype=object)
            if chunk.shape != (len(part), len(columns)):
                raise ValueError(
                    f"expected {len(columns)} scalar columns, got an array of shape {chunk.shape}"
                )
            chunks.append(chunk)
            del part
    finally:
        result.close()
    if not chunks:
        return None
    table = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
    del chunks
    data: dict[str, Any] = {}
    for i, (name, dtype) in enumerate(columns.items()):
        values = table[:, i]
        if dtype.startswith("datetime64"):
            data[name] = pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601")
        elif dtype in ("bool", "float64", "int64"):
            data[name] = values.astype(dtype)
        else:  # text: pandas infers it from the objects, as DataFrame.from_records did
            data[name] = values
    return pd.DataFrame(data, columns=list(columns))


def _arrow_reports(session: Session, stmt: Select[Any]) -> pd.DataFrame | None:
    """The rows of ``stmt`` (every report column but ``corroboration``) through the ADBC driver,
    with ``corroboration`` counted from a second query in the same snapshot; ``None`` when the
    session's view needs its own connection, or the driver cannot be used."""
    from intel import columnar

    source = columnar.arrow_source(session)
    if source is None:
        return None
    counts = (
        select(col(Report.duplicate_of), func.count())
        .where(col(Report.duplicate_of).is_not(None))
        .group_by(col(Report.duplicate_of))
        .order_by(col(Report.duplicate_of))
    )
    try:
        rows, dups = columnar.fetch_tables(
            source, [columnar.compile_sql(session, stmt), columnar.compile_sql(session, counts)]
        )
    except Exception as exc:  # a driver or server that will not serve this read: the session reads
        log.warning(
            "reading reports through the session's connection: ADBC read failed (%s)", type(exc).__name__
        )
        return None
    columns = {c: t for c, t in REPORT_COLUMNS.items() if c != "corroboration"}
    df = columnar.to_frame(rows, columns)
    del rows
    ids = df["id"].to_numpy()
    dup_ids = dups.column(0).to_numpy().astype("int64")
    dup_counts = dups.column(1).to_numpy().astype("int64")
    pos = np.minimum(np.searchsorted(dup_ids, ids), max(len(dup_ids) - 1, 0))
    found = (dup_ids[pos] == ids) if len(dup_ids) else np.zeros(len(ids), dtype=bool)
    df["corroboration"] = np.where(found, dup_counts[pos] if len(dup_ids) else 0, 0) + 1
    return df


def empty_report_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in REPORT_COLUMNS.items()})


def load_reports(
    session: Session,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    types: Sequence[str] | None = None,
    min_reliability: str | None = None,
    include_duplicates: bool = False,
    include_aggregates: bool = False,
    columnar: bool = True,
) -> pd.DataFrame:
    """Reports as a frame with ``REPORT_COLUMNS``, one row per incident by default.

    The rows come as Arrow columns through the ADBC driver when a fresh connection sees what the
    session sees (``intel.columnar.arrow_source``: nothing written and left uncommitted in the
    session); otherwise, and with ``columnar=False``, through the session's own connection. Both
    give the same frame.

    Parameters
    ----------
    since, until
        Inclusive bounds on ``observed_on``.
    types
        Keep reports with at least one of these exploitation codes.
    min_reliability
        Keep sources graded this or better (``"C"`` keeps A, B and C).
    include_duplicates
        Also return the corroborating reports merged into an incident.
    include_aggregates
        Also return statistical aggregates (e.g. UNODC counts), which are not incidents.
    """
    cols = [getattr(Report, c) for c in REPORT_COLUMNS if c not in _SOURCE_COLUMNS]
    stmt = select(*cols, col(Source.kind).label("source_kind"), col(Source.name).label("source")).outerjoin(
        Source, col(Source.id) == col(Report.source_id)
    )
    if since is not None:
        stmt = stmt.where(col(Report.observed_on) >= since)
    if until is not None:
        stmt = stmt.where(col(Report.observed_on) <= until)
    if min_reliability is not None:
        stmt = stmt.where(Report.reliability.in_(list(GRADES[: GRADES.index(min_reliability.upper()) + 1])))  # type: ignore[attr-defined]
    if not include_duplicates:
        stmt = stmt.where(Report.duplicate_of.is_(None))  # type: ignore[union-attr]
    if not include_aggregates:
        stmt = stmt.where(Report.is_aggregate.is_(False))  # type: ignore[attr-defined]
    df = _arrow_reports(session, stmt) if columnar else None
    if df is None:
        dup = Report.__table__.alias("dup")  # type: ignore[attr-defined]
        corroboration = (
            select(func.count()).select_from(dup).where(dup.c.duplicate_of == Report.id).scalar_subquery()  # type: ignore[arg-type]
        )
        df = _frame(session, stmt.add_columns((corroboration + 1).label("corroboration")), REPORT_COLUMNS)
    if df is None or df.empty:
        return empty_report_frame()
    if types:
        wanted = set(types)
        mask = df["exploitation"].fillna("").map(lambda s: bool(wanted.intersection(s.split("|"))))
        df = df[mask].reset_index(drop=True)
    df["source_kind"] = df["source_kind"].fillna("unknown")
    df["source"] = df["source"].fillna("unknown source")
    return df.astype({c: t for c, t in REPORT_COLUMNS.items() if t != "object"})


def empty_aggregate_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in AGGREGATE_COLUMNS.items()})


def load_aggregates(
    session: Session,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    measures: Sequence[str] | None = None,
    min_reliability: str | None = None,
) -> pd.DataFrame:
    """Statistical aggregates (UNODC figures, TIP report edges) as a frame with
    ``AGGREGATE_COLUMNS``: one row per stored figure, with what it counts (``measure``) and the
    least and most it can mean (``figure``, ``figure_high``).

    Aggregates are not incidents: ``load_reports`` leaves them out, and the hotspot analysis
    never sees them. A figure of one measure is never to be added to another's
    (``intel.measures``); an aggregate stored without a measure is left out (see ``inventory``).

    Parameters
    ----------
    since, until
        Inclusive bounds on ``observed_on`` (1 January of a yearly figure's year).
    measures
        Keep figures of these measures only.
    min_reliability
        Keep sources graded this or better.
    """
    cols = [getattr(Report, c) for c in AGGREGATE_COLUMNS if c not in _SOURCE_COLUMNS]
    stmt = (
        select(*cols, col(Source.kind).label("source_kind"), col(Source.name).label("source"))
        .outerjoin(Source, col(Source.id) == col(Report.source_id))
        .where(
            col(Report.is_aggregate).is_(True),
            col(Report.measure).is_not(None),
            col(Report.figure).is_not(None),
        )  # type: ignore[attr-defined]
    )
    if since is not None:
        stmt = stmt.where(col(Report.observed_on) >= since)
    if until is not None:
        stmt = stmt.where(col(Report.observed_on) <= until)
    if measures:
        stmt = stmt.where(col(Report.measure).in_(list(measures)))
    if min_reliability is not None:
        stmt = stmt.where(Report.reliability.in_(list(GRADES[: GRADES.index(min_reliability.upper()) + 1])))  # type: ignore[attr-defined]
    rows = session.connection().execute(stmt).all()
    if not rows:
        return empty_aggregate_frame()
    df = pd.DataFrame.from_records(rows, columns=list(AGGREGATE_COLUMNS))
    df["figure_high"] = df["figure_high"].fillna(df["figure"])
    df["source_kind"] = df["source_kind"].fillna("unknown")
    df["source"] = df["source"].fillna("unknown source")
    return df.astype({c: t for c, t in AGGREGATE_COLUMNS.items() if t != "object"})


def inventory(session: Session) -> pd.DataFrame:
    """What the store holds, by measure and source: ``measure``, ``source``, ``source_kind``,
    ``records``. Individual reports (one row per incident, duplicates left out) are listed as
    ``incidents``; aggregates by the measure they carry (``None``: stored without one)."""
    measure = case((col(Report.is_aggregate).is_(True), col(Report.measure)), else_=literal("incidents"))
    stmt = (
        select(measure.label("measure"), col(Source.name), col(Source.kind), func.count())
        .select_from(Report)
        .outerjoin(Source, col(Source.id) == col(Report.source_id))
        .where(col(Report.duplicate_of).is_(None))
        .group_by(measure, col(Source.name), col(Source.kind))
    )
    rows = session.connection().execute(stmt).all()
    df = pd.DataFrame.from_records(rows, columns=["measure", "source", "source_kind", "records"])
    df["source"] = df["source"].fillna("unknown source")
    df["source_kind"] = df["source_kind"].fillna("unknown")
    return df.sort_values(["measure", "records"], ascending=[True, False], na_position="last").reset_index(
        drop=True
    )
