"""Does a ranking predict where reports come next? A rolling-origin backtest of hit rate and PAI.

For each split date (an *origin*), every method is fitted on the reports before it and judged on
the reports of the next ``horizon_days``:

- **Study area**: the H3 cells within ``rings`` (default 2) of a *training* report, optionally
  cut to a ``mask`` of allowed cells (e.g. land). Nothing of the test period shapes it. Test
  reports outside it are misses for every method (the table says how many).
- **Hit rate and PAI**: a method flags its top ``a`` of the area's cells (``a`` = 1, 5, 10 %);
  the hit rate is the share of test reports in flagged cells and the Predictive Accuracy Index is
  hit rate / (flagged cells / area cells) (Chainey, Tompson and Uhlig 2008).
- **Ties** are broken at random, over ``seeds`` draws: each figure is the mean over the draws,
  with their range (min..max). A method with few distinct scores shows a wide range.
- **Intervals**: a bootstrap over the test reports (``n_boot`` resamples, paired across methods)
  gives a 95 % interval on each hit rate and on each ratio to previous-period counts.
- **Pooled** figures add the hits and test reports of every origin.
- **Recall-area curve**: hit rate against the share of the area flagged, as a table and a PNG.

Methods, all fitted on the training period alone:

- ``forecast``: :func:`hotspots.forecast.forecast` (expected reports next period);
- ``previous period``: reports per cell in the last ``horizon_days`` before the split;
- ``all counts``: reports per cell over the whole training period;
- ``decayed counts``: reports decayed with a half-life chosen on the training period;
- ``kernel density``: Gaussian kernel density at cell centres, bandwidth chosen on the training
  period;
- ``gi* z``: Gi* z of the grade- and recency-weighted counts (the cell and its first ring);
- ``gi* bin, weight``: the former route ranking (FDR confidence bin, then weighted count).

A half-life or bandwidth is chosen on a validation window inside the training period (the last
``horizon_days`` before the split, scored with the reports before it) by the mean hit rate at 1
and 5 %.

Placeholder locations (the IOM "Unspecified location ..." rows, whose coordinates are an
administrative centroid) are left out by default (``placeholders="drop"``): they would put
reports at the same centroid year after year and flatter or drive every method. ``"keep"``
measures with them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspots import h3cells
from hotspots.forecast import Grid, area_index, forecast
from hotspots.gistar import fdr_bins, gi_star
from hotspots.params import CREDIBILITY_WEIGHT, RELIABILITY_WEIGHT
from hotspots.routes import unit_xyz
from intel.errors import CommandHint, CounterflowError
from intel.gazetteer import EARTH_RADIUS_KM

SHARES = (0.01, 0.05, 0.10)
#: Shares of the area at which the recall-area curve is tabled.
CURVE_SHARES = (0.005, 0.01, 0.02, 0.05, 0.10, 0.20, 0.30, 0.50, 1.0)
METHODS = (
    "forecast", "previous period", "all counts", "decayed counts", "kernel density", "gi* z",
    "gi* bin, weight",
)  # fmt: skip
HALF_LIVES = (30.0, 90.0, 180.0, 365.0, 730.0)
BANDWIDTH_EDGES = (0.5, 1.0, 2.0, 4.0, 8.0)
_PLACEHOLDER = re.compile(r"(^|\s-\s)\s*unspecified\b", re.IGNORECASE)


def is_placeholder(reports: pd.DataFrame) -> pd.Series:
    """Reports whose location is a placeholder ("Unspecified location in ...", the IOM convention),
    read from a ``location`` column or, failing that, the ``summary`` ("cause - location")."""
    for col in ("location", "summary"):
        if col in reports:
            text = reports[col].astype(object).where(reports[col].notna(), "").astype(str)
            return text.map(lambda s: bool(_PLACEHOLDER.search(s))).astype(bool)
    return pd.Series(False, index=reports.index)


@dataclass
class Backtest:
    """A rolling-origin backtest: per-origin and pooled tables, the curve, and how it was made.

    Attributes
    ----------
    table
        One row per origin x method x area share: ``split``, ``method``, ``area``, ``cells``,
        ``hit_rate`` (mean over tie draws), ``tie_min``/``tie_max``, ``ci_lo``/``ci_hi``
        (bootstrap 95 %), ``pai``.
    pooled
        The same over all origins (hits and test reports summed), with ``ratio`` to previous
        period counts and its bootstrap interval ``ratio_lo``/``ratio_hi``.
    curve
        Pooled hit rate at each share of :data:`CURVE_SHARES` per method.
    origins
        Per origin: ``split``, ``n_train``, ``n_test``, ``n_cells``, ``in_area`` (test reports
        inside the study area), chosen ``half_life``, ``bandwidth_km``, ``forecast`` model notes.
    """

    table: pd.DataFrame
    pooled: pd.DataFrame
    curve: pd.DataFrame
    origins: pd.DataFrame
    resolution: int
    horizon_days: int
    rings: int
    seeds: int
    n_boot: int
    notes: list[str] = field(default_factory=list)


def _prepare(reports: pd.DataFrame, placeholders: str) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    if placeholders not in ("drop", "keep"):
        raise CounterflowError(f"placeholders was {placeholders!r}", "use drop or keep")
    bad = reports["lat"].isna() | reports["lon"].isna() | reports["observed_on"].isna()
    if bad.any():
        notes.append(f"{int(bad.sum())} report(s) without a date or coordinates left out")
    df = reports[~bad].copy()
    ph = is_placeholder(df)
    if ph.any():
        if placeholders == "drop":
            notes.append(f"{int(ph.sum())} report(s) at a placeholder location left out")
            df = df[~ph]
        else:
            notes.append(f"{int(ph.sum())} report(s) at a placeholder location kept")
    if len(df) < 20:
        raise CounterflowError(
            f"only {len(df)} geolocated report(s) to evaluate on",
            "evaluation needs at least 20 with dates and coordinates",
        )
    df["observed_on"] = pd.to_datetime(df["observed_on"])
    return df.reset_index(drop=True), notes


def default_splits(last: dt.date, horizon_days: int, n: int) -> list[dt.date]:
    """``n`` origins, one horizon apart, the last leaving one horizon of test before ``last``.

    >>> default_splits(dt.date(2019, 10, 31), 365, 2)
    [datetime.date(2017, 11, 1), datetime.date(2018, 11, 1)]
    """
    end = last + dt.timedelta(days=1)
    return [end - dt.timedelta(days=horizon_days * i) for i in range(n, 0, -1)]


def backtest(
    reports: pd.DataFrame,
    *,
    splits: list[dt.date] | None = None,
    n_splits: int = 3,
    horizon_days: int = 365,
    resolution: int | None = None,
    rings: int = 2,
    mask: np.ndarray | None = None,
    seeds: int = 20,
    n_boot: int = 500,
    shares: tuple[float, ...] = SHARES,
    placeholders: str = "drop",
    methods: tuple[str, ...] = METHODS,
) -> Backtest:
    """Rolling-origin backtest of the forecast against the baselines (see the module docstring).

    Parameters
    ----------
    reports
        Frame with ``observed_on``, ``lat``, ``lon``; ``reliability``, ``credibility`` and
        ``victim_count`` when known; ``location`` or ``summary`` to spot placeholders.
    splits
        Origins (first day of each test period); default ``n_splits`` of them, one horizon
        apart, ending with the data.
    horizon_days
        Length of each test period (and of the "previous period").
    resolution
        H3 resolution; default from the extent of the reports (as ``counterflow hotspots``).
    rings
        The study area is the cells within this many rings of a training report.
    mask
        Allowed cells (``uint64`` H3 at ``resolution``), e.g. land; ``None`` allows all.
    seeds, n_boot
        Random tie-break draws and bootstrap resamples.
    placeholders
        ``"drop"`` (default) or ``"keep"`` reports at placeholder locations.

    Raises
    ------
    CounterflowError
        With fewer than 20 usable reports, or no origin with both training and test reports.
    """
    df, notes = _prepare(reports, placeholders)
    if horizon_days < 7:
        raise CounterflowError(f"horizon was {horizon_days} days", "give a test period of 7 days or more")
    lat, lon = df["lat"].to_numpy(float), df["lon"].to_numpy(float)
    if resolution is None:
        xyz = unit_xyz(np.array([lat.min(), lat.max()]), np.array([lon.min(), lon.max()]))
        extent = float(np.arccos(np.clip(xyz[0] @ xyz[1], -1, 1)) * EARTH_RADIUS_KM)
        resolution = h3cells.choose_resolution(extent)
    cells = h3cells.cells_of(lat, lon, resolution)
    epoch = pd.Timestamp("1970-01-01")
    day = ((df["observed_on"] - epoch).dt.days).to_numpy(np.int64)
    rel = df["reliability"] if "reliability" in df else pd.Series("F", index=df.index)
    cred = df["credibility"] if "credibility" in df else pd.Series(6, index=df.index)
    grade = rel.map(RELIABILITY_WEIGHT).fillna(0.5).to_numpy(float) * pd.to_numeric(
        cred, errors="coerce"
    ).map(CREDIBILITY_WEIGHT).fillna(0.5).to_numpy(float)
    vic = pd.to_numeric(df["victim_count"], errors="coerce") if "victim_count" in df else None
    w_victims = (
        1.0 + np.log(np.maximum(vic.fillna(1).to_numpy(float), 1.0)) if vic is not None else np.ones(len(df))
    )
    if splits is None:
        splits = default_splits(df["observed_on"].max().date(), horizon_days, n_splits)
    rng = np.random.default_rng(12345)
    rows, curves, origins, boot = [], [], [], []
    for split in sorted(splits):
        s_day = int((pd.Timestamp(split) - epoch).days)
        tr = day < s_day
        te = (day >= s_day) & (day < s_day + horizon_days)
        if tr.sum() < 10 or te.sum() == 0:
            notes.append(f"origin {split} skipped: {int(tr.sum())} training and {int(te.sum())} test reports")
            continue
        area = np.unique(h3cells.disks(np.unique(cells[tr]), rings)[1])
        if mask is not None:
            area = np.intersect1d(area, np.asarray(mask, np.uint64))
        grid = Grid.of(area)
        unit = area_index(grid.area, cells)
        n = len(grid.area)
        test_counts = np.bincount(unit[te & (unit >= 0)], minlength=n)
        scores, info = _method_scores(
            grid, unit, day, grade, w_victims, s_day, horizon_days, lat, lon, tr, resolution, methods
        )
        test_units = unit[te]
        draws = rng.integers(0, te.sum(), size=(n_boot, int(te.sum())))
        per_method: dict[str, dict[float, np.ndarray]] = {}
        for method in methods:
            score = scores[method]
            res = _hits(score, test_counts, shares, CURVE_SHARES, seeds, rng)
            per_method[method] = {}
            for a, (k, hits, flag_p) in res["shares"].items():
                p_report = np.where(test_units >= 0, flag_p[np.maximum(test_units, 0)], 0.0)
                per_method[method][a] = p_report
                b = p_report[draws].mean(axis=1)
                rows.append(
                    {"split": split, "method": method, "area": a, "cells": k,
                     "hit_rate": hits.mean() / te.sum(), "tie_min": hits.min() / te.sum(),
                     "tie_max": hits.max() / te.sum(), "ci_lo": float(np.quantile(b, 0.025)),
                     "ci_hi": float(np.quantile(b, 0.975)), "pai": hits.mean() / te.sum() / (k / n),
                     "hits": hits.mean(), "n_test": int(te.sum())}
                )  # fmt: skip
            for a, h in res["curve"].items():
                curves.append(
                    {"split": split, "method": method, "area": a, "hits": h, "n_test": int(te.sum())}
                )
        boot.append((per_method, draws))
        origins.append(
            {"split": split, "n_train": int(tr.sum()), "n_test": int(te.sum()), "n_cells": n,
             "in_area": int((test_units >= 0).sum()), **info}
        )  # fmt: skip
    if not rows:
        raise CounterflowError(
            "no origin has both training and test reports",
            "pick split dates inside the reports' date range, with reports before and after",
            hint=CommandHint("evaluate", "SOURCE --split YYYY-MM-DD"),
        )
    table = pd.DataFrame(rows)
    pooled = _pool(table, boot, methods, shares)
    cv = pd.DataFrame(curves).groupby(["method", "area"], sort=False)[["hits", "n_test"]].sum().reset_index()
    cv["hit_rate"] = cv["hits"] / cv["n_test"]
    return Backtest(
        table=table.drop(columns=["hits"]), pooled=pooled, curve=cv[["method", "area", "hit_rate"]],
        origins=pd.DataFrame(origins), resolution=resolution, horizon_days=horizon_days, rings=rings,
        seeds=seeds, n_boot=n_boot, notes=notes,
    )  # fmt: skip


def _pool(
    table: pd.DataFrame, boot: list, methods: tuple[str, ...], shares: tuple[float, ...]
) -> pd.DataFrame:
    """Pooled figures over origins; bootstrap by resampling each origin's test reports (paired)."""
    out = []
    n_test = sum(len(d[0]) for _, d in boot)
    for a in shares:
        sums: dict[str, np.ndarray] = {}
        for m in methods:
            sums[m] = sum(pm[m][a][draws].sum(axis=1) for pm, draws in boot) / n_test
        for m in methods:
            t = table[(table["method"] == m) & (table["area"] == a)]
            rate = float(t["hits"].sum() / t["n_test"].sum())
            # tie ranges add up across origins only as bounds: the sum of per-origin extremes
            lo = float((t["tie_min"] * t["n_test"]).sum() / t["n_test"].sum())
            hi = float((t["tie_max"] * t["n_test"]).sum() / t["n_test"].sum())
            row = {"method": m, "area": a, "hit_rate": rate, "tie_min": lo, "tie_max": hi,
                   "ci_lo": float(np.quantile(sums[m], 0.025)), "ci_hi": float(np.quantile(sums[m], 0.975)),
                   "pai": float(np.average(t["pai"], weights=t["n_test"]))}  # fmt: skip
            if "previous period" in sums:
                base = table[(table["method"] == "previous period") & (table["area"] == a)]["hits"].sum()
                ratio = np.divide(sums[m], sums["previous period"], out=np.full(len(sums[m]), np.nan),
                                  where=sums["previous period"] > 0)  # fmt: skip
                row["ratio"] = float(t["hits"].sum() / base) if base > 0 else float("nan")
                row["ratio_lo"] = (
                    float(np.nanquantile(ratio, 0.025)) if np.isfinite(ratio).any() else float("nan")
                )
                row["ratio_hi"] = (
                    float(np.nanquantile(ratio, 0.975)) if np.isfinite(ratio).any() else float("nan")
                )
            out.append(row)
    return pd.DataFrame(out)


