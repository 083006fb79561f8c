"""`counterflow` commands that close the loop: feedback files, tips, triage, tips-export, outcomes."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.app import app
from cli.tools import table as _table
from intel.errors import CounterflowError
from intel.roles import TipStatus

if TYPE_CHECKING:
    from sqlmodel import Session


def _session() -> AbstractContextManager[Session]:
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    return session_scope(get_engine(get_settings()))


@app.command()
def tips(
    status: str | None = typer.Option(None, help=f"Only tips with this status: {', '.join(TipStatus)}."),
    show_text: bool = typer.Option(
        False, "--show-text", help="Show each tip's text (analysts and admins; audited)."
    ),
    as_user: str | None = typer.Option(None, "--as", help="Your user name (needed with --show-text)."),
    limit: int = typer.Option(200, help="At most this many tips, newest first."),
) -> None:
    """The triage list of tips; their text only with --show-text --as AN_ANALYST."""
    from campaigns.feedback.tips import list_tips, read_tip_text
    from intel.settings import get_settings

    if status is not None and status not in tuple(TipStatus):
        raise CounterflowError(f"--status was {status!r}", f"use one of {', '.join(TipStatus)}")
    if show_text and not as_user:
        raise CounterflowError("--show-text needs to know who reads", "add --as YOUR_USER_NAME (an analyst)")
    from cli.credentials import prove

    settings = get_settings()
    if show_text:
        settings.tip_keys()  # a malformed key is refused before anyone is asked for a password
    with _session() as session:
        reader = prove(session, as_user, why="to read tip text") if show_text and as_user else None
        rows = list_tips(session, status=status, limit=limit)
        table = []
        for t in rows:
            row: list[object] = [
                t.id,
                t.received_at.strftime("%Y-%m-%d %H:%M"),
                t.status + (" (simulated)" if t.simulated else ""),
                t.campaign_id if t.campaign_id is not None else "unattributed",
                t.target_id,
                t.locale,
                t.place,
            ]
            if show_text:
                assert reader is not None and t.id is not None
                text = read_tip_text(session, tip_id=t.id, actor=reader, settings=settings)
                row.append(" ".join(text.split())[:120])
            table.append(row)
    headers = ["id", "received (UTC)", "status", "campaign", "target", "locale", "place"]
    if show_text:
        headers.append("text")
    typer.echo(_table(headers, table) if table else "no tips")


@app.command()
def triage(
    tip_id: int = typer.Argument(..., help="The tip's id (see `counterflow tips`)."),
    actionable: bool | None = typer.Option(
        None, "--actionable/--not-actionable", help="Your decision; an actionable tip becomes a report."
    ),
    as_user: str = typer.Option(..., "--as", help="Your user name (an analyst or admin)."),
    exploitation: str | None = typer.Option(
        None, help="Taxonomy codes or labels joined by |, e.g. sexual|forced_labour."
    ),
    place: str | None = typer.Option(
        None,
        help="Where it happened: Town, 'Town, Region', 'Town, Country' or 'District, Town' "
        "(resolved with the gazetteer, coarsened); an unknown or ambiguous place is refused "
        "with the candidates.",
    ),
    target_area: bool = typer.Option(
        False,
        "--target-area",
        help="Place the report at the campaign target's area (its centre, with town or region "
        "precision) when the tip says nothing more precise.",
    ),
    language: str | None = typer.Option(None, help="The report's language (default: the tip's locale)."),
) -> None:
    """Triage a tip: actionable tips become reports that the next hotspot run sees."""
    from campaigns.feedback.tips import triage_tip

    if actionable is None:
        raise CounterflowError("no decision was given", "add --actionable or --not-actionable")
    from cli.credentials import prove
    from intel.settings import get_settings

    get_settings().tip_keys()  # triage reads the tip: a malformed key is refused first
    with _session() as session:
        analyst = prove(session, as_user, why=f"to triage tip {tip_id}")
        done = triage_tip(
            session,
            tip_id=tip_id,
            actor=analyst,
            actionable=actionable,
            exploitation=exploitation,
            place=place,
            use_target_area=target_area,
            language=language,
        )
        report = f"; report {done.report_id}" if done.report_id else ""
        where = f" at {done.place_note}" if done.place_note else ""
        typer.echo(f"tip {done.tip.id}: {done.tip.status}{report}{where}")


@app.command("tips-export")
def tips_export(
    campaign_id: int = typer.Argument(..., help="The campaign."),
    out: Path | None = typer.Option(None, help="Write CSV here (default: print)."),
    k: int = typer.Option(11, "--k", help="Show counts below this as <k."),
) -> None:
    """Aggregated tip counts for partners (no text, no places; counts under k shown as <k; HXL tags)."""
    from campaigns.feedback.tips import TIPS_HXL, export_tips_aggregated
    from intel.partner import hxl_csv

    with _session() as session:
        frame = export_tips_aggregated(session, campaign_id=campaign_id, k=k)
    if out is None:
        typer.echo(hxl_csv(frame, TIPS_HXL), nl=False)
    else:
        hxl_csv(frame, TIPS_HXL, out)
        typer.echo(f"wrote {len(frame)} rows to {out}")


@app.command()
def outcomes(campaign_id: int = typer.Argument(..., help="The campaign.")) -> None:
    """Outcome metrics of a campaign per target x language, and the change at targeted hotspots."""
    from flows import steps
    from intel.settings import get_settings

    with _session() as session:
        out = steps.outcomes(session, campaign_id=campaign_id, settings=get_settings())

    def f(v: object, digits: int = 0) -> str:
        if v is None or (isinstance(v, float) and v != v):
            return "-"
        return f"{v:,.{digits}f}" if isinstance(v, int | float) else str(v)

    title = f"campaign {out['campaign_id']}: {out['campaign']}"
    typer.echo(title + ("  [SIMULATED DATA]" if out["simulated"] else ""))
    headers = [
        "target",
        "locale",
        "reach",
        "ctr %",
        "completion",
        "spend",
        "conversions",
        "cost/conv.",
        "pop. share",
        "tips",
        "actionable",
        "per 100k",
        "cost/actionable",
    ]
    rows = [
        [
            r["target"],
            r["locale"],
            f(r["reach"]),
            f(r["ctr"], 2),
            f(r["video_completion"], 3),
            f(r["spend"], 2),
            f(r["conversions"]),
            f(r["cost_per_conversion"], 2),
            f(r["population_share"], 4),
            r["tips"],
            r["actionable_tips"],
            f(r["tips_per_100k"], 1),
            f(r["cost_per_actionable_tip"], 2),
        ]
        for r in out["rows"]
    ]
    t = out["totals"]
    rows.append(
        [
            "TOTAL",
            "",
            f(t["reach"]),
            f(t["ctr"], 2),
            f(t["video_completion"], 3),
            f(t["spend"], 2),
            f(t["conversions"]),
            f(t["cost_per_conversion"], 2),
            f(t["population_share"], 4),
            t["tips"],
            t["actionable_tips"],
            f(t["tips_per_100k"], 1),
            f(t["cost_per_actionable_tip"], 2),
        ]
    )
    typer.echo(_table(headers, rows))
    for r in out["rows"]:
        if r["partial"]:
            typer.echo(f"partly unknown: {r['target']} {r['locale']}: {r['partial']}")
    c = out["change_at_hotspots"]
    if c is not None:
        typer.echo(
            f"reports per hotspot over {c['window_days']} days, before -> after: "
            f"targeted ({c['targeted_hotspots']}) {c['targeted_before']:.2f} -> {c['targeted_after']:.2f}; "
            f"untargeted ({c['untargeted_hotspots']}) {c['untargeted_before']:.2f} -> "
            f"{c['untargeted_after']:.2f}; difference in differences {f(c['did'], 2)}"
        )
    for note in out["notes"]:
        typer.echo(f"note: {note}")


@app.command()
def feedback(
    campaign: int = typer.Option(..., "--campaign", help="Campaign id."),
    metrics: Path | None = typer.Option(
        None, help="CSV: tracking_code, day, reach, impressions, clicks, ..."
    ),
    tips: Path | None = typer.Option(None, help="CSV: text, tracking_code, received_on, actionable, ..."),
    analyst: str | None = typer.Option(None, "--as", help="Analyst who triages tips marked actionable."),
    simulate: bool = typer.Option(False, help="Simulate metrics and tips (labelled simulated)."),
) -> None:
    """Load delivery metrics and tips with tracking codes; actionable tips become reports."""
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    if simulate and (metrics or tips):
        raise CounterflowError("--simulate was given with files", "either load files or simulate, not both")
    if simulate and not analyst:
        raise CounterflowError(
            "--simulate needs an analyst to triage", "pass --as NAME (a user with the analyst role)"
        )
    from cli.credentials import prove

    settings = get_settings()
    if simulate or tips:
        settings.tip_keys()  # tips are encrypted as they are stored: a malformed key is refused first
    with session_scope(get_engine(settings)) as s:
        if analyst:
            analyst = prove(s, analyst, why="to triage the tips marked actionable").name
        if simulate:
            from sandbox.feedback import simulated_feedback

            out = simulated_feedback(s, campaign_id=campaign, settings=settings, analyst=analyst or "")
        else:
            out = steps.feedback(
                s,
                campaign_id=campaign,
                settings=settings,
                metrics_path=metrics,
                tips_path=tips,
                analyst=analyst or "",
            )
    _echo_feedback(out)


def _echo_feedback(out: dict[str, Any]) -> None:
    label = " (SIMULATED)" if out.get("simulated") else ""
    typer.echo(f"feedback for campaign {out['campaign_id']}{label}")
    typer.echo(f"  metric rows: {out['metrics_stored']} stored of {out['metrics_read']}")
    typer.echo(
        f"  tips: {out['tips_stored']} stored of {out['tips_read']}, {out['tips_attributed']} attributed, "
        f"{out['tips_actionable']} actionable -> {out['reports_created']} new reports"
    )
    if out.get("left_for_triage"):
        lines = ", ".join(str(n) for n in out["left_for_triage"])
        typer.echo(
            f"  left for triage: {len(out['left_for_triage'])} actionable tips (lines {lines}) whose "
            "place is not one place the gazetteer knows; triage each with --place or --target-area"
        )
    if out.get("rejected"):
        typer.echo(f"  rejected: {out['rejected']} rows, kept with reasons in {out['rejects_path']}")
