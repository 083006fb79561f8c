"""Import a file (or rows) into the store: read, map, validate, geocode, de-duplicate, write.

The whole import runs inside the caller's transaction, in batches: a crash or a kill part-way
leaves nothing of the file in the store (the ``ImportBatch`` row goes too), and running the
import again does it once. A file already imported (same sha256, same spec) adds nothing, and
a row already in the store (same fingerprint) is counted as skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlmodel import Session, col, select

from intel import grading
from intel.csvsafe import csv_writer
from intel.errors import CounterflowError, NotFound
from intel.ingest.dedup import Deduper
from intel.ingest.prepare import (
    Prepared,
    Preparer,
    _close,
    as_objects,
    parallel_worth_it,
    pick_delimiter,
    prepared_in_worker,
)
from intel.ingest.readers import (
    DELIMITERS,
    RawBatch,
    detect_format,
    header_cells,
    read_batches,
    shown_delimiter,
)
from intel.ingest.writer import (
    REPORT_INSERT_COLUMNS,
    insert_rejects,
    insert_reports,
    restore_report_indexes,
    set_duplicates,
    suspend_report_indexes,
)
from intel.models import ImportBatch, Source, utcnow
from intel.settings import Settings, get_settings
from intel.specs import Spec, load_spec

log = logging.getLogger(__name__)

BATCH_SIZE = 50_000
#: A CSV import of at least this many rows (estimated from the first batch) into an empty
#: report table builds the report indexes (and on PostgreSQL checks its foreign keys) once at
#: the end instead of row by row.
BULK_ROWS = 100_000


@dataclass
class ImportSummary:
    """What one import did."""

    import_id: int
    file_name: str
    spec: str
    rows_read: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0  # stored, merged into an earlier report of the same incident
    rows_skipped: int = 0  # exact copies of reports already in the store: not stored again
    rows_rejected: int = 0
    rejects_path: Path | None = None
    already_imported: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    #: (found, the spec's) when a CSV arrived with another delimiter than its spec's and was read
    #: with the one found
    delimiter: tuple[str, str] | None = None
    seconds: float = 0.0
    #: how far the reading got: bytes of a CSV (of ``total_bytes``), records of other formats
    consumed: int = 0
    total_bytes: int | None = None
    fingerprints: list[str] = field(default_factory=list)  # per stored-or-skipped row, when asked

    def lines(self) -> list[str]:
        """The summary as a person reads it."""
        if self.already_imported:
            return [f"{self.file_name} was already imported (import #{self.import_id}): nothing added"]
        out = [
            f"import #{self.import_id}: {self.file_name} (spec {self.spec})",
            f"  rows read:              {self.rows_read}",
            f"  stored:                 {self.rows_stored}",
            f"  merged as duplicates:   {self.rows_duplicate}  (stored, linked to the first report of the incident)",
            f"  already in the store:   {self.rows_skipped}",
            f"  rejected:               {self.rows_rejected}",
        ]
        if self.rejects_path is not None:
            out.append(f"  rejects written to:     {self.rejects_path}")
        if self.ignored_columns:
            out.append(f"  columns not in the spec (ignored): {', '.join(self.ignored_columns)}")
        if self.delimiter is not None:
            found, declared = self.delimiter
            out.append(
                f"  delimiter:              {shown_delimiter(found)} found; the spec says {shown_delimiter(declared)}"
            )
        return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Sources:
    """Get-or-create sources by (kind, name), graded by kind on creation."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str], tuple[int, str]] = {}

    def get(self, kind: str, name: str) -> tuple[int, str]:
        key = (kind, name)
        if key not in self.cache:
            src = self.session.exec(select(Source).where(Source.kind == kind, Source.name == name)).first()
            if src is None:
                src = Source(kind=kind, name=name, reliability=grading.default_grades(kind)[0])
                self.session.add(src)
                self.session.flush()
            assert src.id is not None
            self.cache[key] = (src.id, src.reliability)
        return self.cache[key]


