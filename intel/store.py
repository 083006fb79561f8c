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

from intel.errors import CounterflowError
from intel.models import Report, Source
from intel.snapshot import FRAME_COLUMNS

log = logging.getLogger(__name__)

GRADES = "ABCDEF"

#: The columns of the report frame, in order, with their dtypes. ``hotspots/`` relies on them.
REPORT_COLUMNS: dict[str, str] = {**FRAME_COLUMNS, "corroboration": "int64"}

#: Columns that come from the source, not the report row.
_SOURCE_COLUMNS = ("source_kind", "source", "corroboration")

#: The columns the hotspot analysis and its map read (``hotspots.pipeline.analyse``,
#: ``hotspots.movement.flow_lines``): the others are never looked at there.
HOTSPOT_COLUMNS: tuple[str, ...] = tuple(
    c for c in REPORT_COLUMNS if c not in ("role", "recruitment", "control", "transport", "is_aggregate",
                                           "simulated", "corroboration")
)  # fmt: skip

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


def _arrow_reports(session: Session, stmt: Select[Any], columns: dict[str, str]) -> pd.DataFrame | None:
    """The rows of ``stmt`` (``columns`` but ``corroboration``) through the ADBC driver, with
    ``corroboration``, when asked for, counted from a second query in the same snapshot; ``None``
    when the session's view needs its own connection, or the driver cannot be used."""
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
    queries = [columnar.compile_sql(session, stmt)]
    if "corroboration" in columns:
        queries.append(columnar.compile_sql(session, counts))
    try:
        rows, *dups_read = columnar.fetch_tables(source, queries)
    except Exception as exc:  # a driver or server that will not serve this read: the session reads
        log.warning(
            "reading reports through the session's connection: ADBC read failed (%s)", type(exc).__name__
        )
        return None
    df = columnar.to_frame(rows, {c: t for c, t in columns.items() if c != "corroboration"})
    del rows
    if not dups_read:
        return df
    (dups,) = dups_read
    ids = df["id"].to_numpy()
    dup_ids = dups.column(0).to_numpy().astype("int64")
    dup_counts = dups.column(1).to_numpy().astype("int64")
    df["corroboration"] = _corroboration(ids, dup_ids, dup_counts)
    return df


