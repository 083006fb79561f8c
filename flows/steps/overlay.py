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
    """The significant hotspots of each saved route's latest run made on cells."""
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
            out.append(RouteHotspots(route.name, hot["lat"].to_numpy(float), hot["lon"].to_numpy(float)))
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
) -> dict[str, Any]:
    """Score the partner's records in ``path``: sites against hotspot run ``run_id`` (the latest
    by default), transactions against the corridors reports name and the saved routes'
    hotspots. Write the ranked CSV to ``out``, the summary (per country and good, or per
    corridor) to ``summary`` and the rejected rows to ``rejects`` (each when given). Nothing of
    the partner's file is written to the intelligence store or a run."""
    from intel.csvsafe import frame_to_csv
    from intel.errors import CounterflowError
    from intel.partner import PARTNER_K

    if kind not in KINDS:
        raise CounterflowError(f"overlay kind {kind!r} is not one this reads", f"use one of: {', '.join(KINDS)}")
    if kind == "sites":
        from hotspots.overlay import DISCLAIMER, score_sites
        from intel import hotspot_store
        from intel.partner_sites import read_sites
        from intel.store import load_reports

        run_id = _run_id(session, run_id)
        run, cells = hotspot_store.load_run(session, run_id=run_id)
        read = read_sites(path)
        scored = score_sites(
            read.sites, cells, resolution=run.resolution, run_id=run_id, reports=load_reports(session), k=PARTNER_K
        )
        records, summ, notes, rej, disclaimer = scored.sites, scored.summary, scored.notes, read.rejects, DISCLAIMER
    else:
        from hotspots.overlay_transactions import DISCLAIMER as TX_DISCLAIMER
        from hotspots.overlay_transactions import score_transactions
        from intel.partner_transactions import read_transactions

        tread = read_transactions(path)
        tx = score_transactions(tread.transactions, report_corridors(session), route_hotspots(session), k=PARTNER_K)
        records, summ, notes, rej, disclaimer = tx.transactions, tx.summary, tx.notes, tread.rejects, TX_DISCLAIMER
        run_id = None
    import pandas as pd

    rejects_frame = pd.DataFrame(rej, columns=["line", "id", "reason"])
    for target, frame in ((out, records), (summary, summ), (rejects, rejects_frame)):
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            frame_to_csv(frame, target, index=False)
    return {
        "kind": kind,
        "run_id": run_id,
        "records": records,
        "sites": records,  # the name the first slice used
        "summary": summ,
        "rejects": rej,
        "notes": notes,
        "disclaimer": disclaimer,
    }
