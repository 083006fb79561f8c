"""The store-free part of an import: map, validate, geocode, grade by kind, fingerprint.

``Preparer.prepare`` turns one batch of text cells into report rows (with the rejects and their
reasons), keeping across batches what fingerprints need. It touches no database, so a large file
is prepared in a second process (``prepared_in_worker``) while this one writes the store.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from intel import grading
from intel.errors import CommandHint, CounterflowError
from intel.ingest.dedup import AGGREGATE_COLUMNS, CopyCounts, fingerprints
from intel.ingest.geocode import geocode
from intel.ingest.mapping import _strip, apply_spec
from intel.ingest.readers import RawBatch, raw_line, read_batches, shown_delimiter
from intel.ingest.writer import code_problems, extra_json
from intel.specs import Spec, builtin_names, load_spec

log = logging.getLogger(__name__)

ROLES = ("incident", "exploitation", "origin", "transit", "destination")
#: Files at least this large are prepared in a second process (when there are two cores). Its
#: start (Python, pandas, the gazetteer) takes about two seconds, which the importer spends on
#: the first batch; measured here, a 12 MB file (200k rows) imports faster in one process and a
#: 30 MB one (500k rows) faster in two.
PARALLEL_BYTES = 20 * 2**20


def _spec_hint(spec: Spec, columns: list[str]) -> tuple[str, CommandHint]:
    """What to do about a file without the columns ``spec`` needs: the built-in spec it fits, if
    any, as a fix and a command hint."""
    header = " ".join(columns)
    fits = [
        name for name in builtin_names()
        if name != spec.name and all(c in header for c in load_spec(name).required_columns())
    ]  # fmt: skip
    if fits:
        return (
            f"this looks like a {fits[0]!r} file: import it with the spec {fits[0]!r}",
            CommandHint("ingest", f"FILE --spec {fits[0]}"),
        )
    return (
        "rename the column, or import the file with the spec that fits it (see the list of specs)",
        CommandHint("specs"),
    )


def _shown_columns(columns: list[str]) -> str:
    return ", ".join(repr(c[:40]) for c in columns[:10])


def pick_delimiter(spec: Spec, file_name: str, splits: dict[str, list[str]]) -> str:
    """The delimiter that splits a CSV's header (``splits``: delimiter -> header cells) into the
    columns ``spec`` needs: the spec's own when it does, else the one of ``DELIMITERS`` that
    gives most of the spec's columns (the same data saved by another tool).

    When none gives them and the spec's own does not split the header at all, the error names
    the delimiter found and the one expected; otherwise ``check_header`` names the missing columns.
    """
    declared = spec.delimiter
    required, used = spec.required_columns(), spec.columns_used()

    def fits(d: str) -> bool:
        cells = set(splits.get(d, ()))
        return required <= cells and bool(used & cells)

    if fits(declared):
        return declared
    fitting = [d for d in splits if fits(d)]
    if fitting:
        return max(fitting, key=lambda d: len(used & set(splits[d])))
    found = max(splits, key=lambda d: len(splits[d]), default=declared)
    if len(splits.get(declared, ())) <= 1 and len(splits.get(found, ())) > 1:
        columns = splits[found]
        missing = sorted(required - set(columns))
        lacks = (
            f"no column {', '.join(repr(m) for m in missing)} that spec needs"
            if missing
            else "none of the columns that spec reads"
        )
        fix, hint = _spec_hint(spec, columns)
        raise CounterflowError(
            f"{file_name} is separated by {shown_delimiter(found)} where spec {spec.name!r} expects "
            f"{shown_delimiter(declared)}, and has {lacks} (its columns: {_shown_columns(columns)})",
            fix,
            hint=hint,
        )
    return declared


def check_header(prep: Preparer, frame: pd.DataFrame) -> list[str]:
    """Refuse a file without the columns the spec needs; the columns it will ignore."""
    spec = prep.spec
    present = set(frame.columns)
    missing = sorted(spec.required_columns() - present)
    if missing:
        columns = list(frame.columns)
        fix, hint = _spec_hint(spec, columns)
        raise CounterflowError(
            f"{prep.file_name} has no column {', '.join(repr(m) for m in missing)} needed by spec {spec.name!r} "
            f"(its columns: {_shown_columns(columns)})",
            fix,
            hint=hint,
        )
    if spec.require_location:
        fields = spec.fields
        place_cols = {fields[n].column for n in ("place", "coordinates") if n in fields}
        has_place = bool(place_cols & present)
        has_latlon = all(n in fields and fields[n].column in present for n in ("lat", "lon"))
        if not (has_place or has_latlon):
            raise CounterflowError(
                f"{prep.file_name} has neither a place column nor lat and lon columns",
                "add a 'place' column (town names) or 'lat' and 'lon' columns (decimal degrees)",
            )
    return sorted(present - spec.columns_used() - {""})[:20]


def _text_column(v: pd.DataFrame, name: str, default: str, n: int) -> pd.Series:
    """A text column as object dtype (Arrow strings cost a conversion per call), blanks -> default."""
    if name not in v:
        return pd.Series([default] * n, dtype=object)
    col = v[name].astype(object)
    col = col.where(col.notna() & (col != ""), default)
    return _strip(col)


def as_objects(values: Any, index: pd.Index) -> pd.Series:
    """A text column kept as Python objects (a plain assignment would convert it to Arrow strings,
    and every later read back again)."""
    return pd.Series(values, index=index, dtype=object)


@dataclass
class Prepared:
    """One batch, mapped, validated, geocoded and fingerprinted: all of it but the store's part."""

    rows_read: int
    rejects: list[tuple[int, str, str]]
    consumed: int
    #: the valid rows, as report columns, but for ``source_id``, ``import_id`` and the
    #: reliability grade of rows that give none (the source's grade, from the store)
    out: pd.DataFrame | None = None
    kinds: np.ndarray | None = None  # source kind and name per row of ``out``
    names: np.ndarray | None = None
    ignored_columns: list[str] | None = None  # on the first batch with rows


