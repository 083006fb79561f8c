"""`counterflow` commands of the Prefect flows: the demo, the whole loop, and serving the deployments."""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path
from typing import Any

import typer

from cli.app import app
from intel.errors import CounterflowError


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
    for line in open_lines(
        result.folder, result.passwords, campaign=int(result.summary["plan"]["campaign_id"])
    ):
        typer.echo(line)


def open_lines(folder: Path, passwords: dict[str, str], *, campaign: int, port: int = 8000) -> list[str]:
    """How to open a demo in the web app: its absolute folder, the command, the address, and the
    demo users with their roles, what they did and their demo-only passwords."""
    from flows.demo import DEMO_DOINGS, DEMO_USERS

    folder = folder.resolve()
    home = shlex.quote(str(folder))
    url = f"http://127.0.0.1:{port}"
    lines = [
        "",
        "Open it in the web app:",
        f"  folder    {folder}",
        f"  command   COUNTERFLOW_HOME={home} counterflow web --port {port}",
        f"            (from a clone: COUNTERFLOW_HOME={home} sh scripts/uv.sh run --frozen --no-dev counterflow web --port {port})",
        f"  address   {url}/  (sign in at {url}/signin; what each role does next: {url}/welcome)",
        "",
        "Demo users (DEMO ONLY passwords, printed this once):",
    ]
    for name, password in passwords.items():
        did, start = DEMO_DOINGS.get(name, ("", "/"))
        role = str(DEMO_USERS.get(name, "?"))
        lines.append(
            f"  {name:8} {role:17} {password}  {did}; starts at {url}{start.format(campaign=campaign)}"
        )
    return lines


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
    if "budget" in plan:
        from cli.commands.planning import echo_plan

        echo_plan(plan)
        for f in warns:
            if f["rule"] in ("budget_target_dropped", "budget_adsets_dropped", "not_significant", "left_out"):
                typer.echo(f"   warn [{f['rule']}] {f['object']}: {f['problem']}")
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


def _list_deployments(deployments: list[Any]) -> None:
    from flows.deployments import RUN_PARAMETERS

    for d in deployments:
        crons = [sch.schedule.cron for sch in d.schedules]
        when = f"cron {crons[0]}" if crons else "on demand"
        needs = RUN_PARAMETERS.get(d.name)
        line = f"  {d.flow_name + '/' + d.name:38} {when:18} " + (
            f"a run gives: {', '.join(needs)}" if needs else ""
        )
        typer.echo(line.rstrip())


@app.command("serve")
def serve() -> None:
    """Serve every flow's deployment in this process; cron schedules need a Prefect server.

    Hotspots run nightly for every saved route, insights daily for every running campaign and a
    weekly loop per plan template (HOME/plans/*.toml); ingest, plan, publish and the whole loop
    run on demand with the parameters listed.

    Start the server first with `prefect server start` and set PREFECT_API_URL (for example
    http://127.0.0.1:4200/api): a temporary local API fires no cron schedule. The store comes
    from the COUNTERFLOW_* settings. For workers on several machines, see `counterflow deploy`.
    """
    from flows.prefect_env import prepare_prefect

    prepare_prefect()
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL

    from flows.deployments import build_deployments
    from intel.settings import get_settings

    deployments = build_deployments(get_settings())
    _list_deployments(deployments)
    if not PREFECT_API_URL.value():
        typer.echo(
            "no Prefect server (PREFECT_API_URL is not set): cron schedules will not fire; "
            "run `prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    prefect_serve(*deployments)


@app.command("deploy")
def deploy(
    pool: str = typer.Option(..., "--pool", help="The Prefect work pool (type process) the workers poll."),
) -> None:
    """Register every deployment with a work pool on the Prefect server; workers run them.

    Run it again after adding or changing a plan template. Each worker (`prefect worker start
    --pool NAME`, on this machine or another with counterflow installed and the same
    COUNTERFLOW_DATABASE_URL and COUNTERFLOW_HOME) imports the flows from its own installation.
    """
    from flows.prefect_env import prepare_prefect

    prepare_prefect()
    from prefect.settings import PREFECT_API_URL

    from flows.deployments import build_deployments
    from intel.settings import get_settings

    if not PREFECT_API_URL.value():
        raise CounterflowError(
            "PREFECT_API_URL is not set, so there is no Prefect server to register with",
            "start one with `prefect server start` and set PREFECT_API_URL=http://HOST:4200/api",
        )
    deployments = build_deployments(get_settings())
    for d in deployments:
        try:
            d.apply(work_pool_name=pool)
        except Exception as exc:  # the server refuses: an unknown pool, a server that is down
            raise CounterflowError(
                f"the Prefect server at {PREFECT_API_URL.value()} refused deployment {d.name} ({exc})",
                f"check the server is up and the pool exists: prefect work-pool create {pool} --type process",
            ) from None
    typer.echo(f"{len(deployments)} deployments registered with work pool {pool!r}:")
    _list_deployments(deployments)


@app.command("loop")
def loop_cmd(
    reports_file: Path = typer.Argument(..., help="CSV of reports in the generic format."),
    route: str = typer.Option(..., help='Route, e.g. "Benin City > Agadez > Tripoli > Lampedusa > Rome".'),
    author: str = typer.Option(..., help="Campaign manager who plans (their password or token)."),
    approver: str = typer.Option(..., help="Another campaign manager who approves (their password)."),
    analyst: str = typer.Option(..., help="Analyst who triages tips (their password or token)."),
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
    from cli.credentials import prove
    from intel.accounts import issue_grant
    from intel.db import get_engine, session_scope

    # Each person proves who they are before anything runs; the approver's proof becomes a
    # one-use grant that the flow spends (no password or token ever becomes a flow parameter).
    with session_scope(get_engine(settings)) as s:
        author = prove(s, author, why="to plan the campaign").name
        approving = prove(s, approver, why="to approve the campaign")
        analyst = prove(s, analyst, why="to triage the tips").name
        if approving.name.casefold() == author.casefold():
            raise CounterflowError(
                f"{author} would approve their own campaign", "name another campaign manager as the approver"
            )
        grant = issue_grant(s, user=approving, purpose="approve")
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
        approval_grant=grant,
        analyst=analyst,
        route=route,
        home=str(settings.home),
        # No database_url: Prefect stores and shows a flow's parameters, and the URL may hold a
        # password. The flow runs in this process and finds the store in its settings.
        metrics=str(metrics) if metrics else None,
        tips=str(tips) if tips else None,
    )
    print_loop_summary(summary)