def _hits(
    score: np.ndarray, test_counts: np.ndarray, shares: tuple[float, ...], curve: tuple[float, ...],
    seeds: int, rng: np.random.Generator,
) -> dict:  # fmt: skip
    """Hits at each share over ``seeds`` random tie orders: (cells, hits per draw, flag frequency)."""
    n = len(score)
    ks = {a: max(int(round(a * n)), 1) for a in shares}
    hits = {a: np.zeros(seeds) for a in shares}
    flag = {a: np.zeros(n) for a in shares}
    cks = {a: max(int(round(a * n)), 1) for a in curve}
    chits = {a: 0.0 for a in curve}
    for s in range(seeds):
        order = np.lexsort((rng.random(n), -np.asarray(score, float)))
        cum = np.cumsum(test_counts[order])
        for a, k in ks.items():
            hits[a][s] = cum[k - 1]
            flag[a][order[:k]] += 1
        for a, k in cks.items():
            chits[a] += cum[k - 1] / seeds
    return {
        "shares": {a: (ks[a], hits[a], flag[a] / seeds) for a in shares},
        "curve": chits,
    }


def expected_hits(score: np.ndarray, test_counts: np.ndarray, k: int) -> float:
    """Hits of the top ``k`` cells averaged over every order of the tied cells (exact).

    >>> expected_hits(np.array([3.0, 1, 1, 1, 1]), np.array([2, 1, 0, 0, 0]), 3)
    2.5
    """
    score = np.asarray(score, float)
    order = np.sort(score)[::-1]
    thr = order[k - 1]
    above = score > thr
    tied = score == thr
    slots = k - int(above.sum())
    return float(test_counts[above].sum() + test_counts[tied].sum() * slots / tied.sum())


