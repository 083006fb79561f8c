"""Hotspot runs: load the reports, analyse, store the run, draw its map, compare with the last."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intel.errors import CommandHint, CounterflowError

if TYPE_CHECKING:
    import pandas as pd
    from sqlmodel import Session

    from hotspots.params import HotspotParams
    from hotspots.pipeline import HotspotResult
    from intel.models import HotspotRun
    from intel.settings import Settings

#: How a run records its ranking method (``HotspotRun.method`` is ``<this>-<unit>``).
STORED_METHOD = {"forecast": "forecast", "gi": "gistar", "counts": "counts"}

EMPTY_STORE = CounterflowError(
    "no reports in the store", "import a file of reports first", hint=CommandHint("ingest", "FILE")
)


@dataclass
class StoredRun:
    """A run as saved: the row, the analysis, where its map is and what changed since the last."""

    run: HotspotRun
    result: HotspotResult
    map_path: Path | None
    previous_run_id: int | None
    changes: pd.DataFrame | None


def load_reports(
    session: Session, *, since: dt.date | None, until: dt.date | None, **kw: Any
) -> pd.DataFrame:
    from intel.store import load_reports

    df = load_reports(session, since=since, until=until, **kw)
    if df.empty:
        if since or until or kw.get("types") or kw.get("min_reliability"):
            raise CounterflowError(
                "no reports match these filters",
                "widen the dates, the exploitation types or the lowest source grade",
            )
        from intel.measures import MEASURES
        from intel.store import inventory

        stored = set(inventory(session)["measure"].dropna())
        held = [m.label for name, m in MEASURES.items() if name in stored]
        if held:
            raise CounterflowError(
                "the store holds no individual reports, only aggregate figures (" + ", ".join(held) + "), "
                "which are not incidents and count in no hotspot",
                "import reports of individual incidents (articles, cases, records with a place); the "
                "aggregates are shown by the flows and histograms",
                hint=CommandHint("ingest", "FILE"),
            )
        raise EMPTY_STORE
    return df


def run_hotspots(
    session: Session,
    *,
    settings: Settings,
    route_text: str | None = None,
    params: HotspotParams | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    map_path: Path | None = None,
    write_map: bool = True,
) -> StoredRun:
    """Load reports, analyse, store the run (``HotspotRun`` + ``Hotspot`` rows), write the map and
    compare with the previous run of the same route. Everything in the caller's transaction."""
    from hotspots.compare import compare_runs
    from hotspots.params import HotspotParams
    from hotspots.pipeline import analyse
    from hotspots.routes import parse_route
    from intel import hotspot_store
    from intel.store import HOTSPOT_COLUMNS

    params = params or HotspotParams()
    route = parse_route(route_text, corridor_km=params.corridor_km) if route_text else None
    reports = load_reports(session, since=since, until=until, columns=HOTSPOT_COLUMNS)
    result = analyse(reports, route=route, params=params)
    route_id = None
    if route is not None:
        row = hotspot_store.get_or_create_route(
            session,
            name=route.name,
            waypoints=[w.to_dict() for w in route.waypoints],
            corridor_km=route.corridor_km,
        )
        route_id = row.id
    method = f"{STORED_METHOD[result.params.method]}-{result.params.unit}"
    previous = hotspot_store.comparable_run(
        session,
        route_id=route_id,
        method=method,
        resolution=result.params.resolution,
        corridor_km=result.stored_params().get("corridor_km"),
    )
    frame = result.hotspot_frame()
    run = hotspot_store.save_run(
        session,
        cells=frame,
        params=result.stored_params(),
        n_reports=result.n_reports,
        route_id=route_id,
        resolution=result.params.resolution,
        method=method,
    )
    assert run.id is not None
    changes = None
    if previous is not None and previous.id is not None:
        _, before = hotspot_store.load_run(session, run_id=previous.id)
        changes = compare_runs(before, frame)
    path = None
    if write_map:
        from hotspots.maps import hotspot_map, save_map
        from hotspots.movement import flow_lines

        path = map_path or settings.home / "maps" / f"hotspots-run{run.id}.html"
        title = f"hotspot run {run.id}" + (f": {route.name}" if route else "")
        save_map(
            hotspot_map(
                result.cells,
                ranked=result.ranked,
                route=route,
                flows=flow_lines(reports).head(30),
                title=title,
                set_apart=result.set_apart,
            ),
            path,
        )
        hotspot_store.set_map_path(session, run_id=run.id, map_path=str(path))
    return StoredRun(
        run=run,
        result=result,
        map_path=path,
        previous_run_id=previous.id if previous else None,
        changes=changes,
    )


