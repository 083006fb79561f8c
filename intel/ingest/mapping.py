"""Apply an import spec to a batch of text cells: convert, validate, and say why a row fails.

Work is vectorised per column; conversions that need Python (countries, taxonomy codes,
grades) run once per distinct value, so a million rows with a few hundred distinct
countries cost a few hundred look-ups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intel import grading, taxonomy
from intel.errors import CounterflowError
from intel.measures import aggregate_measure
from intel.precision import PLACE_PRECISIONS, coarser_date, decimals, format_precision
from intel.specs import FieldSpec, Spec

TEXT_FIELDS = (
    "place", "admin1", "country", "summary", "language", "age_band", "gender", "role",
    "origin", "transit", "destination", "exploitation", "recruitment", "control", "transport",
    "reliability", "source_kind", "source",
)  # fmt: skip


@dataclass
class Mapped:
    """A batch after the spec: field columns, a reason per failing row, notes for ``extra``."""

    values: pd.DataFrame
    reasons: np.ndarray  # object: None where the row is fine
    notes: list[dict[str, Any] | None]


class _Batch:
    def __init__(self, n: int) -> None:
        self.n = n
        self.reasons: np.ndarray = np.full(n, None, dtype=object)
        self.notes: list[dict[str, Any] | None] = [None] * n

    def fail(self, mask: np.ndarray, messages: pd.Series | np.ndarray | str) -> None:
        mask = np.asarray(mask, dtype=bool) & pd.isna(self.reasons)
        if not mask.any():
            return
        if isinstance(messages, str):
            self.reasons[mask] = messages
        else:
            self.reasons[mask] = np.asarray(messages, dtype=object)[mask]

    def note(self, mask: np.ndarray, key: str, values: pd.Series) -> None:
        vals = values.to_numpy(dtype=object)
        for i in np.flatnonzero(mask):
            d = self.notes[i]
            if d is None:
                d = self.notes[i] = {}
            d[key] = vals[i]


def _strip(col: pd.Series) -> pd.Series:
    """``col.str.strip()`` for a column of ``str`` cells, without the string accessor's overhead."""
    values = col.to_numpy(dtype=object).tolist()
    try:
        stripped = [v.strip() for v in values]
    except AttributeError:  # a missing cell: the accessor keeps it missing
        return col.str.strip().astype(object)
    return pd.Series(stripped, index=col.index, dtype=object)


def _filled(s: pd.Series) -> pd.Series:
    """``s != ""`` as a boolean Series; for a column of ``str`` cells, in one C pass."""
    arr = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=False) in ("string", "empty"):
        return pd.Series(arr.astype(bool), index=s.index)
    return s != ""


def _kept(col: pd.Series) -> pd.Series:
    """A column of cells known to need no stripping, as object dtype."""
    return col if col.dtype == object else col.astype(object)


def _cells(frame: pd.DataFrame, f: FieldSpec, strip: Callable[[pd.Series], pd.Series] = _strip) -> pd.Series:
    """The raw text of a field (blank = ""), with its map and condition applied."""
    n = len(frame)
    if f.columns:
        parts = [
            strip(frame[c]) if c in frame else pd.Series([""] * n, index=frame.index, dtype=object)
            for c in f.columns
        ]
        joined = parts[0]
        for p in parts[1:]:
            joined = joined.where(p == "", joined.where(joined == "", joined + f.join) + p)
        s = joined
    elif f.column and f.column in frame:
        s = strip(frame[f.column])
    else:
        s = pd.Series([""] * n, index=frame.index, dtype=object)
    if f.map:
        exact = s.map(f.map)
        folded = {k.casefold(): v for k, v in f.map.items()}
        by_fold = s.str.casefold().map(folded)
        s = exact.fillna(by_fold).fillna(s)
    if f.when_column:
        if f.when_column in frame:
            s = s.where(strip(frame[f.when_column]).isin(f.when_in), "")
        else:
            s = pd.Series([""] * n, index=frame.index, dtype=object)
    return s.astype(object)


