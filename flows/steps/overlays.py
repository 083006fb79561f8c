"""Partner overlays: a partner's sites or transactions scored against the stored hotspots and
the flows reports name (the partner's rows never enter the store of intelligence)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from intel.errors import CommandHint, NotFound

if TYPE_CHECKING:
    import pandas as pd
    from sqlmodel import Session

    from hotspots.overlay_transactions import RouteHotspots
    from intel.models import User
    from intel.settings import Settings

#: The kinds of partner records an overlay reads.
KINDS = ("sites", "transactions")


def _run_id(session: Session, run_id: int | None) -> int:
    from intel import hotspot_store

    if run_id is not None:
        return run_id
    latest = hotspot_store.latest_run(session)
    if latest is None or latest.id is None:
        raise NotFound(
            "there is no hotspot run to overlay the records on",
            "run the hotspot analysis first",
            hint=CommandHint("hotspots"),
        )
    return latest.id


def route_hotspots(session: Session) -> list[RouteHotspots]:
    """The significant hotspots (bin > 0) of each saved route's latest run."""
    from hotspots.overlay_transactions import RouteHotspots
    from intel import hotspot_store

    out = []
    for route in hotspot_store.list_routes(session):
        run = hotspot_store.latest_run(session, route_id=route.id)
        if run is None or run.id is None:
            continue
        _, cells = hotspot_store.load_run(session, run_id=run.id)
        hot = cells[cells["bin"] > 0]
        if len(hot):
            out.append(
                RouteHotspots(
                    route.name,
                    hot["lat"].to_numpy(float),
                    hot["lon"].to_numpy(float),
                    hot["bin"].to_numpy(int),
                )
            )
    return out


def report_corridors(session: Session) -> pd.DataFrame:
    """The origin -> destination country pairs individual reports name, with volume and trend."""
    from hotspots.overlay_transactions import corridors
    from intel.store import load_reports

    return corridors(load_reports(session))


def overlay(
    session: Session,
    *,
    path: Path,
    kind: str = "sites",
    run_id: int | None = None,
    out: Path | None = None,
    summary: Path | None = None,
    rejects: Path | None = None,
    owner: User | None = None,
    file_name: str | None = None,
) -> dict[str, Any]:
    """Score the partner's records in ``path``: sites against hotspot run ``run_id`` (the latest
    by default), transactions against the corridors reports name and the saved routes'
    hotspots. Write the ranked CSV to ``out``, the summary (per country and good, or per
    corridor) to ``summary`` and the rejected rows to ``rejects`` (each when given). With an
    ``owner``, the result is kept for that account in the partner tables (``key`` in the
    answer) until the purge; without one nothing is kept. Nothing of the partner's file is
    written to the intelligence store or a run."""
    from intel.csvsafe import frame_to_csv
    from intel.errors import CounterflowError
    from intel.partner import PARTNER_K

    if kind not in KINDS:
        raise CounterflowError(
            f"overlay kind {kind!r} is not one this reads", f"use one of: {', '.join(KINDS)}"
        )
    if kind == "sites":
        from hotspots.overlay import DISCLAIMER, score_sites
        from hotspots.overlay_outputs import Backdrop
        from intel import hotspot_store
        from intel.partner_sites import read_sites
        from intel.store import load_reports

        run_id = _run_id(session, run_id)
        run, cells = hotspot_store.load_run(session, run_id=run_id)
        read = read_sites(path)
        scored = score_sites(
            read.sites,
            cells,
            resolution=run.resolution,
            run_id=run_id,
            reports=load_reports(session),
            k=PARTNER_K,
        )
        records, summ, notes, rej, disclaimer = (
            scored.sites,
            scored.summary,
            scored.notes,
            read.rejects,
            DISCLAIMER,
        )
        backdrop = Backdrop(
            hotspots=cells.loc[cells["bin"] > 0, ["cell", "lat", "lon", "bin"]].reset_index(drop=True)
        )
    else:
        from hotspots.overlay_transactions import DISCLAIMER as TX_DISCLAIMER
        from hotspots.overlay_transactions import score_transactions
        from intel.partner_transactions import read_transactions

        tread = read_transactions(path)
        routes = route_hotspots(session)
        tx = score_transactions(tread.transactions, report_corridors(session), routes, k=PARTNER_K)
        backdrop = _transaction_backdrop(tx.transactions, routes)
        records, summ, notes, rej, disclaimer = (
            tx.transactions,
            tx.summary,
            tx.notes,
            tread.rejects,
            TX_DISCLAIMER,
        )
        run_id = None
    import pandas as pd

    rejects_frame = pd.DataFrame(rej, columns=["line", "id", "reason"])
    for target, frame in ((out, records), (summary, summ), (rejects, rejects_frame)):
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            frame_to_csv(frame, target, index=False)
    key = None
    if owner is not None:
        from intel.partner_store import save_overlay

        key = save_overlay(
            session, owner=owner, kind=kind, file_name=file_name or path.name, run_id=run_id,
            records=records, summary=summ, rejects=rej, notes=notes,
        ).key  # fmt: skip
    return {
        "key": key,
        "kind": kind,
        "run_id": run_id,
        "records": records,
        "sites": records,  # the name the first slice used
        "summary": summ,
        "rejects": rej,
        "notes": notes,
        "disclaimer": disclaimer,
        "backdrop": backdrop,
        "about": about(kind),
    }


