"""Partner transactions over the flows we know: a risk indicator per transaction, with its words.

A partner (a bank, a money-transfer firm) gives its transactions, each with a sender and a
receiver end (a place, or a country only). Each transaction is checked against:

- the **corridors** of the intelligence: origin -> destination country pairs that individual
  reports name (:func:`corridors`), each with its volume (reports on the pair) and its trend
  (reports in the last ``PERIOD_DAYS`` before the newest report against the ``PERIOD_DAYS``
  before that). Money moves both ways along a corridor (fees paid towards the recruiter,
  proceeds sent home), so a transaction from the destination to the origin is on it too, and
  the words say which way it runs;
- the **saved routes**: whether both ends lie within ``NEAR_KM`` of significant hotspots
  (Gi* ``bin`` > 0) of the latest run of one route, near two different hotspots.

**The score** (0 to 100) is a weighted sum, each part in the output with its words:

=================  ======  ===================================================================
part               points  when
=================  ======  ===================================================================
``known_flow``       30    sender and receiver countries are a corridor reports name (either
                           way)
``on_route``         25    both ends (placed finer than a country) lie within ``NEAR_KM`` =
                           50 km of two different significant hotspots of one saved route's
                           latest run
``volume``           25    x min(1, reports / 100) on the corridor: 12.5 for 50 reports, full
                           from 100; 0 when fewer than ``k`` (11) reports name it
``rising``           20    the corridor's trend is rising: more than 1.25 x as many reports in
                           the last period as in the one before (and at least ``k`` in all)
=================  ======  ===================================================================

A corridor named by fewer than ``k`` reports shows its volume as ``<k`` and no trend (as in
every partner export, :func:`intel.partner.suppress`): the output never lets a partner count a
handful of victims or sources. The amount is carried, not scored: a figure says nothing of
trafficking by itself. The score is a **risk indicator for due diligence, never an
accusation**. Partner transactions never enter the store; this module only reads report flows
and stored hotspot cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspots.movement import resolve_endpoint
from hotspots.routes import unit_xyz
from intel.countries import country_name
from intel.gazetteer import EARTH_RADIUS_KM

#: The points of each part of the score (they sum to 100).
WEIGHTS: dict[str, float] = {"known_flow": 30.0, "on_route": 25.0, "volume": 25.0, "rising": 20.0}
#: Reports on a corridor that earn the whole ``volume`` part.
VOLUME_FULL = 100
#: How near a hotspot an end must lie to count as on a route.
NEAR_KM = 50.0
#: The length of the two periods a corridor's trend compares.
PERIOD_DAYS = 365
#: Ratio of the recent to the earlier period above which a corridor is rising, below whose
#: inverse it is falling.
RISE = 1.25
#: Said with every output.
DISCLAIMER = (
    "A risk indicator for due diligence, never an accusation: it says which flows of counterflow's "
    "intelligence a transaction's two ends fall on, not what the money paid for."
)
READ_AS = "risk indicator for due diligence, not an accusation"
CORRIDOR_COLUMNS = ["origin_country", "destination_country", "reports", "recent", "earlier", "trend"]
SCORED_COLUMNS = [
    "rank", "id", "score", "date", "amount", "currency", "sender_country", "sender_place",
    "sender_precision", "sender_lat", "sender_lon", "receiver_country", "receiver_place",
    "receiver_precision", "receiver_lat", "receiver_lon", "corridor",
    "direction", "corridor_reports", "corridor_trend", "route",
    *(f"points_{k}" for k in WEIGHTS), "reasons", "line", "read_as",
]  # fmt: skip


@dataclass(frozen=True)
class RouteHotspots:
    """The significant hotspots (EPSG:4326 points) of one saved route's latest run."""

    name: str
    lat: np.ndarray
    lon: np.ndarray
    bins: np.ndarray | None = None  # their Gi* bins (1..3), for the map


@dataclass
class TransactionOverlay:
    """What :func:`score_transactions` returns: the ranked transactions and the summary per corridor."""

    transactions: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str]


