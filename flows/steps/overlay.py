"""Partner overlays: a partner's sites scored against a stored hotspot run (nothing stored)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from intel.errors import CommandHint, NotFound

if TYPE_CHECKING:
    from sqlmodel import Session

#: The kinds of partner records an overlay reads.
KINDS = ("sites",)


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
    """Score the partner's records in ``path`` against hotspot run ``run_id`` (the latest by
    default); write the ranked CSV to ``out``, the summary per country and good to ``summary``
    and the rejected rows to ``rejects`` (each when given). The partner's rows are kept in
    memory and in these files only: never in the store, never in a run."""
    from hotspots.overlay import DISCLAIMER, score_sites
    from intel import hotspot_store
    from intel.csvsafe import frame_to_csv
    from intel.errors import CounterflowError
    from intel.partner_sites import read_sites

    if kind not in KINDS:
        raise CounterflowError(
            f"overlay kind {kind!r} is not supported yet", f"use one of: {', '.join(KINDS)}"
        )
    if run_id is None:
        latest = hotspot_store.latest_run(session)
        if latest is None or latest.id is None:
            raise NotFound(
                "there is no hotspot run to overlay the sites on",
                "run the hotspot analysis first",
                hint=CommandHint("hotspots"),
            )
        run_id = latest.id
    run, cells = hotspot_store.load_run(session, run_id=run_id)
    read = read_sites(path)
    result = score_sites(read.sites, cells, resolution=run.resolution, run_id=run_id)
    for target, frame in ((out, result.sites), (summary, result.summary), (rejects, read.rejects_frame())):
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            frame_to_csv(frame, target, index=False)
    return {
        "run_id": run_id,
        "sites": result.sites,
        "summary": result.summary,
        "rejects": read.rejects,
        "notes": result.notes,
        "disclaimer": DISCLAIMER,
    }