def about(kind: str) -> list[tuple[str, str]]:
    """The "about" sheet of an overlay's workbook: how to read it and the points of each part."""
    if kind == "sites":
        from hotspots.overlay import DISCLAIMER, WEIGHTS
    else:
        from hotspots.overlay_transactions import DISCLAIMER, WEIGHTS
    return [("read as", DISCLAIMER), *((f"points: {k}", f"up to {v:g}") for k, v in WEIGHTS.items())]


def _transaction_backdrop(scored: pd.DataFrame, routes: list[RouteHotspots]) -> Any:
    """The routes' significant hotspots and the corridors the transactions fall on, each corridor
    drawn between its countries' stand-in points with its volume as partners see it."""
    import pandas as pd

    from hotspots.movement import resolve_endpoint
    from hotspots.overlay_outputs import Backdrop

    hot = pd.DataFrame(
        [
            ("", la, lo, b)
            for r in routes
            for la, lo, b in zip(
                r.lat.tolist(),
                r.lon.tolist(),
                (r.bins if r.bins is not None else [1] * len(r.lat)),
                strict=True,
            )
        ],
        columns=["cell", "lat", "lon", "bin"],
    )
    on = scored[scored["direction"] != ""].drop_duplicates("corridor")
    rows = []
    for corridor, reports in zip(on["corridor"], on["corridor_reports"], strict=True):
        a, b = (resolve_endpoint(x.strip()) for x in str(corridor).split("->"))
        if a.lat is not None and b.lat is not None:
            rows.append((corridor, a.lat, a.lon, b.lat, b.lon, reports))
    flows = pd.DataFrame(rows, columns=["corridor", "o_lat", "o_lon", "d_lat", "d_lon", "reports"])
    return Backdrop(hotspots=hot, corridors=flows)


def write_outputs(
    result: dict[str, Any], *, xlsx: Path | None = None, map_html: Path | None = None, png: Path | None = None
) -> None:
    """Write an overlay's workbook, map and PNG (each when given)."""
    import pandas as pd

    from hotspots.overlay_outputs import overlay_map, overlay_png, overlay_xlsx

    title = f"Your {result['kind']} over counterflow's hotspots and flows"
    if xlsx is not None:
        rejects = pd.DataFrame(result["rejects"], columns=["line", "id", "reason"])
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        xlsx.write_bytes(overlay_xlsx(result["records"], result["summary"], rejects, about=result["about"]))
    if map_html is not None:
        map_html.parent.mkdir(parents=True, exist_ok=True)
        overlay_map(result["records"], kind=result["kind"], backdrop=result["backdrop"], title=title).save(
            str(map_html)
        )
    if png is not None:
        overlay_png(
            result["records"], kind=result["kind"], backdrop=result["backdrop"], title=title, path=png
        )


def purge_overlays(session: Session, *, settings: Settings) -> dict[str, int]:
    """Delete the partner overlays older than ``settings.partner_keep_days`` with their records."""
    from intel.partner_store import purge

    uploads, records = purge(session, keep_days=settings.partner_keep_days)
    return {"overlays": uploads, "records": records, "keep_days": settings.partner_keep_days}


def backdrop_for(session: Session, *, kind: str, run_id: int | None, records: pd.DataFrame) -> Any:
    """Our side of a kept overlay's map, as it stands now: the run's significant cells (sites;
    none if the run was deleted since) or the routes' hotspots and the records' corridors."""
    from hotspots.overlay_outputs import Backdrop
    from intel import hotspot_store
    from intel.errors import NotFound as Gone

    if kind == "transactions":
        return _transaction_backdrop(records, route_hotspots(session))
    if run_id is None:
        return Backdrop()
    try:
        _, cells = hotspot_store.load_run(session, run_id=run_id)
    except Gone:
        return Backdrop()
    return Backdrop(
        hotspots=cells.loc[cells["bin"] > 0, ["cell", "lat", "lon", "bin"]].reset_index(drop=True)
    )