class _StoreIndex:
    """Fingerprints and incidents already in the store, loaded per date range as needed."""

    def __init__(self, session: Session, import_id: int, deduper: Deduper | None) -> None:
        self.session = session
        self.import_id = import_id
        self.deduper = deduper
        self.lo: dt.date | None = None
        self.hi: dt.date | None = None
        self.known: set[str] = set()
        self.empty = session.connection().execute(text("SELECT 1 FROM report LIMIT 1")).first() is None

    def cover(self, lo: dt.date, hi: dt.date) -> None:
        if self.empty:
            return
        if self.deduper is not None:
            pad = dt.timedelta(days=self.deduper.window_days)
            lo, hi = lo - pad, hi + pad
        ranges = []
        if self.lo is None or self.hi is None:
            ranges.append((lo, hi))
        else:
            if lo < self.lo:
                ranges.append((lo, self.lo - dt.timedelta(days=1)))
            if hi > self.hi:
                ranges.append((self.hi + dt.timedelta(days=1), hi))
        for a, b in ranges:
            self._load(a, b)
        self.lo = lo if self.lo is None else min(lo, self.lo)
        self.hi = hi if self.hi is None else max(hi, self.hi)

    def _load(self, a: dt.date, b: dt.date) -> None:
        conn = self.session.connection()
        params = {"a": a, "b": b, "imp": self.import_id}
        rows = conn.execute(
            text(
                "SELECT fingerprint FROM report WHERE observed_on BETWEEN :a AND :b AND (import_id IS NULL OR import_id <> :imp)"
            ),
            params,
        )
        self.known.update(r[0] for r in rows)
        if self.deduper is None:
            return
        got = conn.execute(
            text(
                "SELECT r.id, r.lat, r.lon, r.observed_on, r.exploitation, s.kind, s.name, r.summary "
                "FROM report r LEFT JOIN source s ON s.id = r.source_id "
                "WHERE r.observed_on BETWEEN :a AND :b AND r.duplicate_of IS NULL AND r.is_aggregate = :f "
                "AND r.lat IS NOT NULL AND r.lon IS NOT NULL AND r.place_precision IN ('point', 'town', 'district') "
                "AND (r.import_id IS NULL OR r.import_id <> :imp)"
            ),
            {**params, "f": False},
        ).all()
        if got:
            f = pd.DataFrame.from_records(
                got, columns=["id", "lat", "lon", "observed_on", "exploitation", "kind", "name", "summary"]
            )
            f["source_key"] = f["kind"].fillna("") + ":" + f["name"].fillna("")
            self.deduper.add_existing(f)


@dataclass
class _Run:
    """The state of one import while its batches stream through."""

    session: Session
    spec: Spec
    batch: ImportBatch
    file_name: str
    default_kind: str
    default_name: str
    deduper: Deduper | None
    index: _StoreIndex
    sources: _Sources
    rejects_tmp: Path | None
    received_at: dt.datetime
    summary: ImportSummary
    pairs: list[tuple[str, str]] = field(default_factory=list)
    collect: bool = False
    next_id: int | None = None
    total_bytes: int | None = None
    suspended: list[str] | None = None  # index statements to build again at the end
    _rejects_fh: Any = None
    _rejects_writer: Any = None

    def reject(self, rows: Iterable[tuple[int, str, str]]) -> None:
        rows = list(rows)
        if not rows:
            return
        insert_rejects(self.session, import_id=self.batch.id or 0, file_name=self.file_name, rejects=rows)
        self.summary.rows_rejected += len(rows)
        if self.rejects_tmp is not None:
            if self._rejects_fh is None:
                self.rejects_tmp.parent.mkdir(parents=True, exist_ok=True)
                self._rejects_fh = open(self.rejects_tmp, "w", newline="", encoding="utf-8")  # noqa: SIM115
                self._rejects_writer = csv_writer(self._rejects_fh)
                self._rejects_writer.writerow(["file", "line", "reason", "raw"])
            self._rejects_writer.writerows(
                [(self.file_name, line, reason, raw) for line, reason, raw in rows]
            )

    def close_rejects(self, keep: bool) -> Path | None:
        if self._rejects_fh is not None:
            self._rejects_fh.close()
            self._rejects_fh = None
            if self.rejects_tmp is not None:
                final = self.rejects_tmp.with_name(self.rejects_tmp.name.removesuffix(".part"))
                if keep:
                    os.replace(self.rejects_tmp, final)
                    return final
                self.rejects_tmp.unlink(missing_ok=True)
        return None


