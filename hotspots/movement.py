"""Movement: origin -> destination matrix, flow reach, frequent chains and transit chokepoints.

Report fields ``origin``, ``transit`` (``|``-joined, in order) and ``destination`` hold place
names or ISO-2 country codes (country names are read through the country table of
``intel.countries``). Reach follows UNODC's classes: domestic (same country),
subregional (same subregion), intraregional (same region, other subregion) and transregional
(other region), with UN M49 regions and subregions (the
intermediate regions for Sub-Saharan Africa and Latin America), packaged in
``hotspots/data/m49_subregions.csv``.
"""

from __future__ import annotations

import csv
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

from intel.errors import CounterflowError
from intel.gazetteer import country_from_text, get_gazetteer

REACH = ("domestic", "subregional", "intraregional", "transregional", "unknown")


@lru_cache(maxsize=1)
def m49() -> dict[str, tuple[str, str]]:
    """ISO-2 -> (region, subregion)."""
    text = (files("hotspots") / "data" / "m49_subregions.csv").read_text(encoding="utf-8")
    return {r["iso2"]: (r["region"], r["subregion"]) for r in csv.DictReader(text.splitlines())}


def reach(origin_country: str | None, destination_country: str | None) -> str:
    """UNODC flow reach between two ISO-2 countries.

    >>> reach("NG", "NG"), reach("NG", "NE"), reach("NG", "LY"), reach("NG", "IT")
    ('domestic', 'subregional', 'intraregional', 'transregional')
    """
    if not origin_country or not destination_country:
        return "unknown"
    if origin_country == destination_country:
        return "domestic"
    table = m49()
    a, b = table.get(origin_country), table.get(destination_country)
    if a is None or b is None:
        return "unknown"
    if a[1] == b[1]:
        return "subregional"
    if a[0] == b[0]:
        return "intraregional"
    return "transregional"


@dataclass(frozen=True)
class Endpoint:
    label: str
    country: str | None
    lat: float | None
    lon: float | None


@lru_cache(maxsize=8192)
def resolve_endpoint(value: str) -> Endpoint:
    """A flow endpoint: a country (an ISO code, or a name, code or adjective of the country table,
    located at the country's most populous place) or a place the gazetteer resolves. A name that
    is ambiguous or unknown keeps its label with no country and no point: never a guess."""
    text = value.strip()
    gaz = get_gazetteer()
    if len(text) == 2 and text.isalpha() and text.upper() in m49():
        code: str | None = text.upper()
    else:
        code = country_from_text(text)
    if code:
        rows = gaz.places[gaz.places["country"] == code]
        if len(rows):
            top = rows.iloc[int(np.argmax(rows["population"].to_numpy()))]
            return Endpoint(code, code, float(top["lat"]), float(top["lon"]))
        return Endpoint(code, code, None, None)
    try:
        p = gaz.resolve(text)
    except CounterflowError:
        return Endpoint(text, None, None, None)
    return Endpoint(p.name, p.country, p.lat, p.lon)


def _text(reports: pd.DataFrame, column: str) -> pd.Series:
    """A movement column as stripped text ("" where missing); a frame without it reads as blank."""
    if column not in reports:
        return pd.Series("", index=reports.index, dtype=object)
    return reports[column].fillna("").astype(str).str.strip()


def chains(reports: pd.DataFrame) -> list[list[str]]:
    """The movement of each report as a list of stops (origin, transits..., destination)."""
    out = []
    for o, t, d in zip(
        _text(reports, "origin"), _text(reports, "transit"), _text(reports, "destination"), strict=True
    ):
        stops = [s.strip() for s in [o, *t.split("|"), d] if s and s.strip()]
        out.append(stops)
    return out


def has_transit(reports: pd.DataFrame) -> pd.Series:
    """Whether each report names at least one transit stop."""
    return _text(reports, "transit").str.strip("| ") != ""