def trend_class(recent: int, earlier: int) -> str:
    """``rising``, ``falling`` or ``steady`` from the reports of two equal periods.

    >>> trend_class(6, 2), trend_class(1, 4), trend_class(5, 4), trend_class(3, 0)
    ('rising', 'falling', 'steady', 'rising')
    """
    if recent > RISE * earlier:
        return "rising"
    if recent * RISE < earlier:
        return "falling"
    return "steady"


def corridors(reports: pd.DataFrame, *, period_days: int = PERIOD_DAYS) -> pd.DataFrame:
    """Origin -> destination country pairs of a report frame (``origin``, ``destination``,
    ``observed_on``): ``reports``, ``recent`` (in the last ``period_days`` up to the newest
    report of any pair), ``earlier`` (the ``period_days`` before) and ``trend``, largest first.
    Ends that name no country the gazetteer or the country table knows are left out.
    """
    if reports.empty or not {"origin", "destination"} <= set(reports.columns):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CORRIDOR_COLUMNS})
    o = reports["origin"].fillna("").astype(str).str.strip()
    d = reports["destination"].fillna("").astype(str).str.strip()
    keep = (o != "") & (d != "")
    texts = pd.unique(pd.concat([o[keep], d[keep]]))
    code = {t: resolve_endpoint(t).country for t in texts}
    df = pd.DataFrame(
        {
            "o": o[keep].map(code),
            "d": d[keep].map(code),
            "day": pd.to_datetime(reports.loc[keep, "observed_on"]),
        }
    ).dropna(subset=["o", "d"])
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CORRIDOR_COLUMNS})
    newest = df["day"].max()
    period = pd.Timedelta(days=period_days)
    df["recent"] = df["day"] > newest - period
    df["earlier"] = (df["day"] <= newest - period) & (df["day"] > newest - 2 * period)
    g = df.groupby(["o", "d"]).agg(
        reports=("day", "size"), recent=("recent", "sum"), earlier=("earlier", "sum")
    )
    g = g.reset_index().rename(columns={"o": "origin_country", "d": "destination_country"})
    g["trend"] = [trend_class(int(r), int(e)) for r, e in zip(g["recent"], g["earlier"], strict=True)]
    return g.sort_values(["reports", "origin_country", "destination_country"], ascending=[False, True, True])[
        CORRIDOR_COLUMNS
    ].reset_index(drop=True)


def volume_points(reports: np.ndarray, *, k: int) -> np.ndarray:
    """The ``volume`` points of corridors with these report counts (0 below ``k``).

    >>> volume_points(np.array([0, 10, 11, 50, 100, 400]), k=11).tolist()
    [0.0, 0.0, 2.75, 12.5, 25.0, 25.0]
    """
    r = np.asarray(reports, float)
    return np.where(r >= k, WEIGHTS["volume"] * np.minimum(1.0, r / VOLUME_FULL), 0.0)