def _store(run: _Run, prep: Prepared) -> None:
    """The store's part of one prepared batch: rejects, sources, copies already stored,
    incidents, ids, and the bulk write."""
    run.summary.rows_read += prep.rows_read
    run.reject(prep.rejects)
    if prep.ignored_columns is not None:
        run.summary.ignored_columns = prep.ignored_columns
    out = prep.out
    if out is None or prep.kinds is None or prep.names is None:
        return
    keys = (pd.Series(prep.kinds, dtype=object) + "\x1f" + pd.Series(prep.names, dtype=object)).to_numpy(
        dtype=object
    )
    inverse, uniq = pd.factorize(keys)  # a hash pass; np.unique would sort the text
    ids_of = np.empty(len(uniq), dtype=object)
    rel_of = np.empty(len(uniq), dtype=object)
    for j, key in enumerate(uniq.tolist()):
        k, nm = str(key).split("\x1f", 1)
        ids_of[j], rel_of[j] = run.sources.get(k, nm)
    src_ids, src_rel = ids_of[inverse], rel_of[inverse]
    out.insert(0, "source_id", src_ids)
    out.insert(1, "import_id", run.batch.id)
    given = out["reliability"].to_numpy(dtype=object)
    out["reliability"] = as_objects(np.where(pd.isna(given), src_rel, given), out.index)

    days = out["observed_on"]
    run.index.cover(days.min().date(), days.max().date())
    fresh = ~out["fingerprint"].isin(run.index.known).to_numpy()
    run.summary.rows_skipped += int((~fresh).sum())
    if run.collect:
        run.summary.fingerprints.extend(out["fingerprint"].tolist())
    out = out[fresh].reset_index(drop=True)
    if out.empty:
        return
    refs = out["fingerprint"].to_numpy(dtype=object)
    if run.session.connection().dialect.name == "sqlite":
        # this transaction holds SQLite's write lock (the import row is written): ids are ours to
        # give, so a duplicate links to its incident's id at insert, with no update pass
        if run.next_id is None:
            top = run.session.connection().execute(text("SELECT COALESCE(MAX(id), 0) FROM report")).scalar()
            run.next_id = int(top or 0) + 1
        if run.suspended is None:
            run.suspended = (
                suspend_report_indexes(run.session) if run.index.empty and _large(run, prep.consumed) else []
            )
        ids = np.arange(run.next_id, run.next_id + len(out), dtype=np.int64)
        run.next_id += len(out)
        out.insert(0, "id", ids)
        refs = ids.astype(object)
    elif run.session.connection().dialect.name == "postgresql":
        if run.suspended is None:
            run.suspended = (
                suspend_report_indexes(run.session) if run.index.empty and _large(run, prep.consumed) else []
            )
        # ids drawn from the table's sequence (safe beside other writers): a duplicate links to its
        # incident's id in the COPY itself, instead of an UPDATE of every duplicate afterwards
        ids = _draw_ids(run.session, len(out))
        out.insert(0, "id", ids)
        refs = ids.astype(object)
    dup = np.full(len(out), None, dtype=object)
    if run.deduper is not None:
        dup = run.deduper.assign(out, np.ones(len(out), bool), refs)
    # a duplicate points at an id (a stored row, or a row given its id here) or a fingerprint
    has = ~pd.isna(dup)
    is_fp = np.zeros(len(dup), dtype=bool)
    if has.any():
        is_fp[has] = [isinstance(d, str) for d in dup[has].tolist()]
    is_int = has & ~is_fp
    out["duplicate_of"] = np.where(is_int, dup, np.full(len(dup), None, dtype=object))
    run.pairs.extend(zip(out["fingerprint"][is_fp].tolist(), dup[is_fp].tolist(), strict=True))
    run.summary.rows_duplicate += int(is_int.sum() + is_fp.sum())
    run.summary.rows_stored += insert_reports(
        run.session,
        out[[c for c in ("id", *REPORT_INSERT_COLUMNS) if c != "received_at" and c in out]],
        received_at=run.received_at,
    )