def od_matrix(reports: pd.DataFrame, *, values: str = "count") -> pd.DataFrame:
    """Origin x destination matrix (rows origins, columns destinations).

    ``values="count"`` counts reports; ``"victims"`` sums ``victim_count``. Reports without an
    origin or a destination are left out.
    """
    df = pd.DataFrame({"origin": _text(reports, "origin"), "destination": _text(reports, "destination")})
    df["v"] = _victims(reports) if values == "victims" else 1
    df = df[(df["origin"] != "") & (df["destination"] != "")]
    if df.empty:
        return pd.DataFrame()
    return df.pivot_table(index="origin", columns="destination", values="v", aggfunc="sum", fill_value=0)


#: The columns of ``flow_table`` (and ``flow_lines``), also when no report names a movement.
FLOW_COLUMNS = (
    "origin", "destination", "count", "victims", "origin_country", "destination_country", "reach",
    "origin_lat", "origin_lon", "dest_lat", "dest_lon",
)  # fmt: skip


def _victims(reports: pd.DataFrame) -> pd.Series:
    if "victim_count" not in reports:
        return pd.Series(1, index=reports.index, dtype="int64")
    return pd.to_numeric(reports["victim_count"], errors="coerce").fillna(1).astype("int64")


def flow_table(reports: pd.DataFrame) -> pd.DataFrame:
    """One row per origin -> destination pair: ``count``, ``victims``, countries and ``reach``,
    strongest first.

    Reports without an origin or a destination are left out; a frame where none names both
    (incident data, a file with only dates and places) gives an empty table with ``FLOW_COLUMNS``.
    """
    df = pd.DataFrame(
        {
            "origin": _text(reports, "origin"),
            "destination": _text(reports, "destination"),
            "v": _victims(reports),
        }
    )
    df = df[(df["origin"] != "") & (df["destination"] != "")]
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.endswith(("_lat", "_lon")) else object)
                             for c in FLOW_COLUMNS})  # fmt: skip
    g = df.groupby(["origin", "destination"]).agg(count=("v", "size"), victims=("v", "sum")).reset_index()
    ends_o = [resolve_endpoint(str(v)) for v in g["origin"]]
    ends_d = [resolve_endpoint(str(v)) for v in g["destination"]]
    g["origin_country"] = [e.country for e in ends_o]
    g["destination_country"] = [e.country for e in ends_d]
    g["reach"] = [reach(a.country, b.country) for a, b in zip(ends_o, ends_d, strict=True)]
    g["origin_lat"] = [e.lat for e in ends_o]
    g["origin_lon"] = [e.lon for e in ends_o]
    g["dest_lat"] = [e.lat for e in ends_d]
    g["dest_lon"] = [e.lon for e in ends_d]
    return g.sort_values(["count", "victims"], ascending=False).reset_index(drop=True)[list(FLOW_COLUMNS)]


def flow_lines(reports: pd.DataFrame) -> pd.DataFrame:
    """Located origin -> destination pairs for maps (``flow_table`` rows with coordinates)."""
    t = flow_table(reports)
    if t.empty:  # no report names both an origin and a destination (incident data): no lines
        return t
    return t.dropna(subset=["origin_lat", "dest_lat"]).reset_index(drop=True)


def reach_summary(reports: pd.DataFrame) -> pd.DataFrame:
    """Reports and victims per reach class, with shares."""
    t = flow_table(reports)
    s = t.groupby("reach")[["count", "victims"]].sum().reindex(list(REACH), fill_value=0)
    total = max(int(s["count"].sum()), 1)
    s["share"] = s["count"] / total
    return s.reset_index()


def flow_figures(records: pd.DataFrame) -> pd.DataFrame:
    """Origin -> destination pairs of a record frame (``hotspots.measures``), with the least and
    the most their figures add up to, how many records give them, their countries and reach,
    largest first. Records without both ends are left out.

    >>> recs = pd.DataFrame({"origin": ["NG", "NG", None], "destination": ["IT", "IT", "IT"],
    ...                      "low": [120, 1, 5], "high": [120, 4, 5]})
    >>> flow_figures(recs)[["origin", "destination", "low", "high", "records", "reach"]].values.tolist()
    [['NG', 'IT', 121, 124, 2, 'transregional']]
    """
    cols = [
        "origin",
        "destination",
        "low",
        "high",
        "records",
        "origin_country",
        "destination_country",
        "reach",
    ]
    df = pd.DataFrame(
        {"origin": _text(records, "origin"), "destination": _text(records, "destination"),
         "low": records["low"], "high": records["high"]}
    )  # fmt: skip
    df = df[(df["origin"] != "") & (df["destination"] != "")]
    if df.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c in ("low", "high", "records") else object) for c in cols}
        )
    g = df.groupby(["origin", "destination"], as_index=False).agg(
        low=("low", "sum"), high=("high", "sum"), records=("low", "size")
    )
    ends_o = [resolve_endpoint(str(v)) for v in g["origin"]]
    ends_d = [resolve_endpoint(str(v)) for v in g["destination"]]
    g["origin_country"] = [e.country for e in ends_o]
    g["destination_country"] = [e.country for e in ends_d]
    g["reach"] = [reach(a.country, b.country) for a, b in zip(ends_o, ends_d, strict=True)]
    return g.sort_values(["low", "high", "records"], ascending=False).reset_index(drop=True)[cols]


