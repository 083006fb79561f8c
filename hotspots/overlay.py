"""Partner sites over a hotspot run: a risk indicator per site, with the words behind it.

A partner (a business checking its supply chain) gives its sites, each with a place and a good.
Each site gets, from a stored hotspot run and the US Department of Labor's 2022 list of goods
(:mod:`intel.goods`):

- the H3 cell at its place (at the run's resolution), that cell's Gi* ``bin`` (FDR-corrected,
  -3..3), its forecast (expected reports over the run's horizon, where the run stored one) and
  its emerging hot spot ``trend``;
- ``nearest_km``: the great-circle distance to the nearest significant hotspot (a cell of the
  run with ``bin`` > 0, at its stored point, the weighted centre of its reports); 0 when the
  site's own cell is one;
- whether its country and good are listed for forced labour or child labour (a good listed for
  its inputs counts through the input's country);
- ``country_hotspots`` and ``country_forecast``: the run's significant cells in the site's
  country and the forecast summed over the country's cells. These are the only hotspot figures
  a site placed only to its country gets: its place supports no finer answer;
- ``types_nearby``: the exploitation types of the reports within ``NEARBY_KM`` (50 km) of the
  centre of the site's 0.1-degree square (at most 8 km from the site), or in its country for a site placed only to its country, counted by type, a count under
  ``k`` (11, as in every partner export) shown as ``<k``. Never a report, a place or a date.

**The score** (0 to 100) is a weighted sum, each part in the output with its words:

=====================  ======  ===================================================================
part                   points  when
=====================  ======  ===================================================================
``forced_labour``        30    the country's good is on the DoL list for forced labour
``child_labour``         20    ... for child labour
``in_hotspot``           25    the site's cell is a significant hotspot (``bin`` > 0)
``near_hotspot``         15    x 0.5 ** (nearest_km / 50): full at 0 km, half at 50 km, a quarter
                               at 100 km; 0 when the run has no significant hotspot
``rising``               10    the site's cell has a rising trend (new, consecutive or
                               intensifying hot spot)
=====================  ======  ===================================================================

A site placed only to its country has no cell: its hotspot parts are 0 and the output says so.
Nothing says whether a cell holds reports or how many: a partner sees significance, forecast
and trend, never a count.
The score is a **risk indicator for due diligence, never an accusation**: it says where the
intelligence and the DoL list point, not what happens at a site. Partner sites never enter the
store or a run; this module only reads the run's cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspots import h3cells
from hotspots.routes import unit_xyz
from intel.countries import country_name
from intel.errors import CommandHint, CounterflowError
from intel.gazetteer import EARTH_RADIUS_KM
from intel.goods import EDITION, listing

#: The points of each part of the score (they sum to 100).
WEIGHTS: dict[str, float] = {
    "forced_labour": 30.0,
    "child_labour": 20.0,
    "in_hotspot": 25.0,
    "near_hotspot": 15.0,
    "rising": 10.0,
}
#: Distance at which ``near_hotspot`` is worth half its points.
HALF_KM = 50.0
#: Radius of ``types_nearby``, from the centre of the site's square of ``GRID_DEG`` degrees.
NEARBY_KM = 50.0
GRID_DEG = 0.1
#: Trend classes that count as rising.
RISING = frozenset({"new hot spot", "consecutive hot spot", "intensifying hot spot"})
#: Said with every output.
DISCLAIMER = (
    "A risk indicator for due diligence, never an accusation: it says where counterflow's "
    "intelligence and the US Department of Labor's 2022 list point, not what happens at a site."
)

#: The column every row of the outputs carries, so that no extract of them loses it.
READ_AS = "risk indicator for due diligence, not an accusation"

#: Columns of a sites frame (what ``intel.partner_sites.read_sites`` gives).
SITE_COLUMNS = ["id", "line", "lat", "lon", "country", "good", "sector", "precision", "place"]
SCORED_COLUMNS = [
    "rank", "id", "score", "country", "country_name", "good", "sector", "place", "precision",
    "lat", "lon", "cell", "bin", "forecast", "trend", "nearest_km", "country_hotspots", "country_forecast",
    "types_nearby", "dol_forced_labour", "dol_child_labour",
    *(f"points_{k}" for k in WEIGHTS), "reasons", "line", "read_as",
]  # fmt: skip


@dataclass
class Overlay:
    """What :func:`score_sites` returns: the ranked sites and the summary per country and good."""

    sites: pd.DataFrame
    summary: pd.DataFrame
    run_id: int | None
    notes: list[str]


def near_points(km: np.ndarray) -> np.ndarray:
    """The ``near_hotspot`` points at a distance (NaN: no hotspot, 0 points).

    >>> near_points(np.array([0.0, 50.0, 100.0, np.nan])).round(2).tolist()
    [15.0, 7.5, 3.75, 0.0]
    """
    out = WEIGHTS["near_hotspot"] * np.power(0.5, np.asarray(km, float) / HALF_KM)
    return np.where(np.isnan(out), 0.0, out)


def _nearest_km(lat: np.ndarray, lon: np.ndarray, hot_lat: np.ndarray, hot_lon: np.ndarray) -> np.ndarray:
    """Great-circle km from each point to the nearest of the hot points (NaN without any)."""
    out = np.full(len(lat), np.nan)
    ok = ~(np.isnan(lat) | np.isnan(lon))
    if len(hot_lat) == 0 or not ok.any():
        return out
    tree = cKDTree(unit_xyz(hot_lat, hot_lon))
    chord, _ = tree.query(unit_xyz(lat[ok], lon[ok]))
    out[ok] = 2.0 * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0)) * EARTH_RADIUS_KM
    return out


def _forecast_of(reasons: object) -> float:
    if isinstance(reasons, dict) and reasons.get("forecast") is not None:
        return float(reasons["forecast"])
    return float("nan")


def _chord(km: float) -> float:
    return float(2.0 * np.sin(km / EARTH_RADIUS_KM / 2.0))


def types_nearby(sites: pd.DataFrame, reports: pd.DataFrame | None, *, k: int) -> list[str]:
    """Per site, the exploitation types of the reports within ``NEARBY_KM`` of its ``GRID_DEG``
    square's centre (placed sites) or in its country (sites placed only to their country), as "label n; label <k", most first.

    >>> reps = pd.DataFrame({"lat": [6.3] * 12 + [9.0], "lon": [5.6] * 13, "country": ["NG"] * 13,
    ...                      "exploitation": ["sexual"] * 12 + ["forced_labour"]})
    >>> s = pd.DataFrame({"lat": [6.31, np.nan, 30.0], "lon": [5.6, np.nan, 5.6], "country": ["NG", "NG", "LY"]})
    >>> types_nearby(s, reps, k=11)
    ['sexual exploitation 12', 'sexual exploitation 12; forced labour <11', '']
    """
    from intel.taxonomy import term

    n = len(sites)
    if reports is None or reports.empty or n == 0:
        return [""] * n
    reps = reports[["lat", "lon", "country", "exploitation"]].copy()
    reps["type"] = reps["exploitation"].fillna("").astype(str).str.split("|")
    reps = reps.explode("type")
    reps = reps[reps["type"] != ""]
    lat = sites["lat"].to_numpy(float)
    lon = sites["lon"].to_numpy(float)
    placed = ~(np.isnan(lat) | np.isnan(lon))
    # counted from the centre of the site's GRID_DEG square (at most 8 km off), or for its
    # country: every site of one square (one country) shares one look-up and one wording, and a
    # count never pins a site closer than its square
    cols = round(360 / GRID_DEG) + 1  # a square's key: (row + half the rows) * cols + col + half the cols
    row = np.round(lat[placed] / GRID_DEG).astype(np.int64) + round(90 / GRID_DEG)
    cell_key = row * cols + np.round(lon[placed] / GRID_DEG).astype(np.int64) + round(180 / GRID_DEG)
    squares, square_of = np.unique(cell_key, return_inverse=True)
    countries, country_of = np.unique(
        sites["country"].fillna("").astype(str).to_numpy()[~placed], return_inverse=True
    )
    centres = unit_xyz(
        (squares // cols - round(90 / GRID_DEG)) * GRID_DEG,
        (squares % cols - round(180 / GRID_DEG)) * GRID_DEG,
    )
    labels: list[str] = []
    columns: list[np.ndarray] = []  # per type: the count of each square, then of each country
    for code, group in reps.groupby("type"):
        pts = group.dropna(subset=["lat", "lon"])
        per_square = np.zeros(len(squares), dtype=np.int64)
        if len(squares) and len(pts):
            tree = cKDTree(unit_xyz(pts["lat"].to_numpy(float), pts["lon"].to_numpy(float)))
            per_square = np.asarray(tree.query_ball_point(centres, r=_chord(NEARBY_KM), return_length=True))
        per_country = pd.Series(countries).map(group["country"].value_counts()).fillna(0).to_numpy(np.int64)
        both = np.concatenate([per_square, per_country])
        if both.any():
            try:
                labels.append(term("exploitation", str(code)).label)
            except Exception:  # a code the taxonomy no longer has keeps its code
                labels.append(str(code))
            columns.append(both)
    if not labels:
        return [""] * n

    def words(row: list[int]) -> str:
        order = sorted(((c, lb) for c, lb in zip(row, labels, strict=True) if c > 0), reverse=True)
        return "; ".join(f"{lb} {c if c >= k else f'<{k}'}" for c, lb in order)

    said = np.array([words(r) for r in np.column_stack(columns).tolist()], dtype=object)
    key = np.empty(n, dtype=np.int64)
    key[placed] = square_of.reshape(-1)
    key[~placed] = len(squares) + country_of.reshape(-1)
    out: list[str] = said[key].tolist()
    return out


def score_sites(
    sites: pd.DataFrame,
    cells: pd.DataFrame,
    *,
    resolution: int | None,
    run_id: int | None = None,
    reports: pd.DataFrame | None = None,
    k: int = 11,
) -> Overlay:
    """Score each site against a run's stored cells (``intel.hotspot_store.load_run``'s frame).

    ``resolution`` is the run's H3 resolution; a run of places (no resolution) is refused.
    ``reports`` (``intel.store.load_reports``'s frame) gives ``types_nearby``, counts under
    ``k`` suppressed. Sites come ranked, highest score first (ties by id).
    """
    if resolution is None:
        raise CounterflowError(
            f"hotspot run {run_id} ranks places, not H3 cells, so a site has no cell in it",
            "pick a run made on H3 cells (the default unit), or run the hotspots again on cells",
            hint=CommandHint("hotspots", "--unit h3"),
        )
    notes: list[str] = []
    n = len(sites)
    lat = sites["lat"].to_numpy(float)
    lon = sites["lon"].to_numpy(float)
    placed = ~(np.isnan(lat) | np.isnan(lon))
    site_cells = np.full(n, "", dtype=object)
    if placed.any():
        site_cells[placed] = h3cells.to_str(h3cells.cells_of(lat[placed], lon[placed], resolution))

    run_cells = cells.drop_duplicates("cell").set_index("cell")
    in_run = pd.Series(site_cells).isin(run_cells.index).to_numpy()
    looked = pd.Series(site_cells).where(in_run)
    bins = looked.map(run_cells["bin"]).fillna(0).astype(int).to_numpy()
    trends = looked.map(run_cells["trend"]).to_numpy(dtype=object)
    forecasts = looked.map(run_cells["reasons"].map(_forecast_of)).to_numpy(float)

    hot = cells[cells["bin"] > 0]
    if hot.empty:
        notes.append("the run has no significant hotspot: no site gets points for being in or near one")
    nearest = _nearest_km(lat, lon, hot["lat"].to_numpy(float), hot["lon"].to_numpy(float))
    inside = bins > 0
    nearest = np.where(inside, 0.0, nearest)
    rising = np.array([isinstance(t, str) and t in RISING for t in trends], dtype=bool)
    cell_country = cells["country"] if "country" in cells else pd.Series("", index=cells.index)
    by_country = pd.DataFrame(
        {"country": cell_country.fillna("").astype(str), "hot": cells["bin"] > 0,
         "fc": cells["reasons"].map(_forecast_of) if "reasons" in cells else np.nan}
    ).groupby("country").agg(hot=("hot", "sum"), fc=("fc", "sum"))  # fmt: skip
    site_country = sites["country"].fillna("").astype(str)
    country_hot = site_country.map(by_country["hot"]).fillna(0).astype(int).to_numpy()
    country_fc = site_country.map(by_country["fc"]).fillna(0.0).round(2).to_numpy(float)
    nearby = types_nearby(sites, reports, k=k)

    pairs = [
        (c if isinstance(c, str) else "", g if isinstance(g, str) else "")
        # plain object arrays: iterating a pandas string column goes element by element through Arrow
        for c, g in zip(
            sites["country"].to_numpy(dtype=object), sites["good"].to_numpy(dtype=object), strict=True
        )
    ]
    known = {(c, g): listing(c, g) if c and g else None for c, g in set(pairs)}  # once per distinct pair
    listings = [known[p] for p in pairs]
    forced = np.array([x is not None and x.forced_labor for x in listings])
    child = np.array([x is not None and x.child_labor for x in listings])

    points = {
        "forced_labour": np.where(forced, WEIGHTS["forced_labour"], 0.0),
        "child_labour": np.where(child, WEIGHTS["child_labour"], 0.0),
        "in_hotspot": np.where(inside, WEIGHTS["in_hotspot"], 0.0),
        "near_hotspot": near_points(nearest),
        "rising": np.where(rising, WEIGHTS["rising"], 0.0),
    }
    score = np.round(sum(points.values()), 1)  # type: ignore[arg-type]

    def good_words(code: str, good: str) -> str:
        hit = known[(code, good)]
        if hit is not None and (hit.forced_labor or hit.child_labor):
            return hit.words
        if good and code:
            return f"{good} from {country_name(code)} is not on the {EDITION}"
        return f"no good given: the {EDITION} was not checked (a sector alone is not listed)"

    said = {p: good_words(*p) for p in known}  # once per distinct pair
    reasons = []
    rows = zip(pairs, placed.tolist(), inside.tolist(), bins.tolist(), nearest.tolist(), rising.tolist(),
               trends.tolist(), forecasts.tolist(), strict=True)  # fmt: skip
    extra = zip(country_hot.tolist(), country_fc.tolist(), nearby, strict=True)
    for (pair, at, hot_here, b, km, up, trend, fc), (c_hot, c_fc, near) in zip(rows, extra, strict=True):
        words = [said[pair]]  # plain Python values: fast per site
        if not at:
            words.append(
                f"placed only to its country: no hotspot cell, distance or trend; {c_hot} significant "
                f"hotspot cell(s) in {country_name(pair[0]) if pair[0] else 'its country'}, "
                f"forecast {c_fc:g} reports there"
            )
            if near:
                words.append(f"reported in the country: {near}")
        else:
            if hot_here:
                words.append(f"inside a significant hotspot (Gi* bin {b})")
            elif b < 0:
                words.append(f"in a significant cold spot (Gi* bin {b})")
            if km == km and not hot_here:  # not NaN
                words.append(f"{km:,.0f} km from the nearest significant hotspot")
            if up:
                words.append(f"trend here: {trend} (rising)")
            elif isinstance(trend, str) and trend:
                words.append(f"trend here: {trend}")
            if fc == fc:
                words.append(f"forecast here: {fc:g} reports")
            if near:
                words.append(f"reported within {NEARBY_KM:g} km: {near}")
        reasons.append("; ".join(words))

    out = pd.DataFrame(
        {
            "id": sites["id"].astype(str).to_numpy(),
            "score": score,
            "country": sites["country"].fillna("").to_numpy(),
            "country_name": [country_name(c) if c else "" for c, _ in pairs],
            "good": sites["good"].fillna("").to_numpy(),
            "sector": sites["sector"].fillna("").to_numpy(),
            "place": sites["place"].fillna("").to_numpy(),
            "precision": sites["precision"].to_numpy(),
            "lat": lat,
            "lon": lon,
            "cell": site_cells,
            "bin": np.where(placed, bins, 0),
            "forecast": forecasts,
            "trend": [t if isinstance(t, str) else "" for t in trends],
            "nearest_km": np.round(nearest, 1),
            "country_hotspots": country_hot,
            "country_forecast": country_fc,
            "types_nearby": nearby,
            "dol_forced_labour": forced,
            "dol_child_labour": child,
            **{f"points_{k}": np.round(v, 2) for k, v in points.items()},
            "reasons": reasons,
            "line": sites["line"].to_numpy(),
        }
    )
    out = out.sort_values(["score", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["read_as"] = READ_AS
    return Overlay(sites=out[SCORED_COLUMNS], summary=summarise(out), run_id=run_id, notes=notes)


def summarise(scored: pd.DataFrame) -> pd.DataFrame:
    """Per country and good: sites, mean and highest score, how many are DoL-listed for forced
    or child labour, and how many lie inside a significant hotspot; highest mean first."""
    cols = ["country", "country_name", "good", "sites", "mean_score", "max_score", "dol_forced_labour",
            "dol_child_labour", "in_hotspot", "read_as"]  # fmt: skip
    if scored.empty:
        return pd.DataFrame(columns=cols)
    g = scored.assign(in_hotspot=scored["bin"] > 0).groupby(["country", "country_name", "good"], dropna=False)
    out = g.agg(
        sites=("id", "size"),
        mean_score=("score", "mean"),
        max_score=("score", "max"),
        dol_forced_labour=("dol_forced_labour", "sum"),
        dol_child_labour=("dol_child_labour", "sum"),
        in_hotspot=("in_hotspot", "sum"),
    ).reset_index()
    out["mean_score"] = out["mean_score"].round(1)
    out["read_as"] = READ_AS
    out = out.sort_values(["mean_score", "sites", "country", "good"], ascending=[False, False, True, True])
    return out[cols].reset_index(drop=True)