def _draw_ids(session: Session, n: int) -> np.ndarray:
    """``n`` ids from the report table's sequence, ascending, in one round trip: the first and
    the last when they follow each other (the rule), all of them only when another writer drew
    ids meanwhile (one row back instead of ``n``). The sequence is named once, in a sub-query:
    ``nextval(pg_get_serial_sequence(...))`` looks it up in the catalog for every id (4 s of
    the server's time for a million ids, against 0.4 s)."""
    lo, hi, scattered = (
        session.connection()
        .execute(
            text(
                "SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL "
                "ELSE array_agg(id ORDER BY id) END "
                "FROM (SELECT nextval((SELECT pg_get_serial_sequence('report', 'id')::regclass)) AS id "
                "FROM generate_series(1, :n)) AS drawn"
            ),
            {"n": n},
        )
        .one()
    )
    if scattered is None:
        return np.arange(lo, hi + 1, dtype=np.int64)
    return np.asarray(scattered, dtype=np.int64)


def _large(run: _Run, consumed: int) -> bool:
    """Whether the whole file holds at least ``BULK_ROWS`` rows, by the bytes the first rows took."""
    if not run.total_bytes or consumed <= 0:
        return False
    return run.summary.rows_read * run.total_bytes / consumed >= BULK_ROWS


def _default_kind(spec: Spec, source_kind: str | None) -> str:
    return grading.check_source_kind(source_kind or spec.source_kind or "spreadsheet")


def _default_name(spec: Spec, file_name: str, source_name: str | None) -> str:
    return source_name or spec.source_name or Path(file_name).name


def _preparer(
    spec: Spec, file_name: str, source_kind: str | None, source_name: str | None, simulated: bool
) -> Preparer:
    """The store-free steps of one file's import, with its defaults for rows without a source."""
    return Preparer(
        spec=spec,
        file_name=file_name,
        default_kind=_default_kind(spec, source_kind),
        default_name=_default_name(spec, file_name, source_name),
        simulated=simulated,
    )


