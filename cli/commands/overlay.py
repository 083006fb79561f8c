"""`counterflow overlay`: a partner's records scored against a hotspot run (registered on import).

It calls the step of :mod:`flows.steps`; the partner's rows are never written to the store.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import app
from cli.tools import table as _table


@app.command()
def overlay(
    file: Path = typer.Argument(..., help="The partner's CSV or XLSX file of sites."),
    kind: str = typer.Option("sites", "--kind", help="What the file holds: sites (transactions: not yet)."),
    run: int | None = typer.Option(None, "--run", help="Hotspot run to overlay on (default: the latest)."),
    out: Path | None = typer.Option(
        None, "--out", help="Ranked CSV of every site with its score and reasons (default: FILE-ranked.csv)."
    ),
    summary: Path | None = typer.Option(
        None, "--summary", help="Summary CSV per country and good (default: FILE-summary.csv)."
    ),
    top: int = typer.Option(10, "--top", min=0, help="How many sites to print."),
) -> None:
    """Score a partner's sites for due diligence: hotspots, trends and the DoL 2022 goods list."""
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    stem = file.with_suffix("")
    out = out or stem.with_name(stem.name + "-ranked.csv")
    summary = summary or stem.with_name(stem.name + "-summary.csv")
    rejects_path = stem.with_name(stem.name + "-rejects.csv")
    settings = get_settings()
    with session_scope(get_engine(settings)) as session:
        res = steps.overlay(
            session, path=file, kind=kind, run_id=run, out=out, summary=summary, rejects=rejects_path
        )
    sites, rejects = res["sites"], res["rejects"]
    typer.echo(f"hotspot run {res['run_id']}: {len(sites)} site(s) scored, {len(rejects)} row(s) rejected")
    for note in res["notes"]:
        typer.echo(f"note: {note}")
    for line, sid, reason in rejects[:20]:
        typer.echo(f"rejected line {line}{f' (id {sid})' if sid else ''}: {reason}")
    if len(rejects) > 20:
        typer.echo(f"... and {len(rejects) - 20} more in {rejects_path}")
    if top and len(sites):
        head = sites.head(top)
        typer.echo(
            _table(
                ["rank", "id", "score", "country", "good", "reasons"],
                [
                    [r["rank"], r["id"], f"{r['score']:.1f}", r["country"], r["good"], r["reasons"]]
                    for _, r in head.iterrows()
                ],
            )
        )
    typer.echo(f"ranked sites: {out}")
    typer.echo(f"summary per country and good: {summary}")
    if rejects:
        typer.echo(f"rejected rows: {rejects_path}")
    typer.echo(res["disclaimer"])
