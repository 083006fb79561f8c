"""`counterflow` commands of the publishing room (registered on import): approve, schedule, publish,
outbox, insights, insights-import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from cli.app import app
from cli.tools import parse_date as _date
from intel.errors import CounterflowError


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
    as_: str = typer.Option(..., "--as", help="Name of the approving user (not the campaign's author)."),
) -> None:
    """Approve a campaign for publishing (a user other than its author)."""
    from campaigns.delivery.approval import approve_campaign
    from intel.db import get_engine, session_scope

    with session_scope(get_engine()) as session:
        c = approve_campaign(session, campaign_id=campaign_id, approver=as_)
        typer.echo(f"campaign {c.id} approved by {c.approved_by} at {c.approved_at:%Y-%m-%d %H:%M} UTC")


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
    from campaigns.delivery.schedule import calendar_ics, calendar_rows, schedule_campaign
    from intel.db import get_engine, session_scope

    windows = [_window(w) for w in window]
    with session_scope(get_engine()) as session:
        posts = schedule_campaign(
            session,
            campaign_id=campaign_id,
            windows=windows,
            spacing=dt.timedelta(minutes=spacing),
            posts_per_day=posts_per_day,
        )
        session.flush()
        rows = calendar_rows(session, campaign_id=campaign_id)
        typer.echo(f"campaign {campaign_id}: {len(posts)} posts scheduled")
        for r in rows[:20]:
            typer.echo(
                f"  {r['local_time'][:16]} {r['timezone']:<16} {r['target']} [{r['locale']}] {r['status']}"
            )
        if len(rows) > 20:
            typer.echo(f"  ... and {len(rows) - 20} more")
        if ics is not None:
            ics.parent.mkdir(parents=True, exist_ok=True)
            ics.write_bytes(calendar_ics(session, campaign_id=campaign_id))
            typer.echo(f"calendar written to {ics}")


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
    from campaigns.delivery.channels import get_channel
    from campaigns.delivery.channels.redact import install_redaction
    from campaigns.delivery.publish import publish_campaign
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    install_redaction()
    settings = get_settings()
    chosen = get_channel(channel or settings.channel, settings)
    with session_scope(get_engine(settings)) as session:
        report = publish_campaign(session, campaign_id=campaign_id, channel=chosen)
    typer.echo(
        f"campaign {campaign_id} via {report.channel}: {len(report.sent)} sent, {len(report.skipped)} "
        f"already sent, {len(report.reconciled)} recovered after an interrupted run, {len(report.failed)} failed"
    )
    if report.moved:
        typer.echo(f"  {len(report.moved)} past slots moved to their next window")
    for key, ext in report.sent:
        typer.echo(f"  sent     {key:<14} {ext}")
    for key, ext in report.reconciled:
        typer.echo(f"  recovered {key:<13} {ext}")
    for key, reason in report.failed:
        typer.echo(f"  FAILED   {key:<14} {reason}")
    if report.channel == "outbox":
        from campaigns.delivery.channels.outbox import outbox_path

        typer.echo(f"dry run: payloads recorded in {outbox_path(settings, campaign_id)}")
    if report.failed:
        raise CounterflowError(
            f"{len(report.failed)} objects of campaign {campaign_id} were not published",
            "fix what the FAILED lines say, then run `counterflow publish` again (sent objects are skipped)",
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
            f"run `counterflow publish {campaign_id}` (the outbox is the default channel)",
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
    from campaigns.delivery.channels import get_channel
    from campaigns.delivery.channels.redact import install_redaction
    from campaigns.feedback.insights import fetch_insights
    from intel.db import get_engine, session_scope
    from intel.models import Campaign
    from intel.settings import get_settings

    install_redaction()
    settings = get_settings()
    chosen = get_channel(channel or settings.channel, settings)
    with session_scope(get_engine(settings)) as session:
        c = session.get(Campaign, campaign_id)
        if c is None:
            raise CounterflowError(
                f"campaign {campaign_id} does not exist", "list campaigns with `counterflow campaigns`"
            )
        today = dt.datetime.now(dt.UTC).date()
        first = _date(since, "--since") or c.starts_on or today - dt.timedelta(days=7)
        last = _date(until, "--until") or min(c.ends_on or today, today)
        if since is None and until is None and first > today:
            typer.echo(f"campaign {campaign_id} starts on {first}: no insights yet")
            return
        result = fetch_insights(session, campaign_id=campaign_id, channel=chosen, since=first, until=last)
    typer.echo(
        f"campaign {campaign_id} {first}..{last} via {chosen.name}: {result.rows_read} rows read, "
        f"{result.inserted} new, {result.updated} updated, {result.unattributed} not this campaign's"
    )
    if chosen.name == "outbox":
        typer.echo("dry run: the outbox reaches nobody, so it has no insights (the demo simulates them)")


@app.command("insights-import")
def insights_import(
    file: Path = typer.Argument(..., help="Ads results export (CSV)."),
    campaign: int = typer.Option(..., "--campaign", help="Campaign id the export belongs to."),
    day: str | None = typer.Option(
        None, help="Day of a file without a date column (default: campaign start)."
    ),
) -> None:
    """Import an ads results export (CSV) as metrics (idempotent; bad rows kept as rejects)."""
    from campaigns.feedback.insights import import_ads_export
    from intel.db import get_engine, session_scope

    with session_scope(get_engine()) as session:
        result = import_ads_export(session, path=file, campaign_id=campaign, day=_date(day, "--day"))
    typer.echo(
        f"{file.name}: {result.rows_read} rows, {result.inserted} new and {result.updated} updated metrics, "
        f"{result.unattributed} rows of ad sets not published by counterflow, {len(result.rejected)} rejected"
    )
    for _line, reason in result.rejected[:10]:
        typer.echo(f"  rejected {reason}")