def _choose(candidates: dict[float, np.ndarray], val_counts: np.ndarray) -> float:
    """The candidate with the best mean expected hit rate at 1 and 5 % on the validation window."""
    n = len(val_counts)
    best, best_v = next(iter(candidates)), -1.0
    for key, sc in candidates.items():
        v = sum(expected_hits(sc, val_counts, max(int(round(a * n)), 1)) for a in (0.01, 0.05))
        if v > best_v + 1e-12:
            best, best_v = key, v
    return best


def _method_scores(
    grid: Grid, unit: np.ndarray, day: np.ndarray, grade: np.ndarray, w_victims: np.ndarray, s_day: int,
    horizon: int, lat: np.ndarray, lon: np.ndarray, tr: np.ndarray, resolution: int, methods: tuple[str, ...],
) -> tuple[dict[str, np.ndarray], dict]:  # fmt: skip
    n = len(grid.area)
    inside = unit >= 0
    age = (s_day - day).astype(float)
    scores: dict[str, np.ndarray] = {}
    info: dict = {}
    scores["all counts"] = np.bincount(unit[tr & inside], minlength=n).astype(float)
    prev = tr & inside & (age <= horizon)
    scores["previous period"] = np.bincount(unit[prev], minlength=n).astype(float)
    # validation inside the training period: fit before v_day, judge on [v_day, s_day)
    v_day = s_day - horizon
    fit = tr & inside & (day < v_day)
    val = tr & inside & (day >= v_day)
    val_counts = np.bincount(unit[val], minlength=n)
    v_age = (v_day - day).astype(float)

    def decayed(mask: np.ndarray, ages: np.ndarray, hl: float) -> np.ndarray:
        return np.bincount(unit[mask], weights=np.power(0.5, ages[mask] / hl), minlength=n)

    hl = _choose({h: decayed(fit, v_age, h) for h in HALF_LIVES}, val_counts) if val.any() else 365.0
    scores["decayed counts"] = decayed(tr & inside, age, hl)
    info["half_life"] = hl
    if "kernel density" in methods:
        c_lat, c_lon = h3cells.centres(grid.area)
        edge = float(h3cells.EDGE_KM[resolution])
        if val.any() and fit.any():
            cands = {b * edge: _kde(c_lat, c_lon, lat[fit], lon[fit], b * edge) for b in BANDWIDTH_EDGES}
            bw = _choose(cands, val_counts)
        else:
            bw = 2 * edge
        scores["kernel density"] = _kde(c_lat, c_lon, lat[tr], lon[tr], bw)
        info["bandwidth_km"] = round(bw, 1)
    y = np.bincount(
        unit[tr & inside], weights=(grade * w_victims * np.power(0.5, age / 365.0))[tr & inside], minlength=n
    )
    z, p = gi_star(y, grid.d1)
    scores["gi* z"] = z
    scores["gi* bin, weight"] = fdr_bins(z, p) * 1e12 + y
    if "forecast" in methods:
        fc = forecast(grid, unit, day, grade, as_of=s_day, horizon_days=horizon)
        scores["forecast"] = fc.expected
        info["forecast"] = (
            f"{fc.n_iter} iterations, density weight {fc.density_weight:g}"
            + (f" at {fc.bandwidth_km:.0f} km" if fc.density_weight > 0 else "")
            if fc.method.startswith("boosting")
            else fc.method
        )
    return {m: scores[m] for m in methods}, info