@dataclass
class Preparer:
    """The store-free steps of an import, batch after batch (in a second process for a large
    file): map, validate, geocode, grade by kind, fingerprint. Keeps the copy counts across
    batches."""

    spec: Spec
    file_name: str
    default_kind: str
    default_name: str
    simulated: bool = False
    seen: CopyCounts = field(default_factory=CopyCounts)
    header_checked: bool = False
    #: in the worker: gives the copy counts of the batches the importer prepared itself, wanted
    #: only when the first batch here is fingerprinted
    seen_later: Any = field(default=None, repr=False, compare=False)

    def prepare(
        self,
        raw: RawBatch,
        *,
        extras: list[dict[str, Any]] | None = None,
        simulated: np.ndarray | None = None,
    ) -> Prepared:
        frame = raw.frame
        prep = Prepared(rows_read=len(frame) + len(raw.bad), rejects=list(raw.bad), consumed=raw.consumed)
        if frame.empty:
            return prep
        if not self.header_checked:
            prep.ignored_columns = check_header(self, frame)
            self.header_checked = True
        spec = self.spec
        mapped = apply_spec(frame, spec, clean=raw.clean)
        reasons = mapped.reasons
        v = geocode(mapped.values, reasons, require_location=spec.require_location)
        n = len(v)
        if "observed_on" not in v:
            v["observed_on"] = pd.Series(pd.NaT, index=v.index, dtype="datetime64[ns]")
        no_date = v["observed_on"].isna().to_numpy() & pd.isna(reasons)
        reasons[no_date] = "the date is empty; fill the date column (YYYY-MM-DD)"
        # a stored taxonomy value is always codes of its facet: anything else rejects its row
        problems = code_problems(v)
        bad_codes = ~pd.isna(problems) & pd.isna(reasons)
        reasons[bad_codes] = problems[bad_codes]

        # sources and grades
        kinds = _text_column(v, "source_kind", self.default_kind, n).str.lower()
        bad_kind = ~kinds.isin(grading.SOURCE_KINDS).to_numpy() & pd.isna(reasons)
        if bad_kind.any():
            reasons[bad_kind] = [
                f"source_kind {k!r} is not known; use one of {', '.join(grading.SOURCE_KINDS)}"
                for k in kinds[bad_kind]
            ]
        names = _text_column(v, "source", self.default_name, n).str.slice(0, 200)
        roles = _text_column(v, "role", "incident", n).str.lower()
        bad_role = ~roles.isin(ROLES).to_numpy() & pd.isna(reasons)
        if bad_role.any():
            reasons[bad_role] = [
                f"role {r!r} is not known; use one of {', '.join(ROLES)}" for r in roles[bad_role]
            ]
        ok = pd.isna(reasons)

        # rejects: keep every failing row with its line, reason and raw text
        if (~ok).any():
            cells = frame.to_numpy(dtype=object)
            prep.rejects.extend(
                (raw.lines[i], str(reasons[i]), raw_line([str(c) for c in cells[i]], spec.delimiter))
                for i in np.flatnonzero(~ok)
            )
        if not ok.any():
            return prep
        keep = np.flatnonzero(ok)
        v = v.iloc[keep].reset_index(drop=True)
        kinds = kinds.iloc[keep].reset_index(drop=True)
        names = names.iloc[keep].reset_index(drop=True)
        notes = [mapped.notes[i] for i in keep]
        # why a place is coarser than a point, and the place's words, travel in ``extra``
        whys = v["place_precision_reason"].to_numpy(dtype=object) if "place_precision_reason" in v else None
        locs = v["location"].to_numpy(dtype=object) if "location" in v else None
        if whys is not None or locs is not None:
            worded = np.zeros(len(keep), dtype=bool)
            for col in (whys, locs):
                if col is not None:
                    worded |= np.fromiter(
                        (isinstance(x, str) and x != "" for x in col), dtype=bool, count=len(keep)
                    )
            for j in np.flatnonzero(worded).tolist():
                add = {}
                if whys is not None and isinstance(whys[j], str):
                    add["place_precision_reason"] = whys[j]
                if locs is not None and isinstance(locs[j], str) and locs[j]:
                    add["location"] = locs[j]
                if add:
                    notes[j] = {**(notes[j] or {}), **add}
        if extras is not None:
            notes = [{**(extras[i] or {}), **(notes[j] or {})} or None for j, i in enumerate(keep)]
        m = len(v)

        out = pd.DataFrame(index=v.index)
        out["line"] = [raw.lines[i] for i in keep]
        out["observed_on"] = v["observed_on"]
        for c in ("language", "summary", "exploitation", "recruitment", "control", "transport", "age_band",
                  "gender", "place", "admin1", "country", "origin", "transit", "destination"):  # fmt: skip
            col_v = v[c].astype(object) if c in v else pd.Series([None] * m, dtype=object)
            if c in ("exploitation", "recruitment", "control", "transport", "transit"):
                col_v = col_v.fillna("")
            out[c] = as_objects(col_v.to_numpy(dtype=object), out.index)
        langs = {x: x.lower()[:8] for x in pd.unique(out["language"].dropna())}
        out["language"] = out["language"].map(langs).astype(object)
        # a grade given in the file; the others take their source's grade in the store
        out["reliability"] = as_objects(
            v["reliability"].to_numpy(dtype=object) if "reliability" in v else np.full(m, None, dtype=object),
            out.index,
        )
        default_cred = kinds.map({k: grading.default_grades(k)[1] for k in pd.unique(kinds)}).to_numpy()
        cred = (
            v["credibility"].to_numpy(dtype=object) if "credibility" in v else np.full(m, None, dtype=object)
        )
        out["credibility"] = np.where(pd.isna(cred), default_cred, cred)
        counts = (
            v["victim_count"].to_numpy(dtype=object)
            if "victim_count" in v
            else np.full(m, None, dtype=object)
        )
        # an aggregate names no individual victim: its figure counts what its measure says
        out["victim_count"] = 0 if spec.is_aggregate else np.where(pd.isna(counts), 1, counts)
        out["is_aggregate"] = bool(spec.is_aggregate)
        for c in ("measure", "figure", "figure_high"):
            out[c] = as_objects(
                v[c].to_numpy(dtype=object) if c in v else np.full(m, None, dtype=object), out.index
            )
        if spec.is_aggregate:
            out["figure_high"] = out["figure_high"].where(out["figure_high"].notna(), out["figure"])
        out["lat"] = v["lat"].to_numpy(dtype="float64")
        out["lon"] = v["lon"].to_numpy(dtype="float64")
        out["place_precision"] = as_objects(v["place_precision"].to_numpy(dtype=object), out.index)
        dates = v["date_precision"] if "date_precision" in v else pd.Series([spec.date_precision] * m)
        out["date_precision"] = as_objects(
            dates.fillna(spec.date_precision).to_numpy(dtype=object), out.index
        )
        out["role"] = (
            as_objects(roles.iloc[keep].to_numpy(dtype=object), out.index) if len(roles) == n else "incident"
        )
        flag = v["simulated"].to_numpy(dtype=object) if "simulated" in v else np.full(m, None, dtype=object)
        given = simulated[keep] if simulated is not None else np.full(m, self.simulated, dtype=bool)
        out["simulated"] = np.where(pd.isna(flag), given, flag).astype(bool)
        out["extra"] = as_objects(extra_json(notes), out.index)
        out["source_key"] = as_objects((kinds + ":" + names).to_numpy(dtype=object), out.index)
        out["extra_json"] = out["extra"]
        if self.seen_later is not None:
            self.seen, self.seen_later = self.seen_later(), None
        out["fingerprint"] = as_objects(
            fingerprints(out, self.seen, extra_columns=AGGREGATE_COLUMNS if spec.is_aggregate else ()),
            out.index,
        )
        prep.out = out
        prep.kinds = kinds.to_numpy(dtype=object)
        prep.names = names.to_numpy(dtype=object)
        return prep


