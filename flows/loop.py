"""Prefect flows: one per step of the loop, and one that runs the whole loop.

Tasks are one call into a step of :mod:`flows.steps` (which are the same functions the CLI
commands call) or into a store query; each task owns its session. Flows only orchestrate and
read as labelled steps. Retries are declared on the network tasks only (publish, insights).

No flow here defaults to the demo: its route and its simulated feedback live in
:mod:`flows.demo`, the one flow module that imports :mod:`sandbox`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prefect import Flow, flow, get_run_logger, task
from prefect.cache_policies import NONE

from flows import steps
from flows.evaluation import backtest_flow
from flows.imports import ingest_files_flow
from flows.session import flow_session
from flows.templates import PlanTemplate
from intel.errors import CommandHint, CounterflowError

DEFAULT_CORRIDOR_KM = 150.0


# --- tasks: one call each ------------------------------------------------------------------


@task(name="ingest", cache_policy=NONE)
def ingest_task(
    path: str,
    spec: str,
    home: str,
    database_url: str | None = None,
    kind: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Import one file, article or feed into the store."""
    with flow_session(home, database_url) as (s, settings):
        return steps.ingest(
            s, path=Path(path), spec=spec, settings=settings, source_kind=kind, source_name=source
        )


@task(name="hotspots", cache_policy=NONE)
def hotspots_task(
    route: str | None,
    home: str,
    database_url: str | None = None,
    corridor_km: float = 150.0,
    top: int = 8,
    until: dt.date | None = None,
    label: str = "",
) -> dict[str, Any]:
    """Score and rank hotspots along a route, store the run and draw its map."""
    with flow_session(home, database_url) as (s, settings):
        return steps.hotspots(
            s, route=route, corridor_km=corridor_km, top=top, until=until, settings=settings, label=label
        )


@task(name="plan", cache_policy=NONE)
def plan_task(plan: dict[str, Any], home: str, database_url: str | None = None) -> dict[str, Any]:
    """Plan a draft campaign on a stored hotspot run, with its localised assets."""
    with flow_session(home, database_url) as (s, settings):
        return steps.plan(s, settings=settings, **plan)