def _run_batches(
    session: Session,
    *,
    batches: Iterator[RawBatch],
    spec: Spec,
    file_name: str,
    sha256: str,
    source_kind: str | None,
    source_name: str | None,
    settings: Settings,
    dedup: bool | None,
    radius_km: float,
    window_days: int,
    progress: Any = None,
    on_batch: Callable[[ImportSummary], None] | None = None,
    collect: bool = False,
    extras: list[dict[str, Any]] | None = None,
    simulated: np.ndarray | None = None,
    mark_simulated: bool = False,
    total_bytes: int | None = None,
    prepare_elsewhere: Callable[[Preparer], Iterator[Prepared]] | None = None,
) -> ImportSummary:
    started = time.perf_counter()
    default_kind = _default_kind(spec, source_kind)
    batch = ImportBatch(file_name=file_name, sha256=sha256, spec=spec.name, source_kind=default_kind)
    session.add(batch)
    session.flush()
    assert batch.id is not None
    deduper = (
        Deduper(radius_km=radius_km, window_days=window_days)
        if (spec.dedup if dedup is None else dedup)
        else None
    )
    safe_stem = (
        "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(file_name).stem)[:60] or "rows"
    )
    run = _Run(
        session=session,
        spec=spec,
        batch=batch,
        file_name=file_name,
        default_kind=default_kind,
        default_name=_default_name(spec, file_name, source_name),
        deduper=deduper,
        index=_StoreIndex(session, batch.id, deduper),
        sources=_Sources(session),
        rejects_tmp=settings.home / "rejects" / f"import-{batch.id:05d}-{safe_stem}.csv.part",
        received_at=utcnow(),
        summary=ImportSummary(import_id=batch.id, file_name=file_name, spec=spec.name),
        collect=collect,
        total_bytes=total_bytes,
    )
    preparer = _preparer(spec, file_name, source_kind, source_name, mark_simulated)
    ok = False
    try:
        prepared = (
            prepare_elsewhere(preparer)
            if prepare_elsewhere is not None
            else (preparer.prepare(raw, extras=extras, simulated=simulated) for raw in batches)
        )
        run.summary.total_bytes = total_bytes
        for prep in prepared:
            _store(run, prep)
            run.summary.consumed = prep.consumed
            if progress is not None:
                progress.update(prep.consumed - progress.n)
            if on_batch is not None:
                on_batch(run.summary)
        restore_report_indexes(session, run.suspended or [])
        run.suspended = []
        set_duplicates(session, import_id=batch.id, pairs=run.pairs)
        ok = True
    finally:
        if run.suspended:
            # the caller rolls back (which restores them too); should it commit, the indexes stand
            try:
                restore_report_indexes(session, run.suspended)
            except Exception:  # pragma: no cover - the original error is the one to show
                log.exception("could not rebuild the report indexes after a failed import")
        path = run.close_rejects(keep=ok)
    s = run.summary
    s.rejects_path = path
    s.seconds = time.perf_counter() - started
    batch.status = "done"
    batch.finished_at = utcnow()
    batch.rows_read, batch.rows_stored, batch.rows_duplicate = s.rows_read, s.rows_stored, s.rows_duplicate
    batch.rows_rejected, batch.rows_skipped = s.rows_rejected, s.rows_skipped
    batch.rejects_path = str(path) if path else None
    session.add(batch)
    session.flush()
    log.info(
        "import #%s %s: %s read, %s stored, %s rejected",
        batch.id,
        file_name,
        s.rows_read,
        s.rows_stored,
        s.rows_rejected,
    )
    return s


def hold_file_digest(session: Session, sha256: str) -> None:
    """Hold, until the caller's transaction ends, the right to import the file of ``sha256``.

    Two imports of one file at once would both find it not yet imported and both store it. On
    PostgreSQL a transaction-scoped advisory lock keyed by the digest makes the second wait until
    the first commits (or rolls back); it then sees the finished import and adds nothing. SQLite
    has one writer at a time: a no-op write takes its write lock now, before the check, instead
    of at the first insert, after it (a second import waits up to the engine's busy timeout).
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex(sha256[:16]), "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif conn.dialect.name == "sqlite":
        conn.execute(text("UPDATE importbatch SET status = status WHERE 0 = 1"))


def _resolve_spec(spec: str | Spec, settings: Settings) -> Spec:
    return spec if isinstance(spec, Spec) else load_spec(spec, home=settings.home)


def _bar(file_name: str, total: int | None) -> Any:
    """A progress bar on standard error: bytes of a CSV, records of other formats."""
    from tqdm import tqdm

    return tqdm(
        total=total, unit="B", unit_scale=True, desc=f"ingest {file_name}", file=sys.stderr, leave=False
    )


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise NotFound(
            f"file {str(path)!r} does not exist", "check the path (it is relative to the current folder)"
        )
    return p


def _already_imported(session: Session, sha: str, spec_name: str, file_name: str) -> ImportSummary | None:
    """Take the file's lock (see :func:`hold_file_digest`), then the summary of its finished
    import with this spec, if there is one."""
    hold_file_digest(session, sha)
    done = session.exec(
        select(ImportBatch).where(
            ImportBatch.sha256 == sha, ImportBatch.spec == spec_name, ImportBatch.status == "done"
        )
    ).first()
    if done is not None and done.id is not None:
        return ImportSummary(import_id=done.id, file_name=file_name, spec=spec_name, already_imported=True)
    return None


def _read_as(p: Path, spec: Spec) -> tuple[str, Spec]:
    """The file's format, and the spec with the delimiter its header is split by."""
    fmt = detect_format(p, spec.format)
    declared = spec.delimiter
    if fmt == "csv":
        splits = header_cells(p, encoding=spec.encoding, delimiters=(declared, *DELIMITERS))
        found = pick_delimiter(spec, p.name, splits)
        if found != declared:
            log.info("%s: read %r-separated (spec %s says %r)", p.name, found, spec.name, declared)
            spec = replace(spec, delimiter=found)
    return fmt, spec


