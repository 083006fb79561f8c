"""Merge reports of one incident: fingerprints for exact copies, a rule for corroboration.

Two reports describe the same incident when they are in the same grid cell of about
``radius_km`` and within ``radius_km`` of each other, observed within ``window_days``, share
an exploitation type (or one of them has none), come from different sources (a source does
not corroborate itself) and, when both have a summary, share some of their words. The later report gets ``duplicate_of`` = the
first report's id; ``intel.store.load_reports`` then counts it as corroboration.

Only rows that share a cell with another row (in the file or in the store) go through the
pairwise check, so a million scattered rows cost a sort and a few vectorised passes.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from intel.gazetteer import EARTH_RADIUS_KM

FINGERPRINT_COLUMNS = (
    "observed_on", "lat", "lon", "place", "country", "exploitation", "recruitment", "control",
    "transport", "summary", "victim_count", "origin", "transit", "destination", "age_band",
    "gender", "role", "is_aggregate", "source_key", "extra_json",
)  # fmt: skip


#: Place precisions whose coordinates can say that two reports are one incident.
SAME_PLACE_PRECISIONS = ("point", "town", "district")


class CopyCounts:
    """How many rows of each content (a 64-bit hash) an import has seen so far, compactly.

    Sorted numpy chunks, one per batch, merged now and then: 16 bytes per distinct content
    instead of a Python dictionary entry, so a long import stays small in memory.
    """

    MERGE_AT = 8

    def __init__(self) -> None:
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []

    def __bool__(self) -> bool:
        return bool(self.chunks)

    def get(self, hashes: np.ndarray) -> np.ndarray:
        """The count so far for each hash (0 for a content not seen)."""
        out = np.zeros(len(hashes), dtype="uint64")
        for keys, counts in self.chunks:
            at = np.searchsorted(keys, hashes)
            at[at == len(keys)] = 0
            hit = keys[at] == hashes
            out[hit] += counts[at[hit]]
        return out

    def add(self, hashes: np.ndarray) -> None:
        """Count each of ``hashes`` once more."""
        keys, counts = np.unique(hashes.astype("uint64"), return_counts=True)
        if not len(keys):
            return
        self.chunks.append((keys, counts.astype("uint64")))
        if len(self.chunks) >= self.MERGE_AT:
            all_keys = np.concatenate([k for k, _ in self.chunks])
            all_counts = np.concatenate([c for _, c in self.chunks])
            merged, inverse = np.unique(all_keys, return_inverse=True)
            total = np.zeros(len(merged), dtype="uint64")
            np.add.at(total, inverse, all_counts)
            self.chunks = [(merged, total)]


#: What an aggregate's content adds (an individual report's fingerprint stays as it was).
AGGREGATE_COLUMNS = ("measure", "figure", "figure_high")


def fingerprints(
    values: pd.DataFrame, seen: dict[int, int] | CopyCounts, *, extra_columns: tuple[str, ...] = ()
) -> np.ndarray:
    """A 128-bit content hash per row (hex); the k-th identical row in an import gets its own.

    ``seen`` counts identical contents across the batches of one import, so identical rows
    (distinct people in k-anonymised data) stay distinct, while re-importing the same rows
    reproduces the same fingerprints.
    """
    # native dtypes hash ten times faster than text; every non-number column is object with None
    # for missing values, so equal content hashes equally in every batch and every import
    data: dict[str, Any] = {}
    for c in (*FINGERPRINT_COLUMNS, *extra_columns):
        if c in ("lat", "lon"):
            data[c] = values[c].astype("float64").round(5)
        elif c == "observed_on":
            data[c] = values[c].astype("datetime64[ns]")
        elif c in values:
            col = values[c].astype(object)
            data[c] = col.where(col.notna(), None)
    cols = pd.DataFrame(data)
    # per-column hashes once: the row hash without and with the copy number ``k`` combine them
    # as ``pd.util.hash_pandas_object`` does for a frame (CPython's tuple hash)
    col_hashes = [
        pd.util.hash_pandas_object(cols[c], index=False, hash_key="counterflowfp-01").to_numpy()
        for c in cols.columns
    ]
    base = _combine(col_hashes)
    base_s = pd.Series(base)
    k = base_s.groupby(base_s).cumcount().to_numpy().astype("uint64")
    if isinstance(seen, CopyCounts):
        if seen:
            k = k + seen.get(base)
        seen.add(base)
    else:
        if seen:
            k = k + base_s.map(seen).fillna(0).to_numpy().astype("uint64")
        counts = base_s.value_counts()
        for h, cnt in zip(counts.index.tolist(), counts.tolist(), strict=True):
            seen[int(h)] = seen.get(int(h), 0) + int(cnt)
    cols["_k"] = k
    k_hash = pd.util.hash_pandas_object(cols["_k"], index=False, hash_key="counterflowfp-01").to_numpy()
    h1 = _combine([*col_hashes, k_hash])
    h2 = pd.util.hash_pandas_object(cols, index=False, hash_key="counterflowfp-02").to_numpy()
    # 32 hex digits per row: both hashes big-endian, hex-encoded at once, cut into rows
    pair = np.empty((len(h1), 2), dtype=">u8")
    pair[:, 0], pair[:, 1] = h1, h2
    if not len(pair):
        return np.empty(0, dtype=object)
    return np.array(pair.tobytes().hex()).reshape(1).view("<U32").astype(object)


def _combine(arrays: list[np.ndarray]) -> np.ndarray:
    """Row hashes from column hashes, exactly as pandas combines a frame's columns."""
    num_items = len(arrays)
    mult = np.uint64(1000003)
    out = np.zeros_like(arrays[0]) + np.uint64(0x345678)
    for i, a in enumerate(arrays):
        inverse_i = num_items - i
        out ^= a
        out *= mult
        mult += np.uint64(82520 + inverse_i + inverse_i)
    out += np.uint64(97531)
    return out