@task(name="approve", cache_policy=NONE)
def approve_task(
    campaign_id: int,
    approval_grant: int,
    home: str,
    database_url: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Record a second person's approval, spending the grant they made when they proved who they are.

    A flow never holds a password or token: the approver proves who they are to a face (the
    command line's prompt or token), which records a one-use grant in the store; the flow's
    parameter is that grant's id, which approves once, as that person only.
    """
    from intel.accounts import spend_grant

    with flow_session(home, database_url) as (s, _):
        approver = spend_grant(s, grant_id=approval_grant, purpose="approve")
        return steps.approve(s, campaign_id=campaign_id, approver=approver.name, now=now)


@task(name="schedule", cache_policy=NONE)
def schedule_task(
    campaign_id: int, home: str, database_url: str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Place the posts in each target's local time."""
    with flow_session(home, database_url) as (s, settings):
        return steps.schedule(s, campaign_id=campaign_id, settings=settings, now=now)


@task(name="publish", cache_policy=NONE, retries=2, retry_delay_seconds=[2, 10])
def publish_task(
    campaign_id: int,
    channel: str,
    home: str,
    database_url: str | None = None,
    options: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Send the approved campaign to a channel (exactly once per object, so retries are safe)."""
    with flow_session(home, database_url) as (s, settings):
        return steps.publish(
            s, campaign_id=campaign_id, channel=channel, settings=settings, now=now, **(options or {})
        )


@task(name="insights", cache_policy=NONE, retries=2, retry_delay_seconds=[5, 30])
def insights_task(
    campaign_id: int,
    home: str,
    database_url: str | None = None,
    channel: str | None = None,
    today: dt.date | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fetch a campaign's daily delivery insights from its channel into the store."""
    with flow_session(home, database_url) as (s, settings):
        return steps.insights(
            s, campaign_id=campaign_id, settings=settings, channel=channel, today=today, **(options or {})
        )


@task(name="running campaigns", cache_policy=NONE)
def running_campaigns_task(
    home: str, database_url: str | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """The campaigns that run today (or ended yesterday): their ids and channels."""
    from campaigns.crud import running_campaigns

    with flow_session(home, database_url) as (s, _):
        found = running_campaigns(s, today=today or dt.datetime.now(dt.UTC).date())
        return [{"campaign_id": c.id, "channel": c.channel} for c in found]


@task(name="saved routes", cache_policy=NONE)
def saved_routes_task(home: str, database_url: str | None = None) -> list[dict[str, Any]]:
    """Every saved route's name and corridor."""
    from intel.hotspot_store import list_routes

    with flow_session(home, database_url) as (s, _):
        return [{"name": r.name, "corridor_km": r.corridor_km} for r in list_routes(s)]


@task(name="feedback", cache_policy=NONE)
def feedback_task(
    campaign_id: int,
    home: str,
    database_url: str | None = None,
    metrics: str | None = None,
    tips: str | None = None,
    analyst: str = "analyst",
) -> dict[str, Any]:
    """Load metrics and tips files; actionable tips become reports."""
    with flow_session(home, database_url) as (s, settings):
        return steps.feedback(
            s,
            campaign_id=campaign_id,
            settings=settings,
            metrics_path=Path(metrics) if metrics else None,
            tips_path=Path(tips) if tips else None,
            analyst=analyst,
        )


@task(name="compare runs", cache_policy=NONE)
def compare_task(
    before_run: int, after_run: int, home: str, database_url: str | None = None
) -> dict[str, Any]:
    """What changed between two hotspot runs."""
    with flow_session(home, database_url) as (s, _):
        return steps.compare(s, before_run=before_run, after_run=after_run)


@task(name="outcomes", cache_policy=NONE)
def outcomes_task(campaign_id: int, home: str, database_url: str | None = None) -> dict[str, Any]:
    """Outcome metrics for directors."""
    with flow_session(home, database_url) as (s, settings):
        return steps.outcomes(s, campaign_id=campaign_id, settings=settings)


# --- flows -----------------------------------------------------------------------------------


@flow(name="ingest")
def ingest_flow(
    path: str,
    spec: str = "reports",
    home: str = "counterflow-data",
    database_url: str | None = None,
    kind: str | None = None,
    source: str | None = None,
):
    """Import a file of reports, an article or a feed (by its suffix, as ``counterflow ingest``).

    ``kind`` and ``source`` name the source kind (news, court, ngo_report, ...) and the source
    for rows that carry none."""
    return ingest_task(path, spec, home, database_url, kind, source)


@flow(name="hotspots")
def hotspots_flow(
    route: str | None = None,
    home: str = "counterflow-data",
    database_url: str | None = None,
    corridor_km: float | None = None,
    top: int = 8,
) -> dict[str, Any] | list[dict[str, Any]]:
    """Find and rank the hotspots along a route; returns the run.

    Without a route (the nightly deployment): one run per saved route, each in its own corridor
    unless ``corridor_km`` is given, or one run over all reports when no route is saved; returns
    the list of runs. Every route is run before a failed one fails the flow."""
    width = DEFAULT_CORRIDOR_KM if corridor_km is None else corridor_km
    if route is not None:
        return hotspots_task(route, home, database_url, width, top)
    saved = saved_routes_task(home, database_url)
    if not saved:
        return [hotspots_task(None, home, database_url, width, top, None, "all reports")]
    routes = [
        {"name": r["name"], "corridor_km": r["corridor_km"] if corridor_km is None else corridor_km}
        for r in saved
    ]
    if len(routes) == 1:
        return [
            hotspots_task(
                routes[0]["name"], home, database_url, routes[0]["corridor_km"], top, None, "saved route"
            )
        ]
    from flows.fanout import fan_out_runner

    return hotspot_routes_flow.with_options(task_runner=fan_out_runner())(routes, home, database_url, top)


@flow(name="hotspot routes")
def hotspot_routes_flow(
    routes: list[dict[str, Any]], home: str, database_url: str | None = None, top: int = 8
) -> list[dict[str, Any]]:
    """One hotspot run per route, each a task of the flow's task runner (Dask when
    :func:`flows.fanout.fan_out_runner` gives it), in the routes' order. Every route is run
    before a failed one fails the flow."""
    futures = [
        hotspots_task.submit(r["name"], home, database_url, r["corridor_km"], top, None, "saved route")
        for r in routes
    ]
    for f in futures:
        f.wait()
    return [f.result() for f in futures]


@flow(name="plan")
def plan_flow(plan: dict[str, Any], home: str = "counterflow-data", database_url: str | None = None):
    """Plan a campaign and its assets."""
    return plan_task(plan, home, database_url)


APPROVAL_WAIT_HOURS = 72.0
"""How long a run waits, paused, for an approval before it fails (a new run pauses again)."""

ANSWERS = 5
"""How many answers a paused run takes before it gives up: an answer whose grant does not hold
(spent, expired, the author's own) is logged and the run pauses again for another."""


@task(name="wait for approval", cache_policy=NONE)
def waiting_task(
    campaign_id: int, flow_run_id: str, home: str, database_url: str | None = None
) -> dict[str, Any]:
    """Who approved the campaign already, or a note in the store that this run waits for it."""
    from campaigns.crud import get_campaign
    from flows.steps.approval import record_waiting

    with flow_session(home, database_url) as (s, _):
        campaign = get_campaign(s, campaign_id=campaign_id)
        if not campaign.approved_by:
            record_waiting(s, campaign_id=campaign_id, flow_run_id=flow_run_id)
        return {"approved_by": campaign.approved_by}


@task(name="decide", cache_policy=NONE)
def decide_task(
    campaign_id: int,
    answer: dict[str, Any],
    home: str,
    database_url: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Spend the approver's grant and approve, or record the refusal (today's rules)."""
    from flows.steps.approval import decide

    with flow_session(home, database_url) as (s, _):
        return decide(s, campaign_id=campaign_id, now=now, **answer)


def await_approval(
    campaign_id: int,
    home: str,
    database_url: str | None,
    wait_hours: float,
    poll_seconds: int,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Pause the flow run until another person approves or refuses the campaign (see
    :mod:`flows.approval`); returns the decision. A campaign approved already goes on."""
    from prefect.flow_runs import pause_flow_run
    from prefect.runtime import flow_run

    from flows.approval import ApprovalInput

    run_id = str(flow_run.id)
    state = waiting_task(campaign_id, run_id, home, database_url)
    if state["approved_by"]:
        return {"decision": "approve", "by": state["approved_by"], "already": True}
    for attempt in range(1, ANSWERS + 1):
        answer = pause_flow_run(
            wait_for_input=ApprovalInput,
            timeout=int(wait_hours * 3600),
            poll_interval=poll_seconds,
            key=f"approval-{campaign_id}-{attempt}",
        )
        decided = decide_task(
            campaign_id,
            answer.model_dump(include={"grant", "decision", "reason"}),
            home,
            database_url,
            now,
            return_state=True,
        )
        if decided.is_completed():
            return decided.result()
        get_run_logger().warning("an answer was refused (%s); waiting for another", decided.message)
        state = waiting_task(campaign_id, run_id, home, database_url)
        if state["approved_by"]:
            return {"decision": "approve", "by": state["approved_by"], "already": True}
    raise CounterflowError(
        f"campaign {campaign_id}: {ANSWERS} answers to the approval were refused",
        "start a new publish run; the approver answers it as themselves, with their own password",
        hint=CommandHint("approve", f"{campaign_id} --as NAME"),
    )


@flow(name="publish")
def publish_flow(
    campaign_id: int,
    approval_grant: int | None = None,
    channel: str = "outbox",
    home: str = "counterflow-data",
    database_url: str | None = None,
    wait_hours: float = APPROVAL_WAIT_HOURS,
    poll_seconds: int = 10,
) -> dict[str, Any]:
    """Approve, schedule and publish a campaign.

    With an approver's grant, it is spent at once. Without one, a campaign that is not approved
    yet makes the run pause (Paused in Prefect) until another person answers with
    ``counterflow approve`` (:mod:`flows.approval`): an approval goes on to schedule and publish,
    a refusal ends the run. ``wait_hours`` bounds the wait; ``poll_seconds`` is how often the
    paused run looks for the answer."""
    if approval_grant is not None:
        decided: dict[str, Any] = approve_task(campaign_id, approval_grant, home, database_url)
    else:
        decided = await_approval(campaign_id, home, database_url, wait_hours, poll_seconds)
        if decided["decision"] == "refuse":
            return {"approval": decided, "schedule": None, "publish": None}
    scheduled = schedule_task(campaign_id, home, database_url)
    published = publish_task(campaign_id, channel, home, database_url)
    return {"approval": decided, "schedule": scheduled, "publish": published}


@task(name="purge partner overlays", cache_policy=NONE)
def purge_overlays_task(home: str, database_url: str | None = None) -> dict[str, int]:
    """Delete the partner overlays older than the retention setting."""
    with flow_session(home, database_url) as (s, settings):
        return steps.purge_overlays(s, settings=settings)


@flow(name="purge partner overlays")
def purge_overlays_flow(home: str = "counterflow-data", database_url: str | None = None) -> dict[str, int]:
    """Delete partners' overlays (records and results) kept longer than ``partner_keep_days``."""
    return purge_overlays_task(home, database_url)


@flow(name="feedback")
def feedback_flow(
    campaign_id: int | None = None,
    home: str = "counterflow-data",
    database_url: str | None = None,
    metrics: str | None = None,
    tips: str | None = None,
    analyst: str = "analyst",
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Bring back what campaigns achieved.

    Without a campaign id (the daily deployment): the platform insights of every running
    campaign (scheduled or published, ``today`` within its dates or the day after its end), each
    from its own channel, up to today. With one: that campaign's insights if it is running, and
    the metrics and tips files if given. Every campaign is tried before a failed one fails the
    flow."""
    if campaign_id is None and (metrics or tips):
        raise CounterflowError(
            "metrics and tips files were given without a campaign", "pass campaign_id with them"
        )
    running = running_campaigns_task(home, database_url, today)
    chosen = [c for c in running if campaign_id is None or c["campaign_id"] == campaign_id]
    states = [
        insights_task(c["campaign_id"], home, database_url, c["channel"], today, return_state=True)
        for c in chosen
    ]
    files = None
    if campaign_id is not None and (metrics or tips):
        files = feedback_task(campaign_id, home, database_url, metrics, tips, analyst)
    return {
        "campaigns": [c["campaign_id"] for c in chosen],
        "insights": [state.result() for state in states],
        "files": files,
    }


def close_loop(
    *,
    reports_file: str,
    plan: dict[str, Any],
    approval_grant: int,
    route: str,
    home: str,
    database_url: str | None,
    corridor_km: float,
    top: int,
    channel: str,
    extra_channels: dict[str, dict[str, Any]] | None,
    as_of: dt.datetime | None,
    feedback: Callable[[int], dict[str, Any]],
) -> dict[str, Any]:
    """The loop's tasks in order; ``feedback(campaign_id)`` brings the campaign's results back
    (files in the loop flow, a simulation in the demo flow)."""
    ingested = ingest_task(reports_file, "reports", home, database_url)
    before = hotspots_task(route, home, database_url, corridor_km, top, None, "before the campaign")
    # a replay (as_of) plans at that moment: its dates are not past then
    planned = plan_task({"now": as_of, **plan, "route": route, "run_id": before["run_id"]}, home, database_url)
    campaign_id = int(planned["campaign_id"])
    approve_task(campaign_id, approval_grant, home, database_url, as_of)
    scheduled = schedule_task(campaign_id, home, database_url, as_of)
    published = publish_task(campaign_id, channel, home, database_url, None, as_of)
    also = {
        name: publish_task(campaign_id, name, home, database_url, options, as_of)
        for name, options in (extra_channels or {}).items()
    }
    fed = feedback(campaign_id)
    after = hotspots_task(route, home, database_url, corridor_km, top, None, "after the feedback")
    changed = compare_task(int(before["run_id"]), int(after["run_id"]), home, database_url)
    outcome = outcomes_task(campaign_id, home, database_url)
    return {
        "ingest": ingested,
        "hotspots_before": before,
        "plan": planned,
        "schedule": scheduled,
        "publish": published,
        "publish_also": also,
        "feedback": fed,
        "hotspots_after": after,
        "changes": changed,
        "outcomes": outcome,
    }


@flow(name="loop")
def loop_flow(
    reports_file: str,
    plan: dict[str, Any],
    approval_grant: int,
    analyst: str,
    route: str,
    home: str = "counterflow-data",
    database_url: str | None = None,
    corridor_km: float = 150.0,
    top: int = 8,
    channel: str = "outbox",
    metrics: str | None = None,
    tips: str | None = None,
    extra_channels: dict[str, dict[str, Any]] | None = None,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """The whole loop: ingest -> hotspots -> plan -> approve -> schedule -> publish -> feedback ->
    hotspots again, and what changed.

    ``approval_grant`` is the id of the one-use grant the approver made by proving who they are
    (``intel.accounts.issue_grant``; the command line makes it after their password or token).
    ``as_of`` replays the loop at an earlier moment."""
    return close_loop(
        reports_file=reports_file,
        plan=plan,
        approval_grant=approval_grant,
        route=route,
        home=home,
        database_url=database_url,
        corridor_km=corridor_km,
        top=top,
        channel=channel,
        extra_channels=extra_channels,
        as_of=as_of,
        feedback=lambda cid: feedback_task(cid, home, database_url, metrics, tips, analyst),
    )


@flow(name="weekly loop")
def weekly_loop_flow(
    template: PlanTemplate,
    home: str = "counterflow-data",
    database_url: str | None = None,
    today: dt.date | None = None,
    wait_hours: float = APPROVAL_WAIT_HOURS,
    poll_seconds: int = 10,
) -> dict[str, Any]:
    """The weekly loop on a saved plan template (:mod:`flows.templates`): hotspots along the
    template's route, a draft campaign planned from it (starting ``lead_days`` after ``today``,
    for ``days`` days), a pause until another person approves or refuses it, then the schedule
    and publishing to the template's channel. Reports come in by ``ingest`` and results by the
    daily ``feedback`` deployment, so this loop neither imports nor fetches.

    The plan's author is the template's, recorded by name (a deployment cannot prove who they
    are); the approval is a person's, proven at ``counterflow approve``."""
    day = today or dt.datetime.now(dt.UTC).date()
    starts = day + dt.timedelta(days=template.lead_days)
    ends = starts + dt.timedelta(days=template.days - 1)
    hot = hotspots_task(
        template.route, home, database_url, template.corridor_km, template.top, None, "weekly loop"
    )
    planned = plan_task(
        {
            "name": f"{template.name} ({starts.isoformat()})",
            "route": template.route,
            "run_id": hot["run_id"],
            "author": template.author,
            "ages": template.ages,
            "genders": template.genders,
            "languages": template.languages,
            "budget": template.budget,
            "currency": template.currency,
            "starts_on": starts,
            "ends_on": ends,
            "top": template.top,
            "paid_for_by": template.paid_for_by,
        },
        home,
        database_url,
    )
    campaign_id = int(planned["campaign_id"])
    decided = await_approval(campaign_id, home, database_url, wait_hours, poll_seconds)
    out: dict[str, Any] = {"hotspots": hot, "plan": planned, "approval": decided}
    if decided["decision"] == "refuse":
        return {**out, "schedule": None, "publish": None}
    out["schedule"] = schedule_task(campaign_id, home, database_url)
    out["publish"] = publish_task(campaign_id, template.channel, home, database_url)
    return out


ALL_FLOWS: list[Flow[Any, Any]] = [
    ingest_flow,
    ingest_files_flow,
    hotspots_flow,
    plan_flow,
    publish_flow,
    feedback_flow,
    loop_flow,
    weekly_loop_flow,
    backtest_flow,
    purge_overlays_flow,
]