@dataclass
class PreparedFile:
    """A file read and prepared away from the store (:func:`prepare_file`, e.g. by a task on
    another process): all :func:`store_prepared` needs to store it as :func:`ingest_file` would."""

    file_name: str
    sha256: str
    spec: Spec  # with the delimiter the header is split by
    declared_delimiter: str
    source_kind: str | None
    source_name: str | None
    batches: list[Prepared]
    total_bytes: int | None


def prepare_file(
    path: str | Path,
    *,
    spec: str | Spec = "reports",
    source_kind: str | None = None,
    source_name: str | None = None,
    settings: Settings | None = None,
    simulated: bool = False,
    batch_size: int = BATCH_SIZE,
) -> PreparedFile:
    """Read, map, validate, geocode and fingerprint one file, touching no database: the part of
    :func:`ingest_file` that runs anywhere. A bad header is refused here, as there."""
    settings = settings or get_settings()
    p = _existing(path)
    declared = _resolve_spec(spec, settings)
    fmt, the_spec = _read_as(p, declared)
    preparer = _preparer(the_spec, p.name, source_kind, source_name, simulated)
    batches = read_batches(
        p, fmt=fmt, delimiter=the_spec.delimiter, encoding=the_spec.encoding, batch_size=batch_size
    )
    try:
        prepared = [preparer.prepare(raw) for raw in batches]
    finally:
        _close(batches)
    return PreparedFile(
        file_name=p.name,
        sha256=file_sha256(p),
        spec=the_spec,
        declared_delimiter=declared.delimiter,
        source_kind=source_kind,
        source_name=source_name,
        batches=prepared,
        total_bytes=p.stat().st_size if fmt == "csv" else None,
    )


