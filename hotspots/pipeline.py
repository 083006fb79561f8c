"""The hotspot analysis the other rooms call: :func:`analyse`.

Reports (the frame of ``intel.store.load_reports``) in; scored cells and a ranked, explained
list of hotspots out. No session, no network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspots import h3cells
from hotspots.core import Cells, in_corridor, score_cells
from hotspots.emerging import (
    NO_PATTERN,
    choose_step,
    classify,
    mann_kendall,
    month_steps,
    spread_months,
)
from hotspots.forecast import FEATURES, Forecast, Grid, area_index, forecast
from hotspots.gistar import binary_weights, fdr_bins, gi_star
from hotspots.params import HotspotParams
from hotspots.ranking import rank_hotspots
from hotspots.routes import RouteSpec, route_distance, unit_xyz
from hotspots.weights import FACTORS, report_weights
from intel.errors import CommandHint, CounterflowError
from intel.gazetteer import EARTH_RADIUS_KM, get_gazetteer

log = logging.getLogger(__name__)

SET_APART_COLUMNS = ["level", "country", "area", "count", "victims", "weight"]
CELL_COLUMNS = [
    "cell", "lat", "lon", "cell_lat", "cell_lon", "place", "admin1", "country", "count", "victims",
    "weight", *FACTORS, "z", "p", "bin", "trend", "trend_z", "trend_p", "segment", "distance_km",
    "off_route_km", "extent_km", "forecast",
]  # fmt: skip


@dataclass
class HotspotResult:
    """What :func:`analyse` returns.

    Attributes
    ----------
    cells
        One row per unit of the study area (cells with reports, and their empty neighbours),
        columns ``CELL_COLUMNS``: ``lat``/``lon`` is the weighted centroid of the cell's reports
        (the cell centre for empty cells), ``count``, ``victims``, ``weight`` (the sum of report
        weights) and the mean of each weight factor (``w_reliability``, ``w_credibility``,
        ``w_victims``, ``w_recency``), Gi* ``z``, two-sided ``p``, FDR ``bin`` (-3..3), the
        emerging hot spot ``trend`` with its Mann-Kendall ``trend_z``/``trend_p``, and along a
        route its ``segment``, ``distance_km`` along it and ``off_route_km``; ``forecast``: the
        expected reports in the next ``horizon_days`` (NaN unless the method is ``forecast``).
    ranked
        The top hotspots, ``rank`` 1 first, with ``reasons`` (a dict per row) and ``extent_km``.
    params
        The :class:`HotspotParams` used (with the resolution actually chosen).
    route
        The route, or ``None``.
    n_reports
        Reports in the cells (after the corridor filter).
    notes
        Human-readable remarks (waypoint choices, reports set apart and why, time step).
    set_apart
        Reports whose place is coarser than the cells (see ``hotspots.h3cells.FINEST_RESOLUTION``),
        counted at the level their place supports, one row per ``level`` (place precision),
        ``country`` and ``area`` (the region for a region or district, the town for a town):
        ``count``, ``victims``, ``weight``. They never become a cell.
    """

    cells: pd.DataFrame
    ranked: pd.DataFrame
    params: HotspotParams
    route: RouteSpec | None
    n_reports: int
    notes: list[str] = field(default_factory=list)
    set_apart: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SET_APART_COLUMNS))

    @property
    def resolution(self) -> int | None:
        return self.params.resolution

    @property
    def n_significant(self) -> int:
        return int((self.cells["bin"] != 0).sum()) if len(self.cells) else 0

    def hotspot_frame(self) -> pd.DataFrame:
        """What a run stores: the ranked hotspots (with ``rank`` and ``reasons``) then every other
        cell that holds reports or is significant, in the columns of the ``Hotspot`` table."""
        ranked = self.ranked
        rest = self.cells[~self.cells["cell"].isin(ranked["cell"])]
        rest = rest[(rest["count"] > 0) | (rest["bin"] != 0)].copy()
        rest["rank"] = pd.NA
        rest["reasons"] = pd.Series(
            [
                {
                    "count": int(c),
                    "weight_parts": {f: None if pd.isna(r[f]) else round(float(r[f]), 3) for f in FACTORS},
                }
                for c, (_, r) in zip(rest["count"], rest.iterrows(), strict=True)
            ],
            index=rest.index,
            dtype=object,
        )
        out = pd.concat([ranked, rest], ignore_index=True)
        out["rank"] = out["rank"].astype("Int64")
        return out

    def stored_params(self) -> dict[str, Any]:
        """Parameters and context stored with the run."""
        d = self.params.to_dict()
        if self.route is not None:
            d["route"] = self.route.name
            d["waypoints"] = [w.to_dict() for w in self.route.waypoints]
        d["notes"] = list(self.notes)
        d["set_apart"] = [
            {
                k: (v.item() if isinstance(v, np.generic) else (None if v is None or v != v else v))
                for k, v in r.items()
            }
            for r in self.set_apart.to_dict(orient="records")
        ]
        return d


def analyse(
    reports: pd.DataFrame, *, route: RouteSpec | None = None, params: HotspotParams | None = None
) -> HotspotResult:
    """Score and rank hotspots.

    Parameters
    ----------
    reports
        Frame with the columns of ``intel.store.REPORT_COLUMNS`` (at least ``observed_on``,
        ``lat``, ``lon``, ``reliability``, ``credibility``, ``victim_count``); rows without
        coordinates are left out and counted in ``notes``.
    route
        A :class:`~hotspots.routes.RouteSpec` (see :func:`hotspots.routes.parse_route`); only
        reports inside its corridor are analysed, and the ranking spreads along it.
    params
        :class:`HotspotParams`; default settings if omitted.

    Returns
    -------
    HotspotResult

    Raises
    ------
    CounterflowError
        When no report has coordinates, or none is inside the corridor.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"observed_on": pd.to_datetime(["2024-01-01"] * 3), "lat": [6.3, 6.31, 9.0],
    ...     "lon": [5.6, 5.61, 7.5], "reliability": "B", "credibility": 2, "victim_count": 1})
    >>> res = analyse(df, params=HotspotParams(resolution=5, trends=False))
    >>> int(res.cells["count"].sum())
    3
    """
    params = params or HotspotParams()
    notes: list[str] = []
    if route is not None:
        params = params.with_(corridor_km=route.corridor_km)
        notes.extend(route.notes)
    reports = reports.reset_index(drop=True)
    precision = _place_precision(reports)
    has_xy = (reports["lat"].notna() & reports["lon"].notna()).to_numpy()
    placed = has_xy | reports["country"].notna().to_numpy() if "country" in reports else has_xy
    if not placed.all():
        notes.append(f"{int((~placed).sum())} report(s) with no coordinates and no country left out")
    lat_all = reports["lat"].to_numpy(float)
    lon_all = reports["lon"].to_numpy(float)
    # along a route: the reports with coordinates in its corridor, and those placed only to a
    # country (or without coordinates) in one of the route's countries
    inside = has_xy.copy()
    seg_all = np.full(len(reports), -1, dtype=np.int64)
    along_all = np.full(len(reports), np.nan)
    off_all = np.full(len(reports), np.nan)
    if route is not None:
        idx = np.flatnonzero(has_xy)
        corr = in_corridor(route, lat_all[idx], lon_all[idx])
        inside[:] = False
        inside[idx[corr.index]] = True
        seg_all[idx[corr.index]], along_all[idx[corr.index]] = corr.segment, corr.along_km
        off_all[idx[corr.index]] = corr.off_km
        countries = {w.country for w in route.waypoints if getattr(w, "country", None)}
        by_country = reports["country"].isin(countries).to_numpy() if "country" in reports else placed & False
        coarse = np.isin(precision, ("country", "unspecified")) | ~has_xy
        inside |= placed & coarse & by_country
    else:
        inside = placed.copy()
    cellable = inside & has_xy & ~np.isin(precision, ("country", "unspecified"))
    if not cellable.any():
        _no_cells(reports, inside, has_xy, route)
    resolution = params.resolution
    if resolution is None and params.unit == "h3":
        resolution = h3cells.choose_resolution(_extent_km(lat_all[cellable], lon_all[cellable], route))
        finest = h3cells.supported_resolution(precision[cellable])
        if finest is not None and finest < resolution:
            notes.append(
                f"resolution {max(finest, 2)} rather than {resolution}: most reports' places are not precise "
                f"enough for cells of {h3cells.EDGE_KM[resolution]:.1f} km"
            )
            resolution = max(finest, 2)
    params = params.with_(resolution=resolution)
    if params.unit == "place":
        fed = cellable & np.isin(precision, ("point", "town"))
    else:
        assert resolution is not None
        fed = cellable & h3cells.feeds(precision, resolution)
    apart = inside & ~fed
    set_apart = _set_apart(reports[apart], params)
    if apart.any():
        notes.append(_set_apart_note(set_apart, params))
    if not fed.any():
        raise CounterflowError(
            f"no report's place is precise enough for cells at H3 resolution {resolution} "
            f"({int(apart.sum())} report(s) set apart)",
            "use a coarser resolution, or import reports with towns or coordinates",
            hint=CommandHint("hotspots", "--resolution N"),
        )
    df = reports[fed].reset_index(drop=True)
    lat, lon = lat_all[fed], lon_all[fed]
    seg = along = off = None
    if route is not None:
        seg, along, off = seg_all[fed], along_all[fed], off_all[fed]
    wts = report_weights(df, half_life_days=params.half_life_days, as_of=params.as_of)
    weight = wts["weight"].to_numpy()
    if params.unit == "place":
        sc = _score_places(df, weight, params)
    else:
        assert resolution is not None
        sc = score_cells(lat, lon, weight, resolution=resolution, k=params.k, route=route)
    cells = _cell_frame(df, wts, sc, lat, lon, params)
    if route is not None and seg is not None and along is not None and off is not None:
        _route_columns(cells, sc, route, seg, along, off)
    if params.trends:
        step = params.time_step if params.time_step != "auto" else choose_step(df["observed_on"].to_numpy())
        notes.append(f"trends: Gi* per {step}, Mann-Kendall at 0.05")
        _trends(cells, sc, df, wts, step)
    fc = None
    if params.method == "forecast" and params.unit != "h3":
        notes.append("the forecast needs H3 cells: places are ranked by Gi* (method gi)")
        params = params.with_(method="gi")
    if params.method == "forecast":
        fc = _forecast(cells, sc, df, wts, params, notes)
    ranked = rank_hotspots(cells, params=params, route=route)
    ranked = _explain(ranked, cells, df, sc, fc)
    return HotspotResult(
        cells=cells, ranked=ranked, params=params, route=route, n_reports=len(df), notes=notes,
        set_apart=set_apart,
    )  # fmt: skip


def _place_precision(reports: pd.DataFrame) -> np.ndarray:
    """Each report's place precision; a frame without the column (or a blank) counts as points."""
    if "place_precision" not in reports:
        return np.full(len(reports), "point", dtype=object)
    # through the distinct values: one text object per precision, shared by every report of it
    # (an object of its own per report cost 40 MB and 0.1 s at 700k reports)
    cat = reports["place_precision"].astype("category")
    names = ["point" if c == "" else c for c in cat.cat.categories]
    lookup = np.array([*names, "point"], dtype=object)  # a missing value's code, -1, is the last
    return lookup[cat.cat.codes.to_numpy()]