def _near(lat: np.ndarray, lon: np.ndarray, tree: cKDTree) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) to and index of the nearest hotspot of ``tree`` (inf and -1 where unplaced)."""
    km = np.full(len(lat), np.inf)
    idx = np.full(len(lat), -1)
    ok = ~(np.isnan(lat) | np.isnan(lon))
    if ok.any():
        chord, i = tree.query(unit_xyz(lat[ok], lon[ok]))
        km[ok] = 2.0 * np.arcsin(np.clip(np.asarray(chord) / 2.0, 0.0, 1.0)) * EARTH_RADIUS_KM
        idx[ok] = i
    return km, idx


def on_routes(tx: pd.DataFrame, routes: list[RouteHotspots]) -> np.ndarray:
    """The name of the first route both ends of each transaction lie on ("" for none)."""
    out = np.full(len(tx), "", dtype=object)
    s_lat, s_lon = tx["sender_lat"].to_numpy(float), tx["sender_lon"].to_numpy(float)
    r_lat, r_lon = tx["receiver_lat"].to_numpy(float), tx["receiver_lon"].to_numpy(float)
    for route in routes:
        if len(route.lat) < 2:
            continue  # two different hotspots are needed
        tree = cKDTree(unit_xyz(np.asarray(route.lat, float), np.asarray(route.lon, float)))
        skm, si = _near(s_lat, s_lon, tree)
        rkm, ri = _near(r_lat, r_lon, tree)
        hit = (skm <= NEAR_KM) & (rkm <= NEAR_KM) & (si != ri) & (out == "")
        out[hit] = route.name
    return out


def score_transactions(
    tx: pd.DataFrame, flows: pd.DataFrame, routes: list[RouteHotspots], *, k: int
) -> TransactionOverlay:
    """Score each transaction (``intel.partner_transactions.read_transactions``'s frame) against
    the corridors (:func:`corridors`) and the saved routes' hotspots; ranked, highest first
    (ties by id)."""
    notes: list[str] = []
    if flows.empty:
        notes.append(
            "no report names both an origin and a destination country: no transaction is on a known flow"
        )
    if not routes:
        notes.append("no saved route has a run with significant hotspots: no transaction is on a route")
    known = {
        (str(o), str(d)): (int(n), str(t))
        for o, d, n, t in zip(
            flows["origin_country"].tolist(), flows["destination_country"].tolist(),
            flows["reports"].tolist(), flows["trend"].tolist(), strict=True,
        )
    }  # fmt: skip
    s = tx["sender_country"].astype(str).to_numpy(dtype=object)
    r = tx["receiver_country"].astype(str).to_numpy(dtype=object)
    # everything below is worked out once per distinct country pair (and route), then taken
    # back to the rows by index: a million transactions have a few hundred pairs
    s_code, s_names = pd.factorize(s)
    r_code, r_names = pd.factorize(r)
    pair_of, pair_rows = np.unique(
        s_code.astype(np.int64) * max(len(r_names), 1) + r_code, return_inverse=True
    )
    pair_rows = pair_rows.reshape(-1)

    def pair_facts(a: str, b: str) -> tuple[str, str, int, str]:
        """(corridor, direction, reports, trend) of a sender -> receiver country pair."""
        fwd, back = known.get((a, b)), known.get((b, a))
        if fwd is None and back is None:
            return f"{a} -> {b}", "", 0, ""
        if back is not None and (fwd is None or back[0] > fwd[0]):
            return f"{b} -> {a}", "reverse", *back
        assert fwd is not None
        return f"{a} -> {b}", "along", *fwd

    ends = [
        (str(s_names[p // max(len(r_names), 1)]), str(r_names[p % max(len(r_names), 1)])) for p in pair_of
    ]
    facts = [pair_facts(a, b) for a, b in ends]
    corridor = np.array([f[0] for f in facts], dtype=object)[pair_rows]
    direction = np.array([f[1] for f in facts], dtype=object)[pair_rows]
    reports = np.array([f[2] for f in facts], dtype=np.int64)[pair_rows]
    trend = np.array([f[3] for f in facts], dtype=object)[pair_rows]
    route = on_routes(tx, routes)
    on_flow = direction != ""
    shown_trend = np.where(reports >= k, trend, np.where(on_flow, "too few reports", ""))
    points = {
        "known_flow": np.where(on_flow, WEIGHTS["known_flow"], 0.0),
        "on_route": np.where(route != "", WEIGHTS["on_route"], 0.0),
        "volume": volume_points(reports, k=k),
        "rising": np.where((reports >= k) & (trend == "rising"), WEIGHTS["rising"], 0.0),
    }
    score = np.round(sum(points.values()), 1)  # type: ignore[arg-type]
    pair_volume = [str(f[2]) if f[2] >= k else (f"<{k}" if f[1] else "") for f in facts]
    volume = np.array(pair_volume, dtype=object)[pair_rows]

    def words(p: int, rt: str) -> str:
        (a, b), (_, way, n, tr) = ends[p], facts[p]
        vol = pair_volume[p]
        if way == "along":
            said = [f"{country_name(a)} -> {country_name(b)} is a flow reports name ({vol} reports"]
        elif way == "reverse":
            said = [
                f"{country_name(b)} -> {country_name(a)} is a flow reports name, and this money runs back "
                f"along it ({vol} reports"
            ]
        else:
            said = [f"{country_name(a)} -> {country_name(b)} is not a flow our reports name"]
        if way:
            said[0] += f", trend {tr})" if n >= k and tr else ", too few for a trend)"
        if rt:
            said.append(f"both ends lie near hotspots of the route {rt}")
        return "; ".join(said)

    route_code, route_names = pd.factorize(route)
    combo, combo_rows = np.unique(
        pair_rows.astype(np.int64) * (len(route_names) + 1) + route_code, return_inverse=True
    )
    said = np.array(
        [
            words(int(c // (len(route_names) + 1)), str(route_names[c % (len(route_names) + 1)]))
            for c in combo
        ],
        dtype=object,
    )  # once per distinct pair and route
    reasons = said[combo_rows.reshape(-1)]
    out = pd.DataFrame(
        {
            "id": tx["id"].astype(str).to_numpy(),
            "score": score,
            "date": tx["date"].to_numpy(),
            "amount": tx["amount"].to_numpy(),
            "currency": tx["currency"].to_numpy(),
            "sender_country": s,
            "sender_place": tx["sender_place"].to_numpy(),
            "sender_precision": tx["sender_precision"].to_numpy(),
            "sender_lat": tx["sender_lat"].to_numpy(float),
            "sender_lon": tx["sender_lon"].to_numpy(float),
            "receiver_country": r,
            "receiver_place": tx["receiver_place"].to_numpy(),
            "receiver_precision": tx["receiver_precision"].to_numpy(),
            "receiver_lat": tx["receiver_lat"].to_numpy(float),
            "receiver_lon": tx["receiver_lon"].to_numpy(float),
            "corridor": corridor,
            "direction": direction,
            "corridor_reports": volume,
            "corridor_trend": shown_trend,
            "route": route,
            **{f"points_{k_}": np.round(v, 2) for k_, v in points.items()},
            "reasons": reasons,
            "line": tx["line"].to_numpy(),
        }
    )
    out = out.sort_values(["score", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["read_as"] = READ_AS
    return TransactionOverlay(out[SCORED_COLUMNS], summarise(out), notes)


def summarise(scored: pd.DataFrame) -> pd.DataFrame:
    """Per corridor (country pair, in the flow's direction where reports name it): transactions,
    mean and highest score, how many run back along it, how many lie on a route, the corridor's
    reports (``<k`` when few) and trend, and the amount per currency; highest mean first."""
    cols = ["corridor", "known_flow", "transactions", "mean_score", "max_score", "reverse", "on_route",
            "corridor_reports", "corridor_trend", "amounts", "read_as"]  # fmt: skip
    if scored.empty:
        return pd.DataFrame(columns=cols)
    df = scored.assign(
        known_flow=scored["direction"] != "",
        reverse=scored["direction"] == "reverse",
        on_route_=scored["route"] != "",
    )
    g = df.groupby("corridor", dropna=False)
    out = g.agg(
        known_flow=("known_flow", "max"),
        transactions=("id", "size"),
        mean_score=("score", "mean"),
        max_score=("score", "max"),
        reverse=("reverse", "sum"),
        on_route=("on_route_", "sum"),
        corridor_reports=("corridor_reports", "first"),
        corridor_trend=("corridor_trend", "first"),
    ).reset_index()
    money = df.groupby(["corridor", "currency"])["amount"].sum().reset_index()
    money["text"] = [f"{c} {a:,.2f}" for c, a in zip(money["currency"], money["amount"], strict=True)]
    out["amounts"] = out["corridor"].map(money.groupby("corridor")["text"].agg("; ".join))
    out["mean_score"] = out["mean_score"].round(1)
    out["read_as"] = READ_AS
    out = out.sort_values(["mean_score", "transactions", "corridor"], ascending=[False, False, True])
    return out[cols].reset_index(drop=True)