def store_prepared(
    session: Session,
    prepared: PreparedFile,
    *,
    settings: Settings | None = None,
    dedup: bool | None = None,
    radius_km: float = 5.0,
    window_days: int = 14,
    on_batch: Callable[[ImportSummary], None] | None = None,
    simulated: bool = False,
    progress: bool = False,
) -> ImportSummary:
    """Store a file :func:`prepare_file` prepared, in the caller's transaction, exactly as
    :func:`ingest_file` would have stored it (the same file lock, already-imported check,
    de-duplication against the store, rejects and summary), with a progress bar of the writes
    when asked. Nothing is committed."""
    settings = settings or get_settings()
    done = _already_imported(session, prepared.sha256, prepared.spec.name, prepared.file_name)
    if done is not None:
        return done
    bar = _bar(prepared.file_name, prepared.total_bytes) if progress else None
    try:
        summary = _run_batches(
            session, batches=iter(()), spec=prepared.spec, file_name=prepared.file_name,
            sha256=prepared.sha256, source_kind=prepared.source_kind, source_name=prepared.source_name,
            settings=settings, dedup=dedup, radius_km=radius_km, window_days=window_days, progress=bar,
            on_batch=on_batch, mark_simulated=simulated, total_bytes=prepared.total_bytes,
            prepare_elsewhere=lambda _: iter(prepared.batches),
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    if prepared.spec.delimiter != prepared.declared_delimiter:
        summary.delimiter = (prepared.spec.delimiter, prepared.declared_delimiter)
    return summary


def ingest_file(
    session: Session,
    *,
    path: str | Path,
    spec: str | Spec = "reports",
    source_kind: str | None = None,
    source_name: str | None = None,
    settings: Settings | None = None,
    progress: bool = False,
    dedup: bool | None = None,
    radius_km: float = 5.0,
    window_days: int = 14,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[ImportSummary], None] | None = None,
    simulated: bool = False,
) -> ImportSummary:
    """Import one file (CSV, XLSX, JSON, JSONL) with an import spec, in the caller's transaction.

    Parameters
    ----------
    path
        The file. Its format comes from its suffix (``.xlsx``, ``.json``, ``.jsonl``) or the spec.
        A CSV whose header the spec's delimiter does not split into the spec's columns is read
        with the one of ``,`` ``;`` tab ``|`` that does (``ImportSummary.delimiter``), or
        refused, naming the delimiter found and the one expected.
    spec
        A built-in spec name (``reports``, ``ctdc``, ``unodc``, ``iom``, ``tip_edges``), the name of a
        spec in ``<home>/specs/``, a path to a ``.toml`` spec, or a ``Spec``.
    source_kind, source_name
        Defaults for rows without ``source_kind`` / ``source`` cells.
    dedup
        Merge reports of one incident (default: as the spec says).
    radius_km, window_days
        The incident rule: same place within ``radius_km``, observed within ``window_days``.
    on_batch
        Called after each batch is written (progress reporting; tests inject failures here).
    simulated
        Mark rows without a ``simulated`` cell as simulated (generated data, e.g. the demo).

    Returns
    -------
    ImportSummary
        Counts of rows read, stored, merged as duplicates, skipped and rejected, and where the
        rejects file is. Nothing is committed: the caller's session scope commits.
    """
    settings = settings or get_settings()
    p = _existing(path)
    the_spec = _resolve_spec(spec, settings)
    declared = the_spec.delimiter
    sha = file_sha256(p)
    done = _already_imported(session, sha, the_spec.name, p.name)
    if done is not None:
        return done
    fmt, the_spec = _read_as(p, the_spec)
    elsewhere: Callable[[Preparer], Iterator[Prepared]] | None = None
    batches: Iterator[RawBatch] = iter(())
    if parallel_worth_it(p.stat().st_size):
        # a large file: read and prepared by a second process while this one writes the store
        elsewhere = partial(
            prepared_in_worker, path=p, fmt=fmt, batch_size=batch_size,
            delimiter=the_spec.delimiter, encoding=the_spec.encoding,
        )  # fmt: skip
    else:
        batches = read_batches(
            p, fmt=fmt, delimiter=the_spec.delimiter, encoding=the_spec.encoding, batch_size=batch_size
        )
    bar = _bar(p.name, p.stat().st_size if fmt == "csv" else None) if progress else None
    try:
        summary = _run_batches(
            session, batches=batches, spec=the_spec, file_name=p.name, sha256=sha, source_kind=source_kind,
            source_name=source_name, settings=settings, dedup=dedup, radius_km=radius_km,
            window_days=window_days, progress=bar, on_batch=on_batch,
            mark_simulated=simulated, total_bytes=p.stat().st_size if fmt == "csv" else None,
            prepare_elsewhere=elsewhere,
        )  # fmt: skip
        if the_spec.delimiter != declared:
            summary.delimiter = (the_spec.delimiter, declared)
        return summary
    finally:
        if bar is not None:
            bar.close()


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    def cell(x: Any) -> str:
        if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NaT:
            return ""
        if isinstance(x, list | tuple | set):
            return "|".join(str(i) for i in x)
        if isinstance(x, dt.datetime | dt.date | pd.Timestamp):
            return x.strftime("%Y-%m-%d")
        if isinstance(x, bool):
            return "true" if x else "false"
        return str(x)

    return pd.DataFrame(
        {str(c): pd.Series([cell(x) for x in frame[c].tolist()], dtype=object) for c in frame.columns}
    )


def ingest_frame(
    session: Session,
    *,
    frame: pd.DataFrame,
    file_name: str,
    spec: str | Spec = "reports",
    source_kind: str | None = None,
    source_name: str | None = None,
    settings: Settings | None = None,
    dedup: bool | None = None,
    radius_km: float = 5.0,
    window_days: int = 14,
    simulated: bool = False,
) -> ImportSummary:
    """Import rows already in a frame (columns as the spec's file columns), like ``ingest_file``."""
    settings = settings or get_settings()
    the_spec = _resolve_spec(spec, settings)
    cells = _text_frame(frame)
    sha = hashlib.sha256(pd.util.hash_pandas_object(cells, index=False).to_numpy().tobytes()).hexdigest()
    raw = RawBatch(cells, list(range(2, len(cells) + 2)), [], len(cells))
    return _run_batches(
        session, batches=iter([raw]), spec=the_spec, file_name=file_name, sha256=sha, source_kind=source_kind,
        source_name=source_name, settings=settings, dedup=dedup, radius_km=radius_km, window_days=window_days,
        mark_simulated=simulated,
    )  # fmt: skip


