"""`counterflow` commands that close the loop: feedback, users, the demo and the flows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from cli.app import app
from intel.errors import CounterflowError

users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., help="campaign_manager, analyst, director or admin."),
) -> None:
    """Add a user with a role."""
    from intel.db import get_engine, session_scope
    from intel.users import add_user

    with session_scope(get_engine()) as s:
        user = add_user(s, name=name, role=role)
        typer.echo(f"user {user.name} ({user.role})")


@users_app.command("list")
def users_list() -> None:
    """List the users."""
    from intel.db import get_engine, session_scope
    from intel.users import list_users

    with session_scope(get_engine()) as s:
        for u in list_users(s):
            typer.echo(f"{u.name:20} {u.role}")


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
    settings = get_settings()
    with session_scope(get_engine(settings)) as s:
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
    if out.get("rejected"):
        typer.echo(f"  rejected: {out['rejected']} rows, kept with reasons in {out['rejects_path']}")


@app.command()
def demo(
    out: Path = typer.Option(Path("counterflow-demo"), help="Folder under which a fresh run folder is made."),
    reports: int = typer.Option(3000, min=200, max=200000, help="Number of simulated reports."),
    seed: int = typer.Option(7, help="Random seed of the scenario."),
    sdk: bool = typer.Option(True, help="Also publish through the SDK to a local fake Graph API."),
) -> None:
    """Run the whole loop on a generated scenario in a fresh folder and print where the outputs are."""
    import time

    from flows.prefect_env import prepare_prefect

    prepare_prefect()
    from flows.demo import run_demo

    t0 = time.perf_counter()
    result = run_demo(base=out, reports=reports, seed=seed, through_sdk=sdk, echo=typer.echo)
    print_loop_summary(result.summary)
    typer.echo(f"\ndone in {time.perf_counter() - t0:.1f} s. Outputs:")
    for name, path in result.outputs.items():
        typer.echo(f"  {name:22} {path}")
    typer.echo(
        f"  {'web app':22} COUNTERFLOW_HOME={result.folder} counterflow web  (from a clone: python3 -m uv run counterflow web)"
    )


def print_loop_summary(s: dict[str, Any]) -> None:
    ing = s["ingest"]
    typer.echo(
        f"\n1. ingest: {ing['rows_read']} rows read, {ing['rows_stored']} stored, "
        f"{ing['rows_duplicate']} merged as duplicates, {ing['rows_rejected']} rejected"
    )
    before = s["hotspots_before"]
    typer.echo(
        f"2. hotspots (run {before['run_id']}): {before['n_significant']} significant cells; ranked on the route:"
    )
    for row in before["ranked"]:
        typer.echo(
            f"   {row['rank']:>2}. {row['place'] or row['cell']:<22} {row['country'] or '':3} "
            f"reports {row['count']:>4}  z {row['z']:6.2f}  bin {row['bin']:+d}  {row.get('trend') or ''}"
        )
    plan = s["plan"]
    typer.echo(
        f"3. plan: campaign {plan['campaign_id']}, {len(plan['targets'])} targets, {plan['adsets']} ad sets, "
        f"{plan['assets']} assets in {len(plan['locales'])} locales ({', '.join(plan['locales'])})"
    )
    refusals = [f for f in plan["findings"] if f["level"] == "refuse"]
    warns = [f for f in plan["findings"] if f["level"] == "warn"]
    typer.echo(f"   preflight: {len(refusals)} refusals, {len(warns)} warnings")
    if plan.get("allow_fuzzy"):
        typer.echo(
            "   NOTE: dry-run demo uses DRAFT (fuzzy, unreviewed) translations; a real campaign cannot"
        )
    sch = s["schedule"]
    typer.echo(
        f"4. approved by a second person; {sch['posts']} posts scheduled in {', '.join(sch['timezones'])}"
    )
    pub = s["publish"]
    typer.echo(f"5. publish (dry-run outbox): {pub['sent']} objects recorded -> {pub.get('outbox')}")
    for name, p in (s.get("publish_also") or {}).items():
        typer.echo(
            f"   publish ({name} SDK -> local fake Graph API, simulated platform): {p['sent']} sent, "
            f"{len(p['failed'])} failed"
        )
    fb = s["feedback"]
    typer.echo(
        f"6. feedback (SIMULATED): {fb['metrics_stored']} daily metric rows, {fb['tips_stored']} tips, "
        f"{fb['tips_actionable']} actionable -> {fb['reports_created']} new reports"
    )
    if fb.get("followup_reports"):
        typer.echo(
            f"   + {fb['followup_reports']} simulated reports from the campaign period (other sources)"
        )
    after = s["hotspots_after"]
    typer.echo(f"7. hotspots again (run {after['run_id']}): what changed")
    for line in s["changes"]["lines"]:
        typer.echo(f"   {line}")
    o = s["outcomes"]
    t = o["totals"]
    label = " (SIMULATED)" if o.get("simulated") else ""
    typer.echo(f"8. outcomes{label}:")
    for key in (
        "reach",
        "impressions",
        "clicks",
        "ctr",
        "tips",
        "actionable_tips",
        "tips_per_100k",
        "cost_per_actionable_tip",
    ):
        if key in t:
            typer.echo(f"   {key:24} {_fmt(t[key])}")
    ch = o.get("change_at_hotspots")
    if ch and ch.get("did") is not None:
        typer.echo(
            f"   reports per hotspot, targeted {ch['targeted_before']:.1f} -> {ch['targeted_after']:.1f}, "
            f"untargeted {ch['untargeted_before']:.1f} -> {ch['untargeted_after']:.1f} "
            f"(difference in differences {ch['did']:+.1f})"
        )


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


@app.command("serve")
def serve() -> None:
    """Serve every flow's deployment with its schedule (needs a Prefect server for cron schedules)."""
    from flows.prefect_env import prepare_prefect

    prepare_prefect()
    from prefect import serve as prefect_serve

    from flows.deployments import build_deployments
    from intel.settings import get_settings

    prefect_serve(*build_deployments(get_settings()))