def parallel_worth_it(size_bytes: int) -> bool:
    """Whether a file of ``size_bytes`` is prepared in a second process."""
    return size_bytes >= PARALLEL_BYTES and (os.cpu_count() or 1) > 1


def prepared_in_worker(
    preparer: Preparer, *, path: Path, fmt: str, delimiter: str, encoding: str, batch_size: int
) -> Iterator[Prepared]:
    """The prepared batches of ``path``, read and prepared by a second process
    (``python -m intel.ingest.worker``) while the caller writes the store.

    The batches come back pickled through a pipe, whose buffer holds the worker one batch ahead
    at most, so memory stays bounded. An error there (a bad header, say) is raised here. When the
    caller stops early or fails, the worker is stopped; should the caller be killed, the worker's
    next write fails and it ends. A worker that cannot start at all leaves the work to this
    process, as for a small file.
    """
    # the worker skips the first batch: this process prepares it while the worker starts up, then
    # hands over the copy counts the worker's fingerprints go on from
    job = pickle.dumps((preparer, str(path), fmt, delimiter, encoding, batch_size, 1), protocol=5)
    # the worker finds the modules this process found, installed or not
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "intel.ingest.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None and proc.stdout is not None
    here = read_batches(path, fmt=fmt, delimiter=delimiter, encoding=encoding, batch_size=batch_size)
    alone = False
    try:
        try:
            proc.stdin.write(job)
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # it ended at once: seen below
        first = next(here, None)
        mine = preparer.prepare(first) if first is not None else None
        try:
            proc.stdin.write(pickle.dumps(preparer.seen, protocol=5))
            proc.stdin.close()
        except BrokenPipeError:
            pass
        if mine is not None:
            yield mine
        started = False
        while True:
            head = proc.stdout.read(8)
            blob = proc.stdout.read(int.from_bytes(head, "little")) if len(head) == 8 else b""
            if not blob:
                code = proc.wait()
                if not started:  # it could not start: prepare the rest of the file here instead
                    log.warning(
                        "no second process to prepare %s (exit code %s): preparing it here", path.name, code
                    )
                    alone = True
                    break
                raise CounterflowError(
                    f"the process preparing {path.name} stopped (exit code {code}) before the end "
                    "of the file; nothing of it was stored",
                    "run the import again; if it stops again, the machine may be short of memory",
                )
            started = True
            kind, value = pickle.loads(blob)
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        if proc.stdin is not None and not proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        if not alone:
            _close(here)  # the file this process read its first batch from
    if alone:
        try:
            for raw in here:
                yield preparer.prepare(raw)
        finally:
            _close(here)