def _plain(v: Any) -> Any:
    """A frame's cell as a plain Python value for JSON: numpy scalars unwrapped, NaN and NA as None.

    >>> import numpy as np
    >>> _plain(np.int64(3)), _plain(np.float64("nan")), _plain(None), _plain("Agadez")
    (3, None, None, 'Agadez')
    """
    import math

    import numpy as np
    import pandas as pd

    if isinstance(v, np.generic):
        v = v.item()
    if v is pd.NA or v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def hotspots(
    session: Session,
    *,
    settings: Settings,
    route: str | None = None,
    corridor_km: float = 150.0,
    top: int = 8,
    until: dt.date | None = None,
    label: str = "",
    since: dt.date | None = None,
    resolution: int | None = None,
    half_life_days: float = 365.0,
    unit: str = "h3",
    method: str = "forecast",
    map_path: Path | None = None,
    png: Path | None = None,
    geojson: Path | None = None,
    kml: Path | None = None,
) -> dict[str, Any]:
    """Score hotspots (Gi* with FDR), rank them along ``route`` (or over all reports), store the
    run, draw its map and compare it with the previous run of the same route.

    ``resolution``, ``half_life_days``, ``unit``, ``method``, ``corridor_km`` and ``top`` are the
    :class:`hotspots.params.HotspotParams`; ``since``/``until`` filter the reports by their
    observed date; ``map_path`` is where the HTML map goes (default
    ``HOME/maps/hotspots-run<ID>.html``); ``png``, ``geojson`` and ``kml`` also export the run there.
    The summary carries the resolution used, the scope, the notes, the ranked rows, what changed
    since the previous run and where each file went.
    """
    from hotspots.compare import summarise
    from hotspots.params import HotspotParams

    params = HotspotParams(
        resolution=resolution, corridor_km=corridor_km, top=top, half_life_days=half_life_days, unit=unit,
        method=method,
    )  # fmt: skip
    for p in (png, geojson, kml):
        if p is not None and p.exists() and p.is_dir():
            raise CounterflowError(f"{p} is a folder", "give a file name, e.g. out.png")
    stored = run_hotspots(
        session,
        settings=settings,
        route_text=route,
        params=params,
        since=since,
        until=until,
        map_path=map_path,
    )
    res = stored.result
    ranked = res.ranked
    cols = ["rank", "cell", "place", "country", "count", "weight", "z", "p", "bin", "trend", "distance_km"]
    rows = [
        {c: _plain(r.get(c)) for c in cols} for r in ranked.reindex(columns=cols).to_dict(orient="records")
    ]
    for row, reasons in zip(rows, ranked["reasons"], strict=True):
        reasons = reasons if isinstance(reasons, dict) else {}
        row["forecast"] = reasons.get("forecast")
        row["interval"] = reasons.get("interval")
        row["why"] = reasons.get("why", [])
        row["significant"] = bool((row.get("bin") or 0) > 0)
    scope = f"route {res.route.name} (corridor {res.route.corridor_km:g} km)" if res.route else "all reports"
    out: dict[str, Any] = {
        "run_id": stored.run.id,
        "label": label,
        "n_reports": res.n_reports,
        "n_cells": len(res.cells),
        "n_significant": res.n_significant,
        "resolution": res.params.resolution,
        "unit": res.params.unit,
        "method": stored.run.method,
        "horizon_days": res.params.horizon_days,
        "route": {"name": res.route.name, "corridor_km": res.route.corridor_km} if res.route else None,
        "scope": scope,
        "ranked": rows,
        "map": str(stored.map_path) if stored.map_path else None,
        "notes": list(res.notes),
        "set_apart": [{c: _plain(v) for c, v in r.items()} for r in res.set_apart.to_dict(orient="records")],
        "previous_run_id": stored.previous_run_id,
        "changes": summarise(stored.changes) if stored.changes is not None else None,
        "png": None,
        "geojson": None,
        "kml": None,
    }
    if png is not None:
        from hotspots.plots import hotspot_png

        out["png"] = str(
            hotspot_png(
                res.cells, ranked=ranked, route=res.route, path=png, title=f"hotspot run {stored.run.id}"
            )
        )
    if geojson is not None:
        from hotspots.maps import write_geojson

        out["geojson"] = str(write_geojson(res.cells, geojson))
    if kml is not None:
        from hotspots.maps import write_kml

        out["kml"] = str(write_kml(res.cells, kml))
    return out


def compare(session: Session, *, before_run: int, after_run: int) -> dict[str, Any]:
    """What changed between two stored hotspot runs: a summary line and the ranked cells' moves."""
    from hotspots.compare import compare_runs, summarise
    from intel.hotspot_store import load_run

    _, before = load_run(session, run_id=before_run)
    _, after = load_run(session, run_id=after_run)
    diff = compare_runs(before, after)
    lines = [summarise(diff)]
    for r in diff.to_dict(orient="records"):
        rb, ra = (None if _plain(v) is None else int(v) for v in (r["rank_before"], r["rank_after"]))
        if rb is None and ra is None:
            continue  # one line per ranked hotspot
        cb, ca = int(_plain(r["count_before"]) or 0), int(_plain(r["count_after"]) or 0)
        if r["change"] == "same" and rb == ra and cb == ca:
            continue
        where = r["place"] or r["cell"]
        z = f"z {_plain(r['z_before']) or 0:.2f} -> {_plain(r['z_after']) or 0:.2f}"
        lines.append(
            f"{where} ({r['country'] or ''}): {r['change']}, rank {rb or '-'} -> {ra or '-'}, "
            f"reports {cb} -> {ca}, {z}"
        )
    return {"before_run": before_run, "after_run": after_run, "lines": lines}