def _kde(
    c_lat: np.ndarray, c_lon: np.ndarray, p_lat: np.ndarray, p_lon: np.ndarray, bw_km: float
) -> np.ndarray:
    """Gaussian kernel density of points at cell centres (kernels cut at 4 bandwidths)."""
    if len(p_lat) == 0:
        return np.zeros(len(c_lat))
    tree = cKDTree(unit_xyz(p_lat, p_lon))
    centres = unit_xyz(c_lat, c_lon)
    chord = 2 * np.sin(4 * bw_km / (2 * EARTH_RADIUS_KM))
    sdm = cKDTree(centres).sparse_distance_matrix(tree, chord, output_type="coo_matrix")
    d_km = 2 * np.arcsin(np.clip(sdm.data / 2, 0, 1)) * EARTH_RADIUS_KM
    vals = np.exp(-0.5 * (d_km / bw_km) ** 2)
    return np.bincount(sdm.row, weights=vals, minlength=len(c_lat))


def curve_png(bt: Backtest, path: Path, *, title: str | None = None) -> Path:
    """The pooled recall-area curve of every method (share of the area flagged against the share
    of test reports caught), log-scaled area axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
    for m, g in bt.curve.groupby("method", sort=False):
        ax.plot(
            g["area"] * 100, g["hit_rate"] * 100, marker="o", ms=3, lw=2 if m == "forecast" else 1, label=m
        )
    ax.set_xscale("log")
    ax.set_xlabel("share of the study area flagged (%)")
    ax.set_ylabel("share of test reports in flagged cells (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or f"recall-area, {len(bt.origins)} origin(s), H3 resolution {bt.resolution}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def read_reports_csv(path: str) -> pd.DataFrame:
    """A CSV of reports: ``date`` or ``observed_on`` (or the IOM export's ``Reported Date``), and
    ``lat``/``lon`` or a ``"lat, lon"`` ``coordinates`` column (or ``Location Coordinates``);
    grades, victim counts, ``location`` (or ``Location Description``) and ``region`` (or ``Region
    of Incident``) when present. Rows whose date or coordinates do not read are kept with
    missing values, and the evaluation counts them in its notes."""
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
    date_col = cols.get("observed_on") or cols.get("date") or cols.get("reported date")
    if date_col is None:
        raise CounterflowError(f"{p.name} has no date column", "add a column 'date' (YYYY-MM-DD)")
    out = pd.DataFrame({"observed_on": pd.to_datetime(df[date_col], errors="coerce", format="mixed")})
    if "lat" in cols and "lon" in cols:
        out["lat"] = pd.to_numeric(df[cols["lat"]], errors="coerce")
        out["lon"] = pd.to_numeric(df[cols["lon"]], errors="coerce")
    elif "coordinates" in cols or "location coordinates" in cols:
        parts = (
            df[cols.get("coordinates") or cols["location coordinates"]]
            .astype(str)
            .str.split(",", n=1, expand=True)
        )
        out["lat"] = pd.to_numeric(parts[0], errors="coerce")
        out["lon"] = pd.to_numeric(parts[1], errors="coerce") if parts.shape[1] > 1 else np.nan
    else:
        raise CounterflowError(f"{p.name} has no coordinates", "add columns lat and lon (degrees)")
    for name, default in (("reliability", "F"), ("credibility", 6), ("victim_count", 1)):
        out[name] = df[cols[name]] if name in cols else default
    for name, aliases in (
        ("location", ("location", "location description")),
        ("region", ("region", "region of incident")),
    ):
        col = next((cols[a] for a in aliases if a in cols), None)
        if col is not None:
            out[name] = df[col]
    if "source quality" in cols and "credibility" not in cols:  # IOM: 5 official .. 1 one media source
        q = pd.to_numeric(df[cols["source quality"]], errors="coerce")
        out["credibility"] = (6 - q).where(q.between(1, 5), 6)
    if "total dead and missing" in cols and "victim_count" not in cols:
        out["victim_count"] = df[cols["total dead and missing"]]
    out["reliability"] = out["reliability"].replace("", "F")
    out["credibility"] = pd.to_numeric(out["credibility"], errors="coerce").fillna(6).astype(int)
    out["victim_count"] = pd.to_numeric(out["victim_count"], errors="coerce").fillna(1).astype(int)
    return out