def _snapshot_reports(
    session: Session,
    columns: dict[str, str],
    *,
    since: dt.date | None,
    until: dt.date | None,
    min_reliability: str | None,
    include_duplicates: bool,
    include_aggregates: bool,
) -> pd.DataFrame | None:
    """The reports ``load_reports`` would read, from the store's columnar snapshot
    (``intel.snapshot``): filtered and cast in Arrow, no Python object per row; ``None`` when
    the session's view is not served from a snapshot."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from intel import columnar, snapshot

    table = snapshot.reports(session)
    if table is None:
        return None
    wanted = [c for c in columns if c != "corroboration"]
    everything = table
    if include_duplicates or include_aggregates:
        keep = pa.array(np.ones(table.num_rows, dtype=bool))
        if not include_duplicates:
            keep = pc.and_(keep, pc.is_null(table["duplicate_of"]))
        if not include_aggregates:
            keep = pc.and_(keep, pc.invert(table["is_aggregate"]))
        table = table.filter(keep).sort_by("id")
    else:  # the incidents lead the snapshot: a slice, no copy
        table = table.slice(0, snapshot.incident_count(table))
    keep = None
    stamp = pa.timestamp("ns")
    if since is not None:
        keep = pc.greater_equal(table["observed_on"], pa.scalar(dt.datetime.combine(since, dt.time()), stamp))
    if until is not None:
        late = pc.less_equal(table["observed_on"], pa.scalar(dt.datetime.combine(until, dt.time()), stamp))
        keep = late if keep is None else pc.and_(keep, late)
    if min_reliability is not None:
        grades = pa.array(list(GRADES[: GRADES.index(min_reliability.upper()) + 1]))
        graded = pc.is_in(table["reliability"], value_set=grades)
        keep = graded if keep is None else pc.and_(keep, graded)
    rows = table.select(wanted)
    if keep is not None:
        rows = rows.filter(keep)
    if rows.num_rows == 0:
        return pd.DataFrame()  # no such report: the caller's empty frame
    df = columnar.to_frame(rows, {c: columns[c] for c in wanted})
    del rows
    if "corroboration" in columns:
        linked = everything["duplicate_of"].drop_null().to_numpy()
        dup_ids, dup_counts = np.unique(linked, return_counts=True)  # sorted
        df["corroboration"] = _corroboration(df["id"].to_numpy(), dup_ids, dup_counts)
    return df


def _corroboration(ids: np.ndarray, dup_ids: np.ndarray, dup_counts: np.ndarray) -> np.ndarray:
    """1 + how many reports name each of ``ids`` as the incident they duplicate (``dup_ids``
    sorted, with their ``dup_counts``)."""
    if not len(dup_ids):
        return np.ones(len(ids), dtype="int64")
    pos = np.minimum(np.searchsorted(dup_ids, ids), len(dup_ids) - 1)
    return np.where(dup_ids[pos] == ids, dup_counts[pos], 0) + 1


def empty_report_frame(columns: Sequence[str] | None = None) -> pd.DataFrame:
    names = REPORT_COLUMNS if columns is None else columns
    return pd.DataFrame({c: pd.Series(dtype=REPORT_COLUMNS[c]) for c in names})


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
    snapshot: bool = True,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Reports as a frame with ``REPORT_COLUMNS`` (or only ``columns``), one row per incident by
    default.

    The rows come as Arrow columns from the store's columnar snapshot (``intel.snapshot``: a file
    of every report row for the state of the store the session sees, made by the first read
    after a change) when the session has written nothing it has not committed; else through the
    ADBC driver where a fresh connection sees what the session sees (PostgreSQL:
    ``intel.columnar.arrow_source``); otherwise, and with ``columnar=False``, through the
    session's own connection. All give the same frame.

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
    columns
        Only these of ``REPORT_COLUMNS``, in that table's order (e.g. ``HOTSPOT_COLUMNS``): the
        others are neither read nor built. Default: all of them.
    """
    wanted = _wanted_columns(columns, filtering=bool(types))
    cols = [getattr(Report, c) for c in wanted if c not in _SOURCE_COLUMNS]
    labelled: tuple[Any, ...] = (col(Source.kind).label("source_kind"), col(Source.name).label("source"))
    sources = [c for c in labelled if c.name in wanted]
    stmt = select(*cols, *sources)
    if sources:
        stmt = stmt.outerjoin(Source, col(Source.id) == col(Report.source_id))
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
    df = None
    if columnar and snapshot:
        df = _snapshot_reports(
            session, wanted, since=since, until=until, min_reliability=min_reliability,
            include_duplicates=include_duplicates, include_aggregates=include_aggregates,
        )  # fmt: skip
    if columnar and df is None:
        df = _arrow_reports(session, stmt, wanted)
    if df is None and "corroboration" not in wanted:
        df = _frame(session, stmt, wanted)
    elif df is None:
        dup = Report.__table__.alias("dup")  # type: ignore[attr-defined]
        corroboration = (
            select(func.count()).select_from(dup).where(dup.c.duplicate_of == Report.id).scalar_subquery()  # type: ignore[arg-type]
        )
        df = _frame(session, stmt.add_columns((corroboration + 1).label("corroboration")), wanted)
    if df is None or df.empty:
        return empty_report_frame(list(wanted))
    if types:
        kept = set(types)
        mask = df["exploitation"].fillna("").map(lambda s: bool(kept.intersection(s.split("|"))))
        df = df[mask].reset_index(drop=True)
    if "source_kind" in df:
        df["source_kind"] = df["source_kind"].fillna("unknown")
    if "source" in df:
        df["source"] = df["source"].fillna("unknown source")
    return df.astype({c: t for c, t in wanted.items() if t != "object"})


def _wanted_columns(columns: Sequence[str] | None, *, filtering: bool) -> dict[str, str]:
    """``columns`` with their dtypes, in ``REPORT_COLUMNS``' order; all of them when ``None``.

    >>> list(_wanted_columns(["lon", "lat"], filtering=False))
    ['lat', 'lon']
    """
    if columns is None:
        return dict(REPORT_COLUMNS)
    unknown = sorted(set(columns) - set(REPORT_COLUMNS))
    if unknown:
        raise CounterflowError(
            f"no report column named {', '.join(unknown)}",
            "choose among " + ", ".join(REPORT_COLUMNS),
        )
    if filtering and "exploitation" not in columns:
        raise CounterflowError(
            "filtering by exploitation type needs the exploitation column",
            "add 'exploitation' to the columns read",
        )
    return {c: t for c, t in REPORT_COLUMNS.items() if c in columns}


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