def _no_cells(reports: pd.DataFrame, inside: np.ndarray, has_xy: np.ndarray, route: RouteSpec | None) -> None:
    """Why no report can feed a cell: none has coordinates, none is in the corridor, or every
    one is placed only to a country."""
    if not has_xy.any():
        raise CounterflowError(
            "no report has coordinates",
            "import reports that have a place or lat/lon",
            hint=CommandHint("ingest", "FILE"),
        )
    if route is not None and not (inside & has_xy).any():
        raise CounterflowError(
            f"no report lies within {route.corridor_km:g} km of the route {route.name}",
            "widen the route's corridor (in km) or check its waypoints",
            hint=CommandHint("hotspots", f'--route "{route.name}" --corridor-km KM'),
        )
    raise CounterflowError(
        "no report has a place finer than a country: they are counted per country, not in cells",
        "import reports with towns or coordinates",
        hint=CommandHint("histogram", "--by country"),
    )


def _set_apart(reports: pd.DataFrame, params: HotspotParams) -> pd.DataFrame:
    """Reports that feed no cell, counted per place precision, country and area."""
    if reports.empty:
        return pd.DataFrame(columns=SET_APART_COLUMNS)
    level = pd.Series(_place_precision(reports), index=reports.index)
    wts = report_weights(reports, half_life_days=params.half_life_days, as_of=params.as_of)
    admin1 = reports["admin1"] if "admin1" in reports else pd.Series(None, index=reports.index, dtype=object)
    place = reports["place"] if "place" in reports else pd.Series(None, index=reports.index, dtype=object)
    area = pd.Series(None, index=reports.index, dtype=object)
    area = area.where(~level.isin(["district", "region"]), admin1)
    area = area.where(~level.isin(["point", "town"]), place)
    country = (
        reports["country"] if "country" in reports else pd.Series(None, index=reports.index, dtype=object)
    )
    frame = pd.DataFrame({
        "level": level, "country": country.fillna("").astype(str), "area": area.fillna("").astype(str),
        "victims": reports["victim_count"].fillna(1).astype("int64"), "weight": wts["weight"],
    })  # fmt: skip
    out = (
        frame.groupby(["level", "country", "area"], sort=False)
        .agg(count=("victims", "size"), victims=("victims", "sum"), weight=("weight", "sum"))
        .reset_index()
    )
    out["rank_"] = out["level"].map({p: i for i, p in enumerate(h3cells.FINEST_RESOLUTION)}).fillna(0)
    out = out.sort_values(["rank_", "count"], ascending=[False, False], kind="stable").drop(columns="rank_")
    for c in ("country", "area"):
        out[c] = out[c].replace("", None)
    out["weight"] = out["weight"].round(3)
    return out[SET_APART_COLUMNS].reset_index(drop=True)