def reach_figures(records: pd.DataFrame) -> pd.DataFrame:
    """A record frame's flows per UNODC reach class: ``low``, ``high``, ``records`` and the
    ``share`` of the least total."""
    t = flow_figures(records)
    s = t.groupby("reach")[["low", "high", "records"]].sum().reindex(list(REACH), fill_value=0)
    s["share"] = s["low"] / max(int(s["low"].sum()), 1)
    return s.reset_index()


def partners(records: pd.DataFrame, *, country: str, direction: str, column: str = "source") -> pd.DataFrame:
    """The origins of the flows into ``country`` (``direction="to"``) or the destinations of the
    flows out of it (``"from"``), with each ``column`` value's figure apart.

    Endpoints are read at country level (a town stands for its country; a name that is no
    country stays a label). Partners are ordered by how many ``column`` values name them, then
    by the figures of the first ``column`` value, then the next.

    Returns
    -------
    pandas.DataFrame
        Long format: ``partner`` (ISO-2 code or label), ``column``, ``low``, ``high``,
        ``records``; the partners in order.

    Examples
    --------
    >>> recs = pd.DataFrame({"origin": ["NG", "Benin City", "LY", "NG"], "destination": ["IT", "IT", "IT", "IT"],
    ...     "low": [120, 1, 1, 1], "high": [120, 1, 4, 1], "source": ["UNODC", "news", "UNODC", "TIP"]})
    >>> partners(recs, country="IT", direction="to")[["partner", "source", "low", "high"]].values.tolist()
    [['NG', 'UNODC', 120, 120], ['NG', 'news', 1, 1], ['NG', 'TIP', 1, 1], ['LY', 'UNODC', 1, 4]]
    """
    if direction not in ("to", "from"):
        raise ValueError(f"direction must be 'to' or 'from', not {direction!r}")
    here, there = ("destination", "origin") if direction == "to" else ("origin", "destination")
    df = pd.DataFrame(
        {"here": _text(records, here), "there": _text(records, there), "column": records[column].astype(str),
         "low": records["low"], "high": records["high"]}
    )  # fmt: skip
    df = df[(df["here"] != "") & (df["there"] != "")]
    code = country.upper()
    df = df[[resolve_endpoint(v).country == code for v in df["here"]]]
    out_cols = ["partner", column, "low", "high", "records"]
    if df.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c in ("low", "high", "records") else object) for c in out_cols}
        )
    df["partner"] = [resolve_endpoint(v).country or v for v in df["there"]]
    g = df.groupby(["partner", "column"], as_index=False, sort=False).agg(
        low=("low", "sum"), high=("high", "sum"), records=("low", "size")
    )
    order = list(dict.fromkeys(df["column"]))  # the columns in the order the records give them
    wide = g.pivot_table(index="partner", columns="column", values="low", aggfunc="sum").reindex(
        columns=order
    )
    wide["_named"] = wide.notna().sum(axis=1)
    ranked = wide.sort_values(["_named", *order], ascending=False, na_position="last").index.tolist()
    g["_p"] = g["partner"].map({p: i for i, p in enumerate(ranked)})
    g["_c"] = g["column"].map({c: i for i, c in enumerate(order)})
    g = g.sort_values(["_p", "_c"]).drop(columns=["_p", "_c"]).rename(columns={"column": column})
    return g.reset_index(drop=True)[out_cols]