def _per_value(s: pd.Series, fn: Callable[[str], Any]) -> tuple[pd.Series, pd.Series]:
    """Apply ``fn`` once per distinct non-blank value: (converted, error message or None)."""
    codes, uniques = pd.factorize(s.to_numpy(dtype=object))
    if (codes < 0).any():  # a missing cell (not a blank): the general path
        return _per_value_map(s, fn)
    conv = np.full(len(uniques) + 1, np.nan, dtype=object)  # the last slot: no value
    errs = np.full(len(uniques) + 1, np.nan, dtype=object)
    all_text = True
    for j, v in enumerate(uniques.tolist()):
        if v == "":
            continue
        try:
            conv[j] = got = fn(v)
            all_text = all_text and isinstance(got, str)
        except CounterflowError as exc:
            errs[j] = f"{exc.problem}; {exc.fix}"
    if not all_text:  # numbers, flags, tuples: the dtype ``Series.map`` infers
        return _per_value_map(s, fn)
    return (
        pd.Series(conv[codes], index=s.index, dtype=object),
        pd.Series(errs[codes], index=s.index, dtype=object),
    )


def _per_value_map(s: pd.Series, fn: Callable[[str], Any]) -> tuple[pd.Series, pd.Series]:
    ok: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for v in pd.unique(s[s != ""]):
        try:
            ok[v] = fn(v)
        except CounterflowError as exc:
            bad[v] = f"{exc.problem}; {exc.fix}"
    return s.map(ok), s.map(bad)


def _date(s: pd.Series, f: FieldSpec, spec: Spec) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The dates, the reason per bad cell, and each date's precision: what the format that read
    it can tell ("%Y" alone: a year), never finer than the spec's ``date_precision``."""
    formats = f.formats or ("%Y-%m-%d",)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    precision = pd.Series(None, index=s.index, dtype=object)
    filled = _filled(s)
    todo = filled
    latest = pd.Timestamp(latest_date())
    early = pd.Series(False, index=s.index)
    late = pd.Series(False, index=s.index)
    for fmt in formats:
        if not todo.any():
            break
        # a year such as 0001 or 9999 parses at a coarser resolution than nanoseconds: it is
        # compared before it is stored, so that it rejects its row instead of the batch
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        got = parsed.notna()
        before = got & (parsed < pd.Timestamp(EARLIEST_DATE))
        after = got & (parsed > latest)
        early.loc[parsed.index[before]] = True
        late.loc[parsed.index[after]] = True
        got = got & ~before & ~after
        out.loc[parsed.index[got]] = parsed[got].astype("datetime64[ns]")
        precision.loc[parsed.index[got]] = coarser_date(format_precision(fmt), spec.date_precision).value
        todo = todo & out.isna() & ~early & ~late
    bad = filled & out.isna() & ~early & ~late
    shown = " or ".join(_human_format(x) for x in formats[:3])
    msg = pd.Series(None, index=s.index, dtype=object)
    if bad.any():
        msg[bad] = [
            f"{f.name} {v!r} (column {f.column!r}) is not a date; write it as {shown}" for v in s[bad]
        ]
    if early.any():
        msg[early] = [
            f"{f.name} {v!r} (column {f.column!r}) is before {EARLIEST_DATE.isoformat()}, the earliest "
            "date the store takes; check the date" for v in s[early]
        ]  # fmt: skip
    if late.any():
        msg[late] = [
            f"{f.name} {v!r} (column {f.column!r}) is in the future; check the date" for v in s[late]
        ]
    return out, msg, precision


#: The dates an import takes: from 1900-01-01 (no source on trafficking we read goes back further;
#: an earlier date is a typo or a placeholder such as 0001-01-01) to tomorrow (a date written in
#: another time zone may be a day ahead of ours; 9999-12-31 is a placeholder).
EARLIEST_DATE = dt.date(1900, 1, 1)