_WORD = re.compile(r"\w+")


def _tokens(text: Any) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold())) if isinstance(text, str) else frozenset()


#: Two summaries of one incident share at least this share of their words (Jaccard).
SUMMARY_OVERLAP = 0.15


def similar(a: frozenset[str], b: frozenset[str], threshold: float = SUMMARY_OVERLAP) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


@dataclass
class Deduper:
    """Incident state across the batches of one import (and the store's existing incidents).

    ``state`` maps a grid cell to its incidents sorted by day, as plain tuples
    (day, lat, lon, types, source_key, summary, ref): it persists across batches, so each row
    costs a dictionary look-up and a binary search, whatever the size of the import.
    """

    radius_km: float = 5.0
    window_days: int = 14
    state: dict[int, tuple[list[int], list[tuple[Any, ...]]]] = field(default_factory=dict)

    def _cells(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        step = self.radius_km / 111.2
        cy = np.floor(lat / step).astype("int64")
        lon_step = step / np.maximum(np.cos(np.radians(cy * step)), 0.01)
        cx = np.floor(lon / lon_step).astype("int64")
        return cy * 1_000_000 + cx

    def _add(self, cell: int, inc: tuple[Any, ...]) -> None:
        days, incs = self.state.setdefault(cell, ([], []))
        at = bisect.bisect_right(days, inc[0])
        days.insert(at, inc[0])
        incs.insert(at, inc)

    def add_existing(self, frame: pd.DataFrame) -> None:
        """Incidents already in the store: columns id, lat, lon, observed_on, exploitation,
        source_key, summary."""
        if frame.empty:
            return
        cells = self._cells(frame["lat"].to_numpy(float), frame["lon"].to_numpy(float)).tolist()
        days = (
            pd.to_datetime(frame["observed_on"]).to_numpy().astype("datetime64[D]").astype("int64").tolist()
        )
        for cell, day, la, lo, ex, sk, sm, ref in zip(
            cells, days, frame["lat"].tolist(), frame["lon"].tolist(), frame["exploitation"].tolist(),
            frame["source_key"].tolist(), frame["summary"].tolist(), frame["id"].tolist(), strict=True,
        ):  # fmt: skip
            self._add(cell, (day, la, lo, _types(ex), sk, sm, ref))

    def assign(self, values: pd.DataFrame, ok: np.ndarray, refs: np.ndarray) -> np.ndarray:
        """``duplicate_of`` for each row: the ref (an id, or a fingerprint of an earlier new row)
        of the first report of its incident, or None. Rows that stay first become incidents."""
        n = len(values)
        out = np.full(n, None, dtype=object)
        lat = values["lat"].to_numpy(float)
        lon = values["lon"].to_numpy(float)
        use = ok & ~np.isnan(lat) & ~np.isnan(lon) & ~values["is_aggregate"].to_numpy(bool)
        if "place_precision" in values:
            # only a place known to a district or better (a tip rounded to 0.1 degree) can say "the
            # same incident" within a few km: two reports at a country's stand-in point or a
            # province's centre are two incidents somewhere in it
            use &= values["place_precision"].isin(SAME_PLACE_PRECISIONS).to_numpy()
        if not use.any():
            return out
        idx = np.flatnonzero(use)
        cells = self._cells(lat[idx], lon[idx])
        days = values["observed_on"].to_numpy()[idx].astype("datetime64[D]").astype("int64")
        # rows alone in their cell (in this batch and so far) start an incident without a search
        crowded = pd.Series(cells).duplicated(keep=False).to_numpy(copy=True)
        if self.state:
            crowded |= np.fromiter((c in self.state for c in cells.tolist()), dtype=bool, count=len(cells))
        order = np.lexsort((idx, days, cells))
        expl = values["exploitation"].to_numpy(dtype=object)
        srck = values["source_key"].to_numpy(dtype=object)
        summ = (
            values["summary"].to_numpy(dtype=object)
            if "summary" in values
            else np.full(n, None, dtype=object)
        )
        w = self.window_days
        radius = self.radius_km
        state = self.state
        rows = idx[order]
        ex_rows = expl[rows].tolist()
        kinds = {x: _types(x) for x in set(ex_rows)}  # one set of types per distinct cell text
        left, right = bisect.bisect_left, bisect.bisect_right
        near = _near
        # one pass over plain Python values in (cell, day, row) order; the incident rule of
        # ``_same`` is written out inline (a call per candidate pair costs as much as the rule)
        for cell, day, row, busy, la, lo, ex, sk, sm, ref in zip(
            cells[order].tolist(), days[order].tolist(), rows.tolist(), crowded[order].tolist(),
            lat[rows].tolist(), lon[rows].tolist(), ex_rows, srck[rows].tolist(),
            summ[rows].tolist(), refs[rows].tolist(), strict=True,
        ):  # fmt: skip
            mt = kinds[ex]
            me = (day, la, lo, mt, sk, sm, ref)
            if busy:
                entry = state.get(cell)
                if entry is None:
                    state[cell] = ([day], [me])
                    continue
                cdays, incs = entry
                found = None
                words = _cached_tokens(sm) if isinstance(sm, str) and sm else None
                for k in range(left(cdays, day - w), right(cdays, day + w)):
                    o = incs[k]
                    if o[4] == sk:
                        continue  # a source does not corroborate itself
                    if mt and o[3] and mt.isdisjoint(o[3]):
                        continue
                    osm = o[5]
                    if (
                        words is not None
                        and isinstance(osm, str)
                        and osm
                        and not similar(words, _cached_tokens(osm), SUMMARY_OVERLAP)
                    ):
                        continue
                    if (o[1] == la and o[2] == lo) or near(o[1], o[2], la, lo, radius):
                        found = o[6]
                        break
                if found is not None:
                    out[row] = found
                    continue
                # the cell's incidents stay sorted by day (later days of earlier batches too)
                at = right(cdays, day)
                cdays.insert(at, day)
                incs.insert(at, me)
            else:  # alone in its cell so far: the cell's first incident
                state[cell] = ([day], [me])
        return out


_ANCHOR_COLS = ("cell", "day", "lat", "lon", "exploitation", "source_key", "summary", "ref")


@lru_cache(maxsize=4096)
def _types(value: Any) -> frozenset[str]:
    return frozenset(t for t in str(value or "").split("|") if t)


@lru_cache(maxsize=65536)
def _cached_tokens(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def _near(lat1: float, lon1: float, lat2: float, lon2: float, radius_km: float) -> bool:
    """Whether two points are within ``radius_km`` (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h))) <= radius_km


def _same(a: tuple[Any, ...], b: tuple[Any, ...], radius_km: float) -> bool:
    """Incident rule for two (day, lat, lon, types, source_key, summary, ref) tuples in one cell
    whose days are within the window."""
    if a[4] == b[4]:
        return False  # a source does not corroborate itself (exact copies go by fingerprint)
    if a[3] and b[3] and not (a[3] & b[3]):
        return False
    both = isinstance(a[5], str) and isinstance(b[5], str) and a[5] and b[5]
    if both and not similar(_cached_tokens(a[5]), _cached_tokens(b[5]), SUMMARY_OVERLAP):
        return False
    return (a[1] == b[1] and a[2] == b[2]) or _near(a[1], a[2], b[1], b[2], radius_km)
