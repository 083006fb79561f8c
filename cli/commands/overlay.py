"""`counterflow overlay`: a partner's sites or transactions scored against the hotspots and the
flows reports name; `counterflow overlay purge` deletes kept overlays past their retention days
(registered on import).

It calls the steps of :mod:`flows.steps`; the partner's rows never enter the intelligence store.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.app import app
from cli.tools import table as _table

if TYPE_CHECKING:
    from sqlmodel import Session

    from intel.models import User

#: The word that makes ``counterflow overlay purge`` the purge rather than a file.
PURGE = "purge"


@app.command()
def overlay(
    file: Path = typer.Argument(
        ...,
        help="The partner's CSV or XLSX file of sites or transactions; or 'purge' to delete kept overlays.",
    ),
    kind: str = typer.Option("sites", "--kind", help="What the file holds: sites or transactions."),
    run: int | None = typer.Option(
        None, "--run", help="Hotspot run to overlay sites on (default: the latest)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Ranked CSV of every record with its score and reasons (default: FILE-ranked.csv).",
    ),
    summary: Path | None = typer.Option(
        None,
        "--summary",
        help="Summary CSV per country and good, or per corridor (default: FILE-summary.csv).",
    ),
    xlsx: Path | None = typer.Option(
        None, "--xlsx", help="Also write the ranked records, summary and rejects as XLSX."
    ),
    map_html: Path | None = typer.Option(
        None, "--map", help="Also write a map (HTML) of the records over our hotspots."
    ),
    png: Path | None = typer.Option(None, "--png", help="Also write the map as a PNG."),
    partner: str | None = typer.Option(
        None, "--partner", help="Keep the result for this partner account (who reads it on the web)."
    ),
    keep: bool = typer.Option(
        True, "--keep/--no-keep", help="With --partner: keep the result until the purge, or not at all."
    ),
    top: int = typer.Option(10, "--top", min=0, help="How many records to print."),
) -> None:
    """Score a partner's records for due diligence: hotspots, trends, flows and the DoL 2022 goods list."""
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    settings = get_settings()
    if str(file) == PURGE and not file.exists():
        with session_scope(get_engine(settings)) as session:
            gone = steps.purge_overlays(session, settings=settings)
        typer.echo(
            f"deleted {gone['overlays']} partner overlay(s) and {gone['records']} record(s) "
            f"older than {gone['keep_days']} days"
        )
        return
    stem = file.with_suffix("")
    out = out or stem.with_name(stem.name + "-ranked.csv")
    summary = summary or stem.with_name(stem.name + "-summary.csv")
    rejects_path = stem.with_name(stem.name + "-rejects.csv")
    with session_scope(get_engine(settings)) as session:
        owner = _partner(session, partner) if partner and keep else None
        res = steps.overlay(
            session,
            path=file,
            kind=kind,
            run_id=run,
            out=out,
            summary=summary,
            rejects=rejects_path,
            owner=owner,
        )
    steps.write_outputs(res, xlsx=xlsx, map_html=map_html, png=png)
    records, rejects = res["records"], res["rejects"]
    where = f"hotspot run {res['run_id']}" if res["kind"] == "sites" else "report corridors and saved routes"
    typer.echo(f"{where}: {len(records)} {res['kind']} scored, {len(rejects)} row(s) rejected")
    for note in res["notes"]:
        typer.echo(f"note: {note}")
    for line, rid, reason in rejects[:20]:
        typer.echo(f"rejected line {line}{f' (id {rid})' if rid else ''}: {reason}")
    if len(rejects) > 20:
        typer.echo(f"... and {len(rejects) - 20} more in {rejects_path}")
    if top and len(records):
        what = "good" if res["kind"] == "sites" else "corridor"
        head = records.head(top)
        typer.echo(
            _table(
                ["rank", "id", "score", what, "reasons"],
                [
                    [r["rank"], r["id"], f"{r['score']:.1f}", r[what], r["reasons"]]
                    for _, r in head.iterrows()
                ],
            )
        )
    typer.echo(f"ranked {res['kind']}: {out}")
    typer.echo(f"summary per {'country and good' if res['kind'] == 'sites' else 'corridor'}: {summary}")
    if rejects:
        typer.echo(f"rejected rows: {rejects_path}")
    for label, path in (("workbook", xlsx), ("map", map_html), ("png", png)):
        if path is not None:
            typer.echo(f"{label}: {path}")
    if res["key"]:
        typer.echo(
            f"kept for {partner} until the purge ({settings.partner_keep_days} days): /overlay/{res['key']}"
        )
    else:
        typer.echo("not kept: the result is in these files only")
    typer.echo(res["disclaimer"])


def _partner(session: Session, name: str) -> User:
    """The partner account ``name`` (a result is kept for a partner only)."""
    from sqlmodel import select

    from intel.errors import CommandHint, CounterflowError, NotFound
    from intel.models import User
    from intel.roles import Role

    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(
            f"there is no account named {name!r}",
            "give the name of the partner's account, or add it first",
            hint=CommandHint("users add", f"{name} --role partner"),
        )
    if user.role != Role.PARTNER:
        raise CounterflowError(
            f"account {name!r} has the role {user.role}, not partner",
            "keep overlays for partner accounts only, or leave the option out to keep nothing",
        )
    return user