def _close(batches: Iterator[RawBatch]) -> None:
    """Close a reader's generator now (and its file), not when it is collected."""
    close = getattr(batches, "close", None)
    if close is not None:
        close()


def serve(channel: BinaryIO, job: BinaryIO) -> None:
    """The worker's side: read the job, then write each prepared batch after the first ``skip``,
    in order, to ``channel`` as an 8-byte length and a pickle; ``("done", None)`` or
    ``("error", exc)`` ends it. The copy counts of the skipped batches follow the job on ``job``."""

    def put(item: tuple[str, Any]) -> None:
        blob = pickle.dumps(item, protocol=5)
        channel.write(len(blob).to_bytes(8, "little"))
        channel.write(blob)
        channel.flush()

    preparer, path, fmt, delimiter, encoding, batch_size, skip = pickle.load(job)
    if skip:  # the importer prepares the first batches; their copy counts follow the job
        preparer.seen_later = lambda: pickle.load(job)
    try:
        for i, raw in enumerate(
            read_batches(Path(path), fmt=fmt, delimiter=delimiter, encoding=encoding, batch_size=batch_size)
        ):
            if i >= skip:
                put(("item", preparer.prepare(raw)))
        put(("done", None))
    except BrokenPipeError:
        raise
    except Exception as exc:  # raised again in the importing process
        try:
            pickle.dumps(exc)
        except Exception:
            exc = CounterflowError(
                f"preparing {Path(path).name} failed: {type(exc).__name__}: {exc}",
                "check the file at the place the error names, or import it without it",
            )
        put(("error", exc))