def latest_date() -> dt.date:
    """The latest date an import takes: tomorrow."""
    return dt.date.today() + dt.timedelta(days=1)


#: The largest count the store holds (PostgreSQL's INTEGER; SQLite would take more, and a
#: store must not depend on its engine).
MAX_COUNT = 2**31 - 1


def _within_store(name: str, v: str, count: int) -> None:
    if count > MAX_COUNT:
        raise CounterflowError(
            f"{name} {v!r} is larger than {MAX_COUNT:,}, the largest count the store holds",
            "check the cell: no count of people is that large",
        )


def _human_format(fmt: str) -> str:
    return (
        fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").replace("%B", "Month")
        .replace("%b", "Mon").replace("%H", "hh").replace("%M", "mm").replace("%S", "ss")
    )  # fmt: skip


def _number(s: pd.Series, f: FieldSpec, lo: float, hi: float) -> tuple[pd.Series, pd.Series]:
    filled = _filled(s)
    num = pd.to_numeric(s.where(filled, None), errors="coerce").astype("float64")
    msg = pd.Series(None, index=s.index, dtype=object)
    bad = filled & num.isna()
    if bad.any():
        msg[bad] = [
            f"{f.name} {v!r} (column {f.column!r}) is not a number; write decimal degrees like 6.335"
            for v in s[bad]
        ]
    out_of = num.notna() & ((num < lo) | (num > hi))
    if out_of.any():
        msg[out_of] = [
            f"{f.name} {v!r} is out of range; it must be between {lo:g} and {hi:g}" for v in s[out_of]
        ]
        num[out_of] = np.nan
    return num, msg