@app.command("loop")
def loop_cmd(
    reports_file: Path = typer.Argument(..., help="CSV of reports in the generic format."),
    route: str = typer.Option(..., help='Route, e.g. "Benin City > Agadez > Tripoli > Lampedusa > Rome".'),
    author: str = typer.Option(..., help="Campaign manager who plans."),
    approver: str = typer.Option(..., help="Another campaign manager who approves."),
    analyst: str = typer.Option(..., help="Analyst who triages tips."),
    ages: str = typer.Option("18-35", help="Audience ages MIN-MAX."),
    genders: str = typer.Option("all", help="all, women or men."),
    budget: float = typer.Option(..., help="Lifetime budget."),
    starts: str = typer.Option(..., help="First day YYYY-MM-DD."),
    ends: str = typer.Option(..., help="Last day YYYY-MM-DD."),
    paid_for_by: str = typer.Option(..., help="'Paid for by' disclaimer."),
    metrics: Path | None = typer.Option(None, help="Metrics CSV to load as feedback."),
    tips: Path | None = typer.Option(None, help="Tips CSV to load as feedback."),
) -> None:
    """Run the whole loop flow on a reports file, with real (not simulated) feedback files."""
    from flows.prefect_env import prepare_prefect

    for label, path in (("reports file", reports_file), ("--metrics", metrics), ("--tips", tips)):
        if path is not None and not path.is_file():
            raise CounterflowError(f"{label} {str(path)!r} does not exist", "check the path")

    prepare_prefect()
    from flows.loop import loop_flow
    from intel.settings import get_settings

    try:
        starts_on, ends_on = dt.date.fromisoformat(starts), dt.date.fromisoformat(ends)
    except ValueError as exc:
        raise CounterflowError(f"a date is not YYYY-MM-DD ({exc})", "write dates as 2027-01-31") from None
    settings = get_settings()
    summary = loop_flow(
        reports_file=str(reports_file),
        plan={
            "name": f"Campaign on {route}",
            "author": author,
            "ages": ages,
            "genders": genders,
            "budget": budget,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "paid_for_by": paid_for_by,
        },
        approver=approver,
        analyst=analyst,
        route=route,
        home=str(settings.home),
        database_url=settings.database_url,
        metrics=str(metrics) if metrics else None,
        tips=str(tips) if tips else None,
    )
    print_loop_summary(summary)


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