def _set_apart_note(set_apart: pd.DataFrame, params: HotspotParams) -> str:
    by_level = set_apart.groupby("level", sort=False)["count"].sum()
    parts = ", ".join(f"{int(n)} {lvl}" for lvl, n in by_level.items())
    total = int(set_apart["count"].sum())
    if params.unit == "place":
        unit = "towns"
    else:
        res = params.resolution if params.resolution is not None else 0
        unit = f"the {h3cells.EDGE_KM[res]:.1f} km cells of H3 resolution {res}"
    return (
        f"{total} report(s) set apart, their place coarser than {unit} ({parts}): counted per country "
        "and region, never as a cell"
    )


def _forecast(
    cells: pd.DataFrame,
    sc: Cells,
    df: pd.DataFrame,
    wts: pd.DataFrame,
    params: HotspotParams,
    notes: list[str],
) -> tuple[Forecast, np.ndarray]:
    """The forecast of every unit (column ``forecast``), fitted on these reports alone."""
    grid = Grid.of(sc.cells)
    unit = area_index(grid.area, sc.cells[sc.inverse])
    epoch = pd.Timestamp("1970-01-01")
    day = (pd.to_datetime(df["observed_on"]) - epoch).dt.days.to_numpy(np.int64)
    as_of = (
        pd.Timestamp(params.as_of)
        if params.as_of
        else pd.to_datetime(df["observed_on"]).max() + pd.Timedelta(days=1)
    )
    grade = (wts["w_reliability"] * wts["w_credibility"]).to_numpy(float)
    fc = forecast(grid, unit, day, grade, as_of=float((as_of - epoch).days), horizon_days=params.horizon_days)
    idx = area_index(grid.area, sc.cells)
    cells["forecast"] = fc.expected[idx]
    notes.extend(fc.notes)
    notes.append(
        f"ranked by forecast: expected reports per cell in the {params.horizon_days} days from "
        f"{as_of.date()} ({fc.method}); Gi* and the trend explain each pick"
    )
    return fc, idx