#: Report field -> column of the generic ``reports`` spec, for ``add_reports``.
_FIELD_TO_COLUMN = {"observed_on": "date"}


def add_reports(
    session: Session,
    *,
    rows: list[dict[str, Any]],
    source_kind: str,
    source_name: str,
    settings: Settings | None = None,
) -> list[int]:
    """Store reports given as dicts of ``Report`` fields (e.g. an actionable tip); their ids.

    Each dict needs ``observed_on`` and a place (``place`` with ``country``, or ``lat``/``lon``).
    Fingerprints and the incident rule apply as for a file: a copy of a stored report returns the
    stored report's id; a corroborating report is stored with ``duplicate_of`` set. ``extra``
    (a dict) and ``simulated`` (bool) are kept. A row that cannot be stored raises
    ``CounterflowError`` with its reason (and nothing is stored).
    """
    if not rows:
        return []
    settings = settings or get_settings()
    extras = [dict(r.get("extra") or {}) for r in rows]
    simulated = np.array([bool(r.get("simulated", False)) for r in rows], dtype=bool)
    records = [
        {
            _FIELD_TO_COLUMN.get(k, k): v
            for k, v in r.items()
            if k not in ("extra", "simulated", "id", "fingerprint")
        }
        for r in rows
    ]
    cells = _text_frame(pd.DataFrame.from_records(records))
    spec = load_spec("reports", home=settings.home)
    unknown = set(cells.columns) - spec.columns_used()
    if unknown:
        raise CounterflowError(
            f"add_reports got unknown fields {sorted(unknown)}",
            f"use Report fields: {', '.join(sorted(spec.columns_used()))}",
        )
    digest = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode()).hexdigest()
    raw = RawBatch(cells, list(range(1, len(cells) + 1)), [], len(cells))
    summary = _run_batches(
        session, batches=iter([raw]), spec=spec, file_name=f"add_reports:{source_kind}:{source_name}",
        sha256=digest, source_kind=source_kind, source_name=source_name, settings=settings, dedup=None,
        radius_km=5.0, window_days=14, collect=True, extras=extras, simulated=simulated,
    )  # fmt: skip
    if summary.rows_rejected:
        from intel.models import Reject

        first = session.exec(select(Reject).where(Reject.import_id == summary.import_id)).first()
        reason = first.reason if first else "a row was rejected"
        raise CounterflowError(
            f"report row {first.line if first else '?'} cannot be stored: {reason}",
            "fix that field and call again",
        )
    fps = summary.fingerprints
    from intel.models import Report

    ids: dict[str, int] = {}
    for chunk in range(0, len(fps), 500):
        part = fps[chunk : chunk + 500]
        for rid, fp in session.connection().execute(
            select(col(Report.id), col(Report.fingerprint))
            .where(col(Report.fingerprint).in_(part))
            .order_by(col(Report.id))
        ):
            if rid is not None:
                ids.setdefault(fp, rid)
    return [ids[fp] for fp in fps]


def list_rejects(session: Session, *, import_id: int | None = None, limit: int = 200) -> pd.DataFrame:
    """Rejected rows (newest import first, or of one import) as a frame."""
    from intel.models import Reject

    stmt = select(Reject).order_by(col(Reject.import_id).desc(), col(Reject.line)).limit(limit)
    if import_id is not None:
        stmt = stmt.where(Reject.import_id == import_id)
    rows = session.exec(stmt).all()
    return pd.DataFrame(
        [
            {"import_id": r.import_id, "file": r.file_name, "line": r.line, "reason": r.reason, "raw": r.raw}
            for r in rows
        ],
        columns=["import_id", "file", "line", "reason", "raw"],
    )