def _latlon(v: str) -> tuple[float, float]:
    parts = [p.strip() for p in v.replace(";", ",").split(",")]
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise CounterflowError(
            f"coordinates {v!r} are not 'lat, lon'", "write them as '32.37, -111.75'"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CounterflowError(
            f"coordinates {v!r} are out of range",
            "latitude must be within -90..90 and longitude within -180..180",
        )
    return lat, lon


def _count(v: str) -> tuple[int, str | None]:
    text = v.replace(",", "").replace(" ", "").replace("\u202f", "")
    if text.startswith("<"):
        try:
            upper = int(text[1:])
        except ValueError:
            upper = 0
        if upper >= 2:
            _within_store("victim_count", v, upper)
            return 1, v  # "<5": at least one, at most four; the text is kept
    try:
        count = int(float(text))
        if count < 0 or float(text) != count:
            raise ValueError
    except (ValueError, OverflowError):  # "abc", "1.5", "-2"; "inf"
        raise CounterflowError(
            f"victim_count {v!r} is not a whole number",
            "write a count such as 3 (or '<5' for a suppressed small count)",
        ) from None
    _within_store("victim_count", v, count)
    return count, None


def _place_precision(v: str) -> str:
    key = v.strip().lower()
    if key not in PLACE_PRECISIONS:
        raise CounterflowError(
            f"place_precision {v!r} is not known", f"write one of {', '.join(PLACE_PRECISIONS)}"
        )
    return key


def _decimals(s: pd.Series) -> pd.Series:
    """Decimals written in each cell of a coordinate column (NaN where none or not plain)."""
    got: dict[str, float] = {}
    for v in pd.unique(s[_filled(s)]):
        d = decimals(str(v))
        got[v] = np.nan if d is None else float(d)
    return s.map(got).astype("float64")


def _figure(v: str) -> tuple[int, int, str | None]:
    """An aggregate's figure as (least, most, the source's text when it is a range).

    A whole number is itself ("3,857": 3857 and 3857); a suppressed small count ``<N`` is 1 to
    N-1 (``<5``: 1 and 4), its text kept. Anything else is not a figure.
    """
    text = v.replace(",", "").replace(" ", "").replace("\u202f", "")
    if text.startswith("<") and text[1:].isdigit() and int(text[1:]) >= 2:
        _within_store("figure", v, int(text[1:]) - 1)
        return 1, int(text[1:]) - 1, v
    try:
        count = int(float(text))
        if count < 0 or float(text) != count:
            raise ValueError
    except (ValueError, OverflowError):  # "..", "n/a", "1.5"; "inf"
        raise CounterflowError(
            f"figure {v!r} is not a count",
            "write a whole number such as 120 (or '<5' for a suppressed small count); a mark for a "
            "missing value is no figure: leave such rows out",
        ) from None
    _within_store("figure", v, count)
    return count, count, None


def _null_island(out: dict[str, Any], b: _Batch) -> None:
    """Reject rows at (0, 0): in the Gulf of Guinea, where no report is, and where a tool that
    writes a missing coordinate as zero puts it."""
    lat, lon = out.get("lat"), out.get("lon")
    if lat is None or lon is None:
        return
    zero = (lat.to_numpy(dtype="float64") == 0) & (lon.to_numpy(dtype="float64") == 0)
    b.fail(
        zero,
        "coordinates (0, 0) are a missing position written as zeros (no report is in the Gulf of "
        "Guinea at 0, 0); leave lat and lon empty and give the place, or give the real coordinates",
    )


def _too_many(out: dict[str, Any], spec: Spec, b: _Batch) -> None:
    """Reject rows whose count is larger than the given share of their country's population
    (a garbled cell, such as an eight-digit count of victims, can mean nothing else)."""
    countries = out.get("country")
    if countries is None:
        return
    from intel.countries import country_name
    from intel.gazetteer import get_gazetteer

    codes = countries.where(countries.notna(), None).to_numpy(dtype=object)
    known = [c for c in pd.unique(codes[pd.notna(codes)]) if isinstance(c, str)]
    if not known:
        return
    gaz = get_gazetteer()
    population = pd.Series({c: gaz.country_population(c) for c in known}, dtype="float64")
    pops = pd.Series(codes).map(population).to_numpy(dtype="float64")
    for name, f in spec.fields.items():
        if f.kind not in ("count", "figure") or name not in out:
            continue
        values = pd.to_numeric(out[name], errors="coerce").to_numpy(dtype="float64")
        ceiling = pops * f.max_population_share
        bad = ~np.isnan(values) & (pops > 0) & (values > ceiling)
        if not bad.any():
            continue
        share = "" if f.max_population_share >= 1 else f"{f.max_population_share:.4g} of "
        reasons = [
            f"{name} {int(values[i]):,} is larger than {share}the population of {country_name(codes[i])} "
            f"({int(pops[i]):,} in the gazetteer's places): no count of people there can be that large; "
            f"check the cell (column {f.column!r})"
            if bad[i] else None
            for i in range(len(values))
        ]  # fmt: skip
        b.fail(bad, np.asarray(reasons, dtype=object))


def _bool(v: str) -> bool:
    key = v.strip().lower()
    if key in ("1", "true", "yes", "y", "t"):
        return True
    if key in ("0", "false", "no", "n", "f"):
        return False
    raise CounterflowError(f"{v!r} is not true or false", "write true/false (or 1/0, yes/no)")


def _joiner(sep: str) -> Callable[[str], str]:
    def join(v: str) -> str:
        return "|".join(p.strip() for p in v.split(sep) if p.strip())

    return join


def _codes(facet: str, separator: str | None) -> Callable[[str], str]:
    def convert(v: str) -> str:
        parts = [p.strip() for p in (v.split(separator) if separator else [v])]
        found: list[str] = []
        for p in parts:
            if p:
                code = taxonomy.normalise_code(facet, p)
                if code not in found:
                    found.append(code)
        return "|".join(found)

    return convert


def _flag_cells(
    col: pd.Series, column: str, spec: Spec, true: frozenset[str], false: frozenset[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per cell of a flag column: whether it sets the flag, and the reason for a cell that is
    neither a set nor an unset flag (None when every cell is one or the other). A blank or
    missing cell leaves the flag unset."""
    codes, uniques = pd.factorize(col.to_numpy(dtype=object))  # a missing cell: -1, the last slot
    keys = [v.strip().casefold() if isinstance(v, str) else "" for v in uniques.tolist()]
    is_set = np.array([k in true for k in keys] + [False], dtype=bool)
    wrong = [bool(k) and k not in true and k not in false for k in keys]
    if not any(wrong):
        return is_set[codes], None
    fix = (
        f"write {'/'.join(spec.flag_true)} to set it, {'/'.join(spec.flag_false)} or a blank to leave it "
        f"unset (or list the spelling in the spec's flag_true or flag_false)"
    )
    reasons = np.array(
        [
            f"flag {column!r} is {v!r}; {fix}" if w else None
            for v, w in zip(uniques.tolist(), wrong, strict=True)
        ]
        + [None],
        dtype=object,
    )
    return is_set[codes], reasons[codes]


def _flag_codes(hits: np.ndarray, codes: list[str]) -> list[str]:
    """The ``|``-joined codes of each row's set flags (each code once, in column order),
    built once per distinct pattern of flags (a few hundred in a million CTDC rows)."""
    n, width = hits.shape
    if width > 64:  # one pattern key holds 64 flags: the columns in groups, joined per row
        parts = [_flag_codes(hits[:, i : i + 64], codes[i : i + 64]) for i in range(0, width, 64)]
        return [
            "|".join(dict.fromkeys(c for p in row if p for c in p.split("|")))
            for row in zip(*parts, strict=True)
        ]
    key = np.zeros(n, dtype=np.uint64)
    for j in range(width):
        key |= hits[:, j].astype(np.uint64) << np.uint64(j)
    inverse, patterns = pd.factorize(key)
    texts = np.array(
        [
            "|".join(dict.fromkeys(c for j, c in enumerate(codes) if (int(p) >> j) & 1))
            for p in patterns.tolist()
        ],
        dtype=object,
    )
    return texts[inverse].tolist()


def _union(mapped: Any, flagged: str) -> str:
    """A mapped cell's codes and its flags' codes, each once; a missing mapped cell adds none."""
    text = mapped if isinstance(mapped, str) else ""
    if not flagged:
        return text
    if not text:
        return flagged
    return "|".join(dict.fromkeys([*text.split("|"), *flagged.split("|")]))


def apply_spec(frame: pd.DataFrame, spec: Spec, *, clean: bool = False) -> Mapped:
    """Convert one batch of text cells (every column ``str``, blank = ``""``) with ``spec``.

    ``clean``: no cell begins or ends with white space (``RawBatch.clean``), so none is stripped.
    """
    strip = _kept if clean else _strip
    from intel.gazetteer import country_code, country_from_text

    n = len(frame)
    b = _Batch(n)
    out: dict[str, Any] = {}
    for name, value in spec.constants.items():
        out[name] = pd.Series([value] * n, index=frame.index, dtype=object)
    for name, f in spec.fields.items():
        s = _cells(frame, f, strip)
        filled = _filled(s)
        if f.default is not None:
            s = s.where(filled, str(f.default))
            filled = _filled(s)
        blank = ~filled.to_numpy()
        if f.required:
            col = f.column or ", ".join(f.columns)
            b.fail(blank, f"{name} is empty; fill column {col!r}")
        kind = f.kind
        msg: pd.Series | None = None
        if kind == "date":
            out[name], msg, out["date_precision"] = _date(s, f, spec)
        elif kind == "float":
            lo, hi = (-90.0, 90.0) if name == "lat" else (-180.0, 180.0)
            out[name], msg = _number(s, f, lo, hi)
            out[f"_{name}_decimals"] = _decimals(s)
        elif kind == "latlon":
            conv, msg = _per_value(s, _latlon)
            out["lat"] = conv.map(lambda t: t[0] if isinstance(t, tuple) else np.nan).astype("float64")
            out["lon"] = conv.map(lambda t: t[1] if isinstance(t, tuple) else np.nan).astype("float64")
            halves = s.str.replace(";", ",", regex=False).str.split(",", n=1)
            out["_lat_decimals"] = _decimals(halves.str[0].fillna("").astype(object))
            out["_lon_decimals"] = _decimals(halves.str[1].fillna("").astype(object))
        elif kind == "count":
            conv, msg = _per_value(s, _count)
            out[name] = conv.map(lambda t: t[0] if isinstance(t, tuple) else None)
            texts = conv.map(lambda t: t[1] if isinstance(t, tuple) else None)
            b.note(texts.notna().to_numpy(), "count_text", texts)
        elif kind == "figure":
            conv, msg = _per_value(s, _figure)
            out[name] = conv.map(lambda t: t[0] if isinstance(t, tuple) else None)
            out["figure_high"] = conv.map(lambda t: t[1] if isinstance(t, tuple) else None)
            texts = conv.map(lambda t: t[2] if isinstance(t, tuple) else None)
            b.note(texts.notna().to_numpy(), "figure_text", texts)
        elif kind == "measure":
            out[name], msg = _per_value(s, aggregate_measure)
        elif kind == "country":
            out[name], msg = _per_value(s, country_code)
        elif kind == "country_or_place":
            conv, _ = _per_value(s, lambda v: country_from_text(v) or v)
            out[name] = conv.where(s != "", None)
            unresolved = (s != "") & (conv == s)
            if unresolved.any() and f.on_error == "keep":
                b.note(unresolved.to_numpy(), f"{name}_text", s)
        elif kind == "codes":
            out[name], msg = _per_value(s, _codes(name, f.separator))
        elif kind == "places":
            sep = f.separator or "|"
            out[name], _ = _per_value(s, _joiner(sep))
        elif kind == "reliability":
            out[name], msg = _per_value(s, grading.check_reliability)
        elif kind == "bool":
            out[name], msg = _per_value(s, _bool)
        elif kind == "place_precision":
            out[name], msg = _per_value(s, _place_precision)
        elif kind == "credibility":
            out[name], msg = _per_value(s, grading.check_credibility)
        else:
            out[name] = s.where(filled, None)
        if msg is not None:
            failed = msg.notna().to_numpy()
            if failed.any():
                if f.on_error == "reject":
                    b.fail(failed, msg)
                else:
                    if f.on_error == "keep":
                        b.note(failed, f"{name}_text", s)
                    if name in out:
                        out[name] = out[name].where(~msg.notna(), None)
    _too_many(out, spec, b)
    _null_island(out, b)
    # flag columns add taxonomy codes to the facet's mapped codes, if any
    true, false = frozenset(spec.flag_true), frozenset(spec.flag_false)
    for facet, mapping in spec.flags.items():
        cols = [c for c in mapping if c in frame]
        if not cols:
            continue
        hits = np.zeros((n, len(cols)), dtype=bool)
        for j, c in enumerate(cols):
            hits[:, j], wrong = _flag_cells(frame[c], c, spec, true, false)
            if wrong is not None:
                b.fail(~pd.isna(wrong), wrong)
        from_flags = _flag_codes(hits, [mapping[c] for c in cols])
        base = out.get(facet)
        if base is None:
            out[facet] = pd.Series(from_flags, index=frame.index, dtype=object)
        else:
            merged = [_union(a, fl) for a, fl in zip(base.tolist(), from_flags, strict=True)]
            out[facet] = pd.Series(merged, index=frame.index, dtype=object)
    # kept columns
    for key, column in spec.extra.items():
        if column in frame:
            vals = strip(frame[column])
            b.note((vals != "").to_numpy(), key, vals)
    values = pd.DataFrame(out, index=frame.index)
    return Mapped(values=values.reset_index(drop=True), reasons=b.reasons, notes=b.notes)