def _why(fc: Forecast, j: int, cells: pd.DataFrame, row: pd.Series) -> list[str]:
    """The top reasons behind a cell's forecast, in words, strongest first."""
    f = dict(zip(FEATURES, fc.features[j], strict=True))
    contrib = {g: float(v[0]) for g, v in fc.contributions(np.array([j])).items()}
    n90, before, n365, n_all = (int(f[k]) for k in ("n90", "n90_year_before", "n365", "n_all"))
    texts = {}
    if n90 > before:
        texts["recent"] = f"rising: {n90} reports in the last 90 days against {before} a year earlier"
    elif n90 > 0:
        texts["recent"] = f"{n90} reports in the last 90 days ({n365} in the last year)"
    else:
        texts["recent"] = f"quiet lately: the last report was {int(f['days_since_last'])} days ago"
    texts["history"] = f"{n_all} reports in all, {n365} in the last year"
    near = f"{f['ring1_n_all']:.0f} reports in the ring around it"
    cluster = _cluster(cells, str(row["cell"]))
    if cluster:
        near += f"; {cluster}"
    texts["neighbours"] = near
    texts["grade"] = f"source grade weight {f['grade']:.2f} on average (1 = reliable and confirmed)"
    if fc.density is not None:
        texts["density"] = (
            f"{float(fc.density[j]):.1f} of the {fc.expected[j]:.1f} expected come from the kernel density "
            f"of the reports around it ({fc.bandwidth_km:.0f} km bandwidth)"
        )
    order = sorted(contrib, key=lambda g: -contrib[g])
    picked = [texts[g] for g in order if contrib[g] > 0][:2] or [texts[order[0]]]
    return picked


