"""Reading the store as frames for the analytics (``hotspots/`` never opens a session)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session, col

from intel.models import Report, Source

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
    "corroboration": "int64",
}


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
) -> pd.DataFrame:
    """Reports as a frame with ``REPORT_COLUMNS``, one row per incident by default.

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
    dup = Report.__table__.alias("dup")  # type: ignore[attr-defined]
    corroboration = (
        select(func.count()).select_from(dup).where(dup.c.duplicate_of == Report.id).scalar_subquery()  # type: ignore[arg-type]
    )
    cols = [getattr(Report, c) for c in REPORT_COLUMNS if c not in ("source_kind", "corroboration")]
    stmt = select(
        *cols, col(Source.kind).label("source_kind"), (corroboration + 1).label("corroboration")
    ).outerjoin(  # type: ignore[attr-defined]
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
    rows = session.connection().execute(stmt).all()
    if not rows:
        return empty_report_frame()
    df = pd.DataFrame.from_records(rows, columns=list(REPORT_COLUMNS))
    if types:
        wanted = set(types)
        mask = df["exploitation"].fillna("").map(lambda s: bool(wanted.intersection(s.split("|"))))
        df = df[mask].reset_index(drop=True)
    df["source_kind"] = df["source_kind"].fillna("unknown")
    return df.astype({c: t for c, t in REPORT_COLUMNS.items() if t != "object"})
