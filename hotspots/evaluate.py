"""Does the ranking predict where reports come next? Hit rate and PAI on a temporal split.

Train on reports before a split date, test on those after. The study area is the set of H3
cells covering the bounding box of all geolocated reports (padded by one cell). For an area
share ``a`` (1, 5, 10 %), each method flags its top ``a`` of cells; the *hit rate* is the share
of test reports inside flagged cells and the *Predictive Accuracy Index* is hit rate / ``a``
(Chainey, Tompson and Uhlig 2008). Methods:

- ``ours``: the ranking of :func:`hotspots.ranking.rank_hotspots`: FDR confidence bin of Gi*
  on the (decayed, weighted) training values, then the weighted score;
- ``gi* z only``: cells by Gi* z alone;
- ``previous counts``: cells by the number of training reports;
- ``kernel density``: cells by a Gaussian kernel density of the training reports at their
  centres (bandwidth: twice the cell edge by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspots import h3cells
from hotspots.core import neighbourhood
from hotspots.gistar import fdr_bins, gi_star
from hotspots.routes import unit_xyz
from hotspots.weights import report_weights
from intel.errors import CommandHint, CounterflowError
from intel.gazetteer import EARTH_RADIUS_KM

SHARES = (0.01, 0.05, 0.10)


@dataclass
class Evaluation:
    """The table of hit rates and PAI, and how it was made."""

    table: pd.DataFrame  # method, area, cells, hit_rate, pai
    split: dt.date
    n_train: int
    n_test: int
    n_cells: int
    resolution: int


def study_cells(lat: np.ndarray, lon: np.ndarray, resolution: int, *, max_cells: int = 400_000) -> np.ndarray:
    """H3 cells covering the padded bounding box of the points."""
    pad = h3cells.EDGE_KM[resolution] * 2 / 111.0
    lat0, lat1 = float(lat.min()) - pad, float(lat.max()) + pad
    lon0, lon1 = float(lon.min()) - pad, float(lon.max()) + pad
    # refuse from the box's area before building the cells (at a fine resolution, building them
    # all would take minutes and gigabytes only to be refused)
    mid = np.radians((lat0 + lat1) / 2)
    area_km2 = (lat1 - lat0) * 111.0 * (lon1 - lon0) * 111.0 * max(float(np.cos(mid)), 0.01)
    estimate = area_km2 / h3.average_hexagon_area(resolution, unit="km^2")
    if estimate > 1.5 * max_cells:
        raise CounterflowError(
            f"the study area has about {estimate:,.0f} cells at resolution {resolution}",
            "use a coarser H3 resolution, such as 6",
            hint=CommandHint("evaluate", "SOURCE --resolution 6"),
        )
    box = h3.LatLngPoly([(lat0, lon0), (lat0, lon1), (lat1, lon1), (lat1, lon0)])
    cells = np.array([h3.str_to_int(c) for c in h3.polygon_to_cells(box, resolution)], dtype=np.uint64)
    if len(cells) > max_cells:
        raise CounterflowError(
            f"the study area has {len(cells)} cells at resolution {resolution}",
            "use a coarser H3 resolution, such as 6",
            hint=CommandHint("evaluate", "SOURCE --resolution 6"),
        )
    return np.unique(np.concatenate((cells, h3cells.cells_of(lat, lon, resolution))))


def evaluate(
    reports: pd.DataFrame,
    *,
    split: dt.date | None = None,
    resolution: int | None = None,
    half_life_days: float = 365.0,
    bandwidth_km: float | None = None,
    shares: tuple[float, ...] = SHARES,
) -> Evaluation:
    """Hit rate and PAI of our ranking against previous-period counts and kernel density.

    Parameters
    ----------
    reports
        Frame with ``observed_on``, ``lat``, ``lon`` (others optional: weights use the
        defaults when grades are missing).
    split
        First day of the test period; default: the date that leaves the last 20 % of reports
        for testing.
    resolution
        H3 resolution; default chosen from the extent.

    Raises
    ------
    CounterflowError
        With fewer than 20 geolocated reports, or an empty train or test period.
    """
    df = reports.dropna(subset=["lat", "lon", "observed_on"]).copy()
    if len(df) < 20:
        raise CounterflowError(
            f"only {len(df)} geolocated report(s) to evaluate on",
            "evaluation needs at least 20 with dates and coordinates",
        )
    df["observed_on"] = pd.to_datetime(df["observed_on"])
    for col, default in (("reliability", "F"), ("credibility", 6), ("victim_count", 1)):
        if col not in df:
            df[col] = default
    if split is None:
        split = pd.Timestamp(str(df["observed_on"].quantile(0.8))).date()
    train = df[df["observed_on"] < pd.Timestamp(split)]
    test = df[df["observed_on"] >= pd.Timestamp(split)]
    if train.empty or test.empty:
        raise CounterflowError(
            f"the split {split} leaves {len(train)} training and {len(test)} test reports",
            "pick a split date inside the reports' date range",
        )
    lat, lon = df["lat"].to_numpy(float), df["lon"].to_numpy(float)
    if resolution is None:
        xyz = unit_xyz(np.array([lat.min(), lat.max()]), np.array([lon.min(), lon.max()]))
        extent = float(np.arccos(np.clip(xyz[0] @ xyz[1], -1, 1)) * EARTH_RADIUS_KM)
        resolution = h3cells.choose_resolution(extent, cells_across=60)
    area = study_cells(lat, lon, resolution)
    n = len(area)
    pos = {int(c): i for i, c in enumerate(area)}

    def index_of(frame: pd.DataFrame) -> np.ndarray:
        cells = h3cells.cells_of(frame["lat"].to_numpy(float), frame["lon"].to_numpy(float), resolution)
        return np.array([pos[int(c)] for c in cells], dtype=np.int64)

    tr, te = index_of(train), index_of(test)
    w_train = report_weights(train, half_life_days=half_life_days, as_of=split)["weight"].to_numpy()
    y = np.bincount(tr, weights=w_train, minlength=n)
    counts = np.bincount(tr, minlength=n).astype(float)
    # neighbourhood() appends the ring just outside the area (as zeros); only the area is scored
    units, w = neighbourhood(area, 1)
    y_units = np.zeros(len(units))
    y_units[:n] = y
    z, p = gi_star(y_units, w)
    bins = fdr_bins(z, p)[:n].astype(float)
    c_lat, c_lon = h3cells.centres(area)
    bw = bandwidth_km or 2 * float(h3cells.EDGE_KM[resolution])
    kde = _kde(c_lat, c_lon, train["lat"].to_numpy(float), train["lon"].to_numpy(float), bw)
    scores = {
        "ours (gi* bin, score)": (bins * 1e12 + y, z[:n]),
        "gi* z only": (z[:n], y),
        "previous counts": (counts, y),
        "kernel density": (kde, counts),
    }
    test_counts = np.bincount(te, minlength=n)
    rows = []
    for method, (primary, tiebreak) in scores.items():
        order = np.lexsort((-tiebreak, -primary))
        for a in shares:
            k = max(int(round(a * n)), 1)
            hits = int(test_counts[order[:k]].sum())
            rate = hits / len(te)
            rows.append({"method": method, "area": a, "cells": k, "hit_rate": rate, "pai": rate / (k / n)})
    table = pd.DataFrame(rows)
    return Evaluation(
        table=table, split=split, n_train=len(train), n_test=len(test), n_cells=n, resolution=resolution
    )


def _kde(
    c_lat: np.ndarray, c_lon: np.ndarray, p_lat: np.ndarray, p_lon: np.ndarray, bw_km: float
) -> np.ndarray:
    """Gaussian kernel density of points at cell centres (kernels cut at 4 bandwidths)."""
    tree = cKDTree(unit_xyz(p_lat, p_lon))
    centres = unit_xyz(c_lat, c_lon)
    chord = 2 * np.sin(4 * bw_km / (2 * EARTH_RADIUS_KM))
    sdm = cKDTree(centres).sparse_distance_matrix(tree, chord, output_type="coo_matrix")
    d_km = 2 * np.arcsin(np.clip(sdm.data / 2, 0, 1)) * EARTH_RADIUS_KM
    vals = np.exp(-0.5 * (d_km / bw_km) ** 2)
    return np.bincount(sdm.row, weights=vals, minlength=len(c_lat))


def read_reports_csv(path: str) -> pd.DataFrame:
    """A CSV in the generic reports format: ``date`` or ``observed_on``, and ``lat``/``lon`` (or a
    ``"lat, lon"`` ``coordinates`` column); grades and victim counts when present."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise CounterflowError(
            f"{path!r} is neither a file nor 'store'", "give a CSV of reports or the word store"
        )
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CounterflowError(
            f"{p.name} cannot be read as a CSV of reports ({type(exc).__name__})",
            "give a UTF-8 CSV with a header row: date, lat, lon (or coordinates)",
        ) from None
    cols = {c.lower().strip(): c for c in df.columns}
    date_col = cols.get("observed_on") or cols.get("date")
    if date_col is None:
        raise CounterflowError(f"{p.name} has no date column", "add a column 'date' (YYYY-MM-DD)")
    out = pd.DataFrame({"observed_on": pd.to_datetime(df[date_col], errors="coerce")})
    if "lat" in cols and "lon" in cols:
        out["lat"] = pd.to_numeric(df[cols["lat"]], errors="coerce")
        out["lon"] = pd.to_numeric(df[cols["lon"]], errors="coerce")
    elif "coordinates" in cols:
        parts = df[cols["coordinates"]].astype(str).str.split(",", n=1, expand=True)
        out["lat"] = pd.to_numeric(parts[0], errors="coerce")
        out["lon"] = pd.to_numeric(parts[1], errors="coerce") if parts.shape[1] > 1 else np.nan
    else:
        raise CounterflowError(f"{p.name} has no coordinates", "add columns lat and lon (degrees)")
    for name, default in (("reliability", "F"), ("credibility", 6), ("victim_count", 1)):
        out[name] = df[cols[name]] if name in cols else default
    out["reliability"] = out["reliability"].replace("", "F")
    out["credibility"] = pd.to_numeric(out["credibility"], errors="coerce").fillna(6).astype(int)
    out["victim_count"] = pd.to_numeric(out["victim_count"], errors="coerce").fillna(1).astype(int)
    return out