def _cluster(cells: pd.DataFrame, cell: str) -> str | None:
    """'2 rings from Agadez's cluster (40 reports)': the busiest other cell within two rings."""
    import h3

    try:
        near = {c: h3.grid_distance(cell, c) for c in h3.grid_disk(cell, 2) if c != cell}
    except (ValueError, h3.H3BaseException):
        return None
    sub = cells[cells["cell"].isin(list(near)) & (cells["count"] > 0)]
    if sub.empty:
        return None
    top = sub.sort_values("count", ascending=False).iloc[0]
    d = near[str(top["cell"])]
    name = str(top["place"] or top["cell"]).removeprefix("near ")
    return f"{d} ring{'s' if d > 1 else ''} from {name}'s cluster ({int(top['count'])} reports)"


def _extent_km(lat: np.ndarray, lon: np.ndarray, route: RouteSpec | None) -> float:
    if route is not None:
        return route.length_km + 2 * route.corridor_km
    xyz = unit_xyz(np.array([lat.min(), lat.max()]), np.array([lon.min(), lon.max()]))
    return float(np.arccos(np.clip(xyz[0] @ xyz[1], -1, 1)) * EARTH_RADIUS_KM)


def _score_places(df: pd.DataFrame, weight: np.ndarray, params: HotspotParams) -> Cells:
    """Places as units: reports grouped by (place, country); Gi* over each place and its 8 nearest."""
    # a report without a place name belongs to the nearest gazetteer place, never to one
    # catch-all unit per country (that would pool reports hundreds of km apart)
    place = df["place"].astype(object).where(df["place"].notna() & (df["place"].astype(str) != ""), None)
    missing = place.isna().to_numpy()
    if missing.any():
        from intel.gazetteer import get_gazetteer

        gaz = get_gazetteer()
        idx = gaz.nearest_index(df["lat"].to_numpy(float)[missing], df["lon"].to_numpy(float)[missing])
        place = place.copy()
        place[missing] = gaz.places["name"].to_numpy()[idx]
    key = place.astype(str) + "|" + df["country"].fillna("").astype(str)
    codes, uniq = pd.factorize(key, sort=True)
    n = len(uniq)
    count = np.bincount(codes, minlength=n).astype(np.int64)
    wsum = np.bincount(codes, weights=weight, minlength=n)
    la = np.bincount(codes, weights=df["lat"].to_numpy(float), minlength=n) / count
    lo = np.bincount(codes, weights=df["lon"].to_numpy(float), minlength=n) / count
    kk = min(9, n)
    _, nb = cKDTree(unit_xyz(la, lo)).query(unit_xyz(la, lo), k=kk)
    nb = np.asarray(nb).reshape(n, kk)
    w = binary_weights(np.repeat(np.arange(n), kk), nb.ravel(), n)
    z, p = gi_star(wsum, w)
    sc = Cells(
        cells=np.asarray(uniq, dtype=object), n_observed=n, inverse=codes, count=count, weight=wsum,
        w=w, z=z, p=p, bin=fdr_bins(z, p), resolution=-1,
    )  # fmt: skip
    return sc


