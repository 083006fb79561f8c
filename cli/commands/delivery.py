"""`counterflow` commands of the publishing room (registered on import): approve, schedule, publish,
outbox, insights, insights-import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from cli.app import app
from cli.tools import parse_date as _date
from intel.errors import CommandHint, CounterflowError


def _window(value: str) -> tuple[int, int]:
    try:
        h, m = value.split(":")
        return int(h), int(m)
    except ValueError:
        raise CounterflowError(
            f"--window was {value!r}", "write windows as HH:MM, e.g. --window 08:00"
        ) from None


@app.command()
def approve(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    as_: str = typer.Option(
        ...,
        "--as",
        help="Your user name: you approve (not the campaign's author), with your password or token.",
    ),
    refuse: bool = typer.Option(
        False, "--refuse", help="Refuse it instead: the publish run waiting for approval ends."
    ),
    reason: str = typer.Option("", "--reason", help="Why (recorded with the decision)."),
) -> None:
    """Approve a campaign for publishing (a user other than its author).

    When a publish run (or a weekly loop) waits paused in Prefect for this campaign's approval,
    the decision goes to that run as a one-use grant, and the run approves (or ends on a
    refusal) itself; otherwise the approval is recorded here."""
    from cli.credentials import prove
    from flows import steps
    from flows.steps.approval import waiting_run
    from intel.db import get_engine, session_scope

    with session_scope(get_engine()) as session:
        approver = prove(session, as_, why=f"to {'refuse' if refuse else 'approve'} campaign {campaign_id}")
        if waiting_run(session, campaign_id=campaign_id) is not None:
            from flows.prefect_env import prepare_prefect

            prepare_prefect()
            from flows.approval import hand_over

            run_id = hand_over(
                session,
                campaign_id=campaign_id,
                user=approver,
                decision="refuse" if refuse else "approve",
                reason=reason,
            )
            if run_id is not None:
                typer.echo(
                    f"campaign {campaign_id}: {'refusal' if refuse else 'approval'} by {approver.name} "
                    f"handed to the paused flow run {run_id}, which "
                    + ("ends" if refuse else "approves, schedules and publishes")
                )
                return
        if refuse:
            raise CounterflowError(
                f"no run waits for the approval of campaign {campaign_id}, so there is nothing to refuse",
                "refuse when a publish run is paused for approval (start one with the publish-on-demand deployment)",
            )
        done = steps.approve(session, campaign_id=campaign_id, approver=approver.name)
    at = dt.datetime.fromisoformat(done["approved_at"])
    typer.echo(f"campaign {done['campaign_id']} approved by {done['approved_by']} at {at:%Y-%m-%d %H:%M} UTC")


@app.command()
def schedule(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    window: list[str] = typer.Option(
        ["08:00", "12:30", "19:00"], "--window", help="Local dayparting window HH:MM (repeatable)."
    ),
    spacing: int = typer.Option(20, help="Minutes between the languages of one target in a window."),
    posts_per_day: int = typer.Option(1, help="Posts per ad set and day, each in its own window."),
    ics: Path | None = typer.Option(None, help="Also write the calendar as an iCalendar (.ics) file."),
) -> None:
    """Lay out the campaign's posts in each target's local time (and export an ICS calendar)."""
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    windows = [_window(w) for w in window]
    settings = get_settings()
    with session_scope(get_engine(settings)) as session:
        done = steps.schedule(
            session,
            campaign_id=campaign_id,
            settings=settings,
            windows=windows,
            spacing_minutes=spacing,
            posts_per_day=posts_per_day,
            replan=True,
            ics_path=ics,
        )
    typer.echo(f"campaign {campaign_id}: {done['posts']} posts scheduled")
    for r in done["calendar"]:
        typer.echo(
            f"  {r['local_time'][:16]} {r['timezone']:<16} {r['target']} [{r['locale']}] {r['status']}"
        )
    if done["calendar_total"] > len(done["calendar"]):
        typer.echo(f"  ... and {done['calendar_total'] - len(done['calendar'])} more")
    if done["ics"] is not None:
        typer.echo(f"calendar written to {done['ics']}")


@app.command()
def publish(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    channel: str | None = typer.Option(
        None,
        help="outbox (dry run, the default), facebook (needs the COUNTERFLOW_FACEBOOK_* settings) "
        "or facebook-sandbox (a sandbox ad account: the policy treats it as a dry run).",
    ),
) -> None:
    """Publish an approved campaign; a rerun sends only what was not sent (never twice)."""
    from campaigns.delivery.channels.redact import install_redaction
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    install_redaction()
    settings = get_settings()
    with session_scope(get_engine(settings)) as session:
        done = steps.publish(session, campaign_id=campaign_id, channel=channel, settings=settings)
    failed = done["failed"]
    typer.echo(
        f"campaign {campaign_id} via {done['channel']}: {done['sent']} sent, {done['skipped']} "
        f"already sent, {done['reconciled']} recovered after an interrupted run, {len(failed)} failed"
    )
    if done["moved"]:
        typer.echo(f"  {done['moved']} past slots moved to their next window")
    for key, ext in done["sent_objects"]:
        typer.echo(f"  sent     {key:<14} {ext}")
    for key, ext in done["reconciled_objects"]:
        typer.echo(f"  recovered {key:<13} {ext}")
    for key, reason in failed:
        typer.echo(f"  FAILED   {key:<14} {reason}")
    if done.get("outbox"):
        typer.echo(f"dry run: payloads recorded in {done['outbox']}")
    if failed:
        raise CounterflowError(
            f"{len(failed)} objects of campaign {campaign_id} were not published",
            "fix what the FAILED lines say, then publish again (sent objects are skipped)",
            hint=CommandHint("publish", f"{campaign_id}"),
        )


@app.command()
def outbox(campaign_id: int = typer.Argument(..., help="Campaign id.")) -> None:
    """Show the payloads the dry-run outbox recorded for a campaign."""
    from campaigns.delivery.channels.outbox import outbox_path, read_outbox
    from intel.settings import get_settings

    settings = get_settings()
    lines = read_outbox(settings, campaign_id)
    if not lines:
        raise CounterflowError(
            f"the outbox of campaign {campaign_id} is empty",
            "publish the campaign first (the outbox is the default channel)",
            hint=CommandHint("publish", f"{campaign_id}"),
        )
    kinds: dict[str, int] = {}
    for line in lines:
        kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
    typer.echo(f"{outbox_path(settings, campaign_id)}: {len(lines)} requests (dry run, nothing was sent)")
    typer.echo("  " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    for line in lines:
        p = line["params"]
        what = p.get("name") or (p.get("message", "").splitlines() or [""])[0]
        extra = ""
        if line["kind"] == "post":
            extra = " at " + dt.datetime.fromtimestamp(p["scheduled_publish_time"], dt.UTC).strftime(
                "%Y-%m-%d %H:%M UTC"
            )
        typer.echo(f"  {line['method']} {line['path']:<28} {line['key']:<14} {what[:60]}{extra}")


@app.command()
def insights(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    since: str | None = typer.Option(None, help="First day, YYYY-MM-DD (default: the campaign's start)."),
    until: str | None = typer.Option(
        None, help="Last day, YYYY-MM-DD (default: yesterday or the campaign's end)."
    ),
    channel: str | None = typer.Option(
        None, help="outbox, facebook or facebook-sandbox (default: COUNTERFLOW_CHANNEL)."
    ),
) -> None:
    """Fetch daily per-ad-set insights into the store (idempotent)."""
    from campaigns.delivery.channels.redact import install_redaction
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    install_redaction()
    settings = get_settings()
    first, last = _date(since, "--since"), _date(until, "--until")
    with session_scope(get_engine(settings)) as session:
        got = steps.insights(
            session, campaign_id=campaign_id, settings=settings, channel=channel, since=first, until=last
        )
    if got["not_started"]:
        typer.echo(f"campaign {campaign_id} starts on {got['first_day']}: no insights yet")
        return
    typer.echo(
        f"campaign {campaign_id} {got['first_day']}..{got['last_day']} via {got['channel']}: "
        f"{got['rows_read']} rows read, {got['inserted']} new, {got['updated']} updated, "
        f"{got['unattributed']} not this campaign's"
    )
    if got["unattributed"]:
        typer.echo(
            f"  their {got['unattributed_spend']:,.2f} spend is kept apart: not counted in the campaign's totals"
        )
    if got["channel"] == "outbox":
        typer.echo("dry run: the outbox reaches nobody, so it has no insights (the demo simulates them)")


@app.command("insights-import")
def insights_import(
    file: Path = typer.Argument(..., help="Ads results export (CSV)."),
    campaign: int = typer.Option(..., "--campaign", help="Campaign id the export belongs to."),
    day: str | None = typer.Option(
        None,
        help="Day of the rows without a date, YYYY-MM-DD (without it such rows are refused).",
    ),
) -> None:
    """Import an ads results export (CSV) as metrics (idempotent; bad rows kept as rejects)."""
    from campaigns.feedback.insights import import_ads_export
    from intel.db import get_engine, session_scope

    with session_scope(get_engine()) as session:
        result = import_ads_export(session, path=file, campaign_id=campaign, day=_date(day, "--day"))
    typer.echo(
        f"{file.name}: {result.rows_read} rows, {result.inserted} new and {result.updated} updated metrics, "
        f"{len(result.rejected)} rejected"
    )
    typer.echo("  measures: " + ", ".join(f"{m} from {c!r}" for m, c in result.columns.items()))
    missing = [
        m for m in ("impressions", "clicks", "spend", "reach", "conversions") if m not in result.columns
    ]
    if missing:
        typer.echo(f"  not in the export, so unknown (not 0): {', '.join(missing)}")
    if result.columns_not_stored:
        typer.echo(f"  columns not stored: {', '.join(result.columns_not_stored)}")
    if result.unattributed:
        typer.echo(
            f"  unattributed: {result.unattributed} rows of ad sets not published by counterflow, "
            f"{result.unattributed_spend:,.2f} spend, kept apart and not counted in the campaign's totals"
        )
    for note in result.notes[:10]:
        typer.echo(f"  note: {note}")
    for _line, reason in result.rejected[:10]:
        typer.echo(f"  rejected {reason}")
    if len(result.rejected) > 10:
        typer.echo(f"  ... and {len(result.rejected) - 10} more rejected rows (all kept in the rejects)")


@app.command("campaigns")
def campaigns_list() -> None:
    """List the campaigns: id, status, author, approver, dates, targets and channel."""
    from sqlmodel import col, func, select

    from intel.db import get_engine, session_scope
    from intel.models import Campaign, Target

    with session_scope(get_engine()) as s:
        counts = dict(
            s.exec(select(Target.campaign_id, func.count()).group_by(Target.campaign_id)).all()  # type: ignore[arg-type]
        )
        rows = s.exec(select(Campaign).order_by(col(Campaign.id))).all()
        if not rows:
            typer.echo("no campaigns yet: plan one with `counterflow plan --route ...`")
            return
        typer.echo(
            f"{'id':>4}  {'status':9}  {'author':10}  {'approved by':11}  {'dates':23}  {'targets':>7}  channel  name"
        )
        for c in rows:
            dates = f"{c.starts_on} .. {c.ends_on}"
            typer.echo(
                f"{c.id:>4}  {c.status:9}  {c.author:10}  {c.approved_by or '-':11}  {dates:23}  "
                f"{counts.get(c.id or 0, 0):>7}  {c.channel:7}  {c.name}"
            )
