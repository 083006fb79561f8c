"""`counterflow` commands of the intel room (registered on import)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import app


@app.command()
def ingest(
    files: list[Path] = typer.Argument(
        ...,
        help="CSV, XLSX, JSON or JSONL file of reports; or an article (.txt, .html) or feed (.xml, .rss, .atom). Several files, or a folder: read on many processes, stored one file at a time.",
    ),
    spec: str = typer.Option(
        "reports",
        "--spec",
        help="Import spec: reports, ctdc, unodc, iom, tip_edges, a .toml path (see `counterflow specs`), or auto (the spec whose columns the file carries).",
    ),
    source_kind: str | None = typer.Option(
        None,
        "--source-kind",
        "--kind",
        help="Source kind for rows without one: news, court, ngo_report, un_report, gov_report, law_enforcement, spreadsheet, app_tip, campaign_tip.",
    ),
    source: str | None = typer.Option(
        None,
        "--source",
        help="Source name for rows without one (default: the spec's source or the file name).",
    ),
    no_dedup: bool = typer.Option(False, "--no-dedup", help="Do not merge reports of one incident."),
    min_population: int = typer.Option(
        15000,
        "--min-population",
        help="Text sources: ignore places smaller than this unless their country is named nearby.",
    ),
) -> None:
    """Import a file of reports (or a news article / feed) into the store, with a summary.

    Several files, or a folder, run the ``ingest files`` flow: each file is read and checked on
    the Dask fan-out (COUNTERFLOW_DASK_ADDRESS, COUNTERFLOW_DASK_WORKERS, COUNTERFLOW_DASK=off),
    then stored in the files' order, one transaction per file."""
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    settings = get_settings()
    if len(files) > 1 or files[0].is_dir():
        _ingest_many(files, spec, source_kind, source, False if no_dedup else None, min_population)
        return
    file = files[0]
    with session_scope(get_engine(settings)) as session:
        summary = steps.ingest(
            session, path=file, settings=settings, spec=spec, source_kind=source_kind, source_name=source,
            dedup=False if no_dedup else None, min_population=min_population, progress=True,
        )  # fmt: skip
    for line in summary["lines"]:
        typer.echo(line)


def _ingest_many(
    files: list[Path],
    spec: str,
    kind: str | None,
    source: str | None,
    dedup: bool | None,
    min_population: int,
) -> None:
    """Run the ``ingest files`` flow over ``files`` and print each file's summary."""
    from flows import steps
    from flows.prefect_env import prepare_prefect
    from intel.settings import get_settings

    found = steps.import_files(files)  # a missing file is refused before Prefect starts
    typer.echo(f"importing {len(found)} files", err=True)
    prepare_prefect()
    from flows.imports import ingest_files_flow

    # no store URL as a parameter (Prefect keeps parameters): the flow's processes read
    # COUNTERFLOW_DATABASE_URL, as this one does
    summaries = ingest_files_flow(
        [str(f) for f in found], spec=spec, home=str(get_settings().home), kind=kind, source=source,
        dedup=dedup, min_population=min_population, progress=True,
    )  # fmt: skip
    for summary in summaries:
        for line in summary["lines"]:
            typer.echo(line)
    stored = sum(s["rows_stored"] for s in summaries)
    typer.echo(f"{len(summaries)} files: {stored} reports stored")


@app.command()
def specs() -> None:
    """List the import specs (built-in and in COUNTERFLOW_HOME/specs/)."""
    from intel.settings import get_settings
    from intel.specs import list_specs

    for s in list_specs(home=get_settings().home):
        typer.echo(f"{s.name:<12} {s.format:<5} {s.description}")


@app.command("reports-export")
def reports_export(
    out: Path | None = typer.Option(None, "--out", help="Write the CSV here (default: print it)."),
    k: int = typer.Option(11, "--k", help="Show counts below this as <k."),
    since: str | None = typer.Option(None, "--since", help="First date (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Last date (YYYY-MM-DD)."),
) -> None:
    """Incident counts for partners: per country, region, week and type, k-anonymised, with HXL tags."""
    import datetime as dt

    from intel.db import get_engine, session_scope
    from intel.errors import CounterflowError
    from intel.partner import REPORT_HXL, hxl_csv, reports_for_partners

    def day(value: str | None, option: str) -> dt.date | None:
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CounterflowError(f"{option} {value!r} is not a date", "write it as YYYY-MM-DD") from None

    with session_scope(get_engine()) as session:
        frame = reports_for_partners(session, since=day(since, "--since"), until=day(until, "--until"), k=k)
    if out is None:
        typer.echo(hxl_csv(frame, REPORT_HXL), nl=False)
    else:
        hxl_csv(frame, REPORT_HXL, out)
        typer.echo(f"wrote {len(frame)} rows to {out}")


@app.command()
def rejects(
    import_id: int | None = typer.Option(None, "--import", help="Only the rejects of this import."),
    limit: int = typer.Option(50, "--limit", help="Show at most this many rows."),
) -> None:
    """Show rejected rows with their file, line and reason."""
    from intel.db import get_engine, session_scope
    from intel.ingest import list_rejects

    with session_scope(get_engine()) as session:
        frame = list_rejects(session, import_id=import_id, limit=limit)
    if frame.empty:
        typer.echo("no rejected rows" + (f" in import #{import_id}" if import_id is not None else ""))
        return
    for imp, file, line, reason, raw in frame.itertuples(index=False, name=None):
        typer.echo(f"#{imp} {file}:{line}: {reason}")
        typer.echo(f"    {str(raw)[:200]}")


@app.command()
def grade(
    report_id: int = typer.Argument(..., help="Id of the report."),
    reliability: str | None = typer.Option(
        None, "--reliability", help="Source reliability A (completely reliable) .. F (cannot be judged)."
    ),
    credibility: int | None = typer.Option(
        None, "--credibility", help="Information credibility 1 (confirmed) .. 6 (cannot be judged)."
    ),
) -> None:
    """Change the reliability and credibility of one report."""
    from intel.db import get_engine, session_scope
    from intel.grading import grade_report

    with session_scope(get_engine()) as session:
        r = grade_report(session, report_id=report_id, reliability=reliability, credibility=credibility)
        typer.echo(f"report {r.id}: reliability {r.reliability}, credibility {r.credibility}")