def _cell_frame(
    df: pd.DataFrame, wts: pd.DataFrame, sc: Cells, lat: np.ndarray, lon: np.ndarray, params: HotspotParams
) -> pd.DataFrame:
    n, m = len(sc.cells), sc.n_observed
    inv = sc.inverse
    wsum = np.bincount(inv, weights=wts["weight"].to_numpy(), minlength=m)
    safe = np.where(wsum > 0, wsum, 1.0)
    cnt = np.maximum(sc.count[:m], 1)
    if params.unit == "place":
        keys = [str(c) for c in sc.cells]
        c_lat = np.bincount(inv, weights=lat, minlength=m) / cnt
        c_lon = np.bincount(inv, weights=lon, minlength=m) / cnt
    else:
        keys = h3cells.to_str(sc.cells)
        c_lat, c_lon = h3cells.centres(sc.cells)
    # weighted centroid of the reports (a target's centre), the cell centre for empty cells
    g_lat = np.concatenate(
        (np.bincount(inv, weights=lat * wts["weight"].to_numpy(), minlength=m) / safe, c_lat[m:])
    )
    g_lon = np.concatenate(
        (np.bincount(inv, weights=lon * wts["weight"].to_numpy(), minlength=m) / safe, c_lon[m:])
    )
    out = pd.DataFrame(
        {"cell": keys, "lat": g_lat, "lon": g_lon, "cell_lat": c_lat[:n], "cell_lon": c_lon[:n]}
    )
    out["count"] = sc.count
    out["victims"] = _pad(
        np.bincount(inv, weights=df["victim_count"].to_numpy(float), minlength=m), n
    ).astype(np.int64)
    out["weight"] = sc.weight
    for f in FACTORS:
        out[f] = _pad(np.bincount(inv, weights=wts[f].to_numpy(), minlength=m) / cnt, n, np.nan)
    out["z"], out["p"], out["bin"] = sc.z, sc.p, sc.bin
    out["trend"] = None
    out["trend_z"] = np.nan
    out["trend_p"] = np.nan
    out["segment"] = pd.array([pd.NA] * n, dtype="Int64")
    out["distance_km"] = np.nan
    out["off_route_km"] = np.nan
    out["forecast"] = np.nan  # filled by the forecast method
    out["extent_km"] = _pad(_extents(inv, lat, lon, g_lat[:m], g_lon[:m], params, sc.resolution), n, np.nan)
    _name_cells(out, df, inv, m)
    return out[CELL_COLUMNS]


def _pad(a: np.ndarray, n: int, fill: float = 0.0) -> np.ndarray:
    return np.concatenate((a, np.full(n - len(a), fill)))


def _extents(
    inv: np.ndarray, lat: np.ndarray, lon: np.ndarray, g_lat: np.ndarray, g_lon: np.ndarray,
    params: HotspotParams, resolution: int,
) -> np.ndarray:  # fmt: skip
    """Radius around each cell's centroid covering ``extent_quantile`` of its reports (km)."""
    a = unit_xyz(lat, lon)
    b = unit_xyz(g_lat, g_lon)[inv]
    chord = np.sqrt(((a - b) ** 2).sum(axis=1))
    d = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)) * EARTH_RADIUS_KM
    order = np.lexsort((d, inv))
    inv_s, d_s = inv[order], d[order]
    starts = np.searchsorted(inv_s, np.arange(len(g_lat)))
    counts = np.bincount(inv, minlength=len(g_lat))
    pick = starts + np.maximum(np.ceil(params.extent_quantile * counts).astype(np.int64) - 1, 0)
    ext = d_s[np.minimum(pick, len(d_s) - 1)]
    floor = h3cells.EDGE_KM[resolution] if resolution >= 0 else 1.0
    return np.maximum(ext, floor)