def frequent_chains(reports: pd.DataFrame, *, min_count: int = 2, top: int = 20) -> pd.DataFrame:
    """The most frequent origin -> transit -> destination chains (with at least one transit)."""
    counter = Counter(" > ".join(c) for c in chains(reports) if len(c) >= 3)
    rows = [(k, v) for k, v in counter.most_common() if v >= min_count][:top]
    total = max(sum(counter.values()), 1)
    return pd.DataFrame(
        {"chain": [k for k, _ in rows], "count": [v for _, v in rows], "share": [v / total for _, v in rows]}
    )


def movement_edges(reports: pd.DataFrame) -> Counter[tuple[str, str]]:
    """Directed hops between consecutive stops of each chain, with their counts."""
    edges: Counter[tuple[str, str]] = Counter()
    for c in chains(reports):
        for a, b in zip(c, c[1:], strict=False):
            if a != b:
                edges[(a, b)] += 1
    return edges


def betweenness(edges: Iterable[tuple[str, str]], *, normalized: bool = True) -> dict[str, float]:
    """Betweenness centrality of the nodes of a directed, unweighted graph (Brandes 2001).

    The movement graph is small (places, not reports), so a plain breadth-first search per node
    is fast. Normalised by ``(n-1)(n-2)`` for directed graphs, as networkx does.

    >>> b = betweenness([("Benin City", "Agadez"), ("Kano", "Agadez"), ("Agadez", "Sabha"), ("Sabha", "Tripoli")])
    >>> round(b["Agadez"], 3), round(b["Sabha"], 3), b["Kano"]
    (0.333, 0.25, 0.0)
    """
    adj: dict[str, list[str]] = {}
    for a, b in edges:
        adj.setdefault(a, [])
        adj.setdefault(b, [])
        if b not in adj[a]:
            adj[a].append(b)
    nodes = list(adj)
    cb = dict.fromkeys(nodes, 0.0)
    for s in nodes:
        stack: list[str] = []
        pred: dict[str, list[str]] = {v: [] for v in nodes}
        sigma = dict.fromkeys(nodes, 0.0)
        sigma[s] = 1.0
        dist = dict.fromkeys(nodes, -1)
        dist[s] = 0
        q = deque([s])
        while q:
            v = q.popleft()
            stack.append(v)
            for w in adj[v]:
                if dist[w] < 0:
                    dist[w] = dist[v] + 1
                    q.append(w)
                if dist[w] == dist[v] + 1:
                    sigma[w] += sigma[v]
                    pred[w].append(v)
        delta = dict.fromkeys(nodes, 0.0)
        while stack:
            w = stack.pop()
            for v in pred[w]:
                delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
            if w != s:
                cb[w] += delta[w]
    n = len(nodes)
    if normalized and n > 2:
        scale = 1.0 / ((n - 1) * (n - 2))
        cb = {k: v * scale for k, v in cb.items()}
    return cb


def chokepoints(reports: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """Transit places by betweenness on the movement graph, with how many chains pass through them.

    Only reports that name a transit count: a graph of bare origin -> destination pairs has no
    transit, and a country that is both a destination and an origin there is no chokepoint.
    ``has_transit(reports).sum()`` is the number of reports the answer rests on; with none, the
    answer is empty.

    >>> df = pd.DataFrame({"origin": ["NG", "LY"], "transit": ["", ""], "destination": ["LY", "IT"]})
    >>> len(chokepoints(df))
    0
    """
    with_transit = reports[has_transit(reports).to_numpy()]
    columns = {"place": pd.Series(dtype=object), "betweenness": pd.Series(dtype="float64"),
               "transits": pd.Series(dtype="int64")}  # fmt: skip
    if with_transit.empty:
        return pd.DataFrame(columns)
    edges = movement_edges(with_transit)
    b = betweenness(edges.keys())
    through: Counter[str] = Counter()
    for c in chains(with_transit):
        for stop in set(c[1:-1]):
            through[stop] += 1
    df = pd.DataFrame({"place": list(b), "betweenness": list(b.values())})
    df["transits"] = df["place"].map(through).fillna(0).astype(int)
    return df.sort_values(["betweenness", "transits"], ascending=False).head(top).reset_index(drop=True)