def _mode_by_group(inv: np.ndarray, values: pd.Series, m: int) -> list[Any]:
    tmp = pd.DataFrame({"g": inv, "v": values.to_numpy()}).dropna()
    if tmp.empty:
        return [None] * m
    top = (
        tmp.groupby(["g", "v"]).size().reset_index(name="n").sort_values(["g", "n"], ascending=[True, False])
    )
    first = top.drop_duplicates("g").set_index("g")["v"].reindex(range(m))
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in first.tolist()]


def _name_cells(out: pd.DataFrame, df: pd.DataFrame, inv: np.ndarray, m: int) -> None:
    """A cell's place: the most reported place in it, else the nearest gazetteer place."""
    place = _mode_by_group(inv, df["place"].replace("", None), m) if "place" in df else [None] * m
    country = _mode_by_group(inv, df["country"].replace("", None), m) if "country" in df else [None] * m
    admin1 = _mode_by_group(inv, df["admin1"].replace("", None), m) if "admin1" in df else [None] * m
    n = len(out)
    place += [None] * (n - m)
    country += [None] * (n - m)
    admin1 += [None] * (n - m)
    missing = [i for i in range(n) if place[i] is None]
    if missing:
        gaz = get_gazetteer()
        m_lat, m_lon = out["cell_lat"].to_numpy()[missing], out["cell_lon"].to_numpy()[missing]
        idx = gaz.nearest_index(m_lat, m_lon)
        # a town people know beats the nearest hamlet or suburb: the nearest place of 50,000 or
        # more when it is within 30 km
        big_idx, big_tree = _big_places()
        dist, j = big_tree.query(unit_xyz(m_lat, m_lon))
        use_big = np.asarray(dist) <= 2 * np.sin(30.0 / (2 * EARTH_RADIUS_KM))
        idx = np.where(use_big, big_idx[np.asarray(j)], idx)
        rows = gaz.places.iloc[idx]
        names, ccs, a1s = (rows[c].tolist() for c in ("name", "country", "admin1"))
        for i, nm, cc, a1 in zip(missing, names, ccs, a1s, strict=True):
            place[i] = f"near {nm}"
            country[i] = country[i] or cc
            admin1[i] = admin1[i] or (a1 if isinstance(a1, str) else None)
    out["place"], out["country"], out["admin1"] = place, country, admin1


@lru_cache(maxsize=1)
def _big_places() -> tuple[np.ndarray, cKDTree]:
    places = get_gazetteer().places
    idx = np.flatnonzero(places["population"].to_numpy() >= 50_000)
    sub = places.iloc[idx]
    return idx, cKDTree(unit_xyz(sub["lat"].to_numpy(float), sub["lon"].to_numpy(float)))


def _route_columns(
    cells: pd.DataFrame, sc: Cells, route: RouteSpec, seg: np.ndarray, along: np.ndarray, off: np.ndarray
) -> None:
    d, s, a = route_distance(route, cells["lat"].to_numpy(), cells["lon"].to_numpy())
    cells["segment"] = pd.array(s, dtype="Int64")
    cells["distance_km"] = a
    cells["off_route_km"] = d


def _trends(cells: pd.DataFrame, sc: Cells, df: pd.DataFrame, wts: pd.DataFrame, step: str) -> None:
    """Emerging hot spot analysis. Values per step leave out the recency decay, which would
    otherwise make every location look intensifying."""
    dates = df["observed_on"].to_numpy()
    prec = df["date_precision"].to_numpy(dtype=object) if "date_precision" in df else None
    # a year-only date counts 1/12 in each month of its year up to the data's last dated month,
    # never all in January
    dated = dates if prec is None else dates[np.asarray([p != "year" for p in prec], dtype=bool)]
    until = np.asarray(dated, dtype="datetime64[M]").max() if len(dated) else None
    rows, months, share = spread_months(dates, prec, until=until)
    steps = month_steps(months, step)
    t = int(steps.max()) + 1 if len(steps) else 0
    n = len(sc.cells)
    if t < 3:
        cells["trend"] = NO_PATTERN
        return
    base = (wts["w_reliability"] * wts["w_credibility"] * wts["w_victims"]).to_numpy(float)
    y = np.bincount(steps * n + sc.inverse[rows], weights=base[rows] * share, minlength=t * n).reshape(t, n)
    zs = np.zeros((t, n))
    bins = np.zeros((t, n), dtype=np.int64)
    for i in range(t):
        z, p = gi_star(y[i], sc.w)
        zs[i], bins[i] = z, fdr_bins(z, p)
    trend = [NO_PATTERN] * n
    tz = np.full(n, np.nan)
    tp = np.full(n, np.nan)
    for j in np.flatnonzero((bins != 0).any(axis=0)):
        _, z_mk, p_mk = mann_kendall(zs[:, j].tolist())
        tz[j], tp[j] = z_mk, p_mk
        trend[j] = classify(bins[:, j].tolist(), z_mk, p_mk)
    cells["trend"], cells["trend_z"], cells["trend_p"] = trend, tz, tp


def _top(values: pd.Series, k: int = 3, *, split: bool = False) -> dict[str, int]:
    v = values.dropna().astype(str)
    if split:
        v = v.str.split("|").explode()
    v = v[v != ""]
    return {str(a): int(b) for a, b in v.value_counts().head(k).items()}


def _explain(
    ranked: pd.DataFrame, cells: pd.DataFrame, df: pd.DataFrame, sc: Cells,
    fc: tuple[Forecast, np.ndarray] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Reasons for each ranked hotspot: what a reader needs to trust (or doubt) the pick."""
    ranked = ranked.copy()
    unit_of_cell = {c: i for i, c in enumerate(cells["cell"])}
    reasons = []
    for _, r in ranked.iterrows():
        i = unit_of_cell[r["cell"]]
        sub = df[sc.inverse == i] if i < sc.n_observed else df.iloc[0:0]
        extra: dict[str, Any] = {}
        if fc is not None:
            model, idx = fc
            j = int(idx[i])
            lo, hi = model.interval(np.array([j]))
            extra = {
                "method": "forecast",
                "forecast": round(float(model.expected[j]), 2),
                "interval": [int(lo[0]), int(hi[0])],
                "horizon_days": model.horizon_days,
                "why": _why(model, j, cells, r),
            }
        reasons.append(
            {
                **extra,
                "count": int(r["count"]),
                "victims": int(r["victims"]),
                "weight": round(float(r["weight"]), 3),
                "weight_parts": {f: round(float(r[f]), 3) for f in FACTORS if pd.notna(r[f])},
                "z": round(float(r["z"]), 2),
                "p": float(f"{r['p']:.3g}"),
                "bin": int(r["bin"]),
                "significant": bool(r["bin"] > 0),
                "trend": r["trend"],
                "exploitation": _top(sub["exploitation"], split=True) if "exploitation" in sub else {},
                "countries": _top(sub["country"]) if "country" in sub else {},
                "places": _top(sub["place"]) if "place" in sub else {},
                "source_kinds": _top(sub["source_kind"]) if "source_kind" in sub else {},
                "first_seen": str(pd.to_datetime(sub["observed_on"]).min().date()) if len(sub) else None,
                "last_seen": str(pd.to_datetime(sub["observed_on"]).max().date()) if len(sub) else None,
                "distance_km": None if pd.isna(r["distance_km"]) else round(float(r["distance_km"]), 1),
                "segment": None if pd.isna(r["segment"]) else int(r["segment"]),
                "extent_km": round(float(r["extent_km"]), 1),
            }
        )
    ranked["reasons"] = pd.Series(reasons, index=ranked.index, dtype=object)
    return ranked
