"""Every flow's deployment, with its schedule, built in code.

``counterflow serve`` runs them all with ``prefect.serve`` (cron schedules fire only against
a real Prefect server: ``prefect server start`` and ``PREFECT_API_URL``; a temporary local API
refuses them). Parameters that differ per installation (home folder, database) come from the
``COUNTERFLOW_*`` settings of the serving process; the database URL is never a parameter (it
may carry a password, and Prefect stores and shows parameters).

Every deployment's parameters validate against its flow (Prefect enforces the flow's parameter
schema on each run): a scheduled deployment carries all it needs; an on-demand one is given the
parameters of :data:`RUN_PARAMETERS` by whoever starts a run.
"""

from __future__ import annotations

from typing import Any

from flows import loop
from intel.settings import Settings

#: flow name -> (deployment name, cron or None for on demand, description)
SCHEDULES: dict[str, tuple[str, str | None, str]] = {
    "ingest": ("ingest-on-demand", None, "Import a file of reports, an article or a feed."),
    "ingest files": (
        "ingest-files-on-demand",
        None,
        "Import many files, or a folder's files: read on a Dask cluster, stored file by file.",
    ),
    "hotspots": (
        "hotspots-nightly",
        "0 2 * * *",
        "Every night: a hotspot run for every saved route (all reports when none is saved).",
    ),
    "plan": ("plan-on-demand", None, "Plan a campaign; run on demand by a campaign manager."),
    "publish": ("publish-on-demand", None, "Schedule and publish an approved campaign."),
    "feedback": (
        "feedback-daily",
        "0 6 * * *",
        "Every morning: the platform insights of every running campaign, up to today.",
    ),
    # The whole loop on a file needs a plan and a grant that no schedule can invent: on demand.
    # The weekly loop runs per saved plan template (flows/templates.py), see build_deployments.
    "loop": ("loop-on-demand", None, "The whole loop on a reports file, with a plan."),
    "purge partner overlays": (
        "purge-partner-overlays-daily",
        "30 1 * * *",
        "Every night: delete partners' overlays kept longer than COUNTERFLOW_PARTNER_KEEP_DAYS.",
    ),
    "backtest": (
        "backtest-on-demand",
        None,
        "Backtest the forecast over many origins and resolutions, on a Dask cluster.",
    ),
}

WEEKLY_LOOP = "weekly loop"
"""The flow that gets one scheduled deployment per plan template (``loop-weekly-<stem>``)."""

#: on-demand deployment -> the parameters a run must give (its flow's required parameters)
RUN_PARAMETERS: dict[str, tuple[str, ...]] = {
    "ingest-on-demand": ("path",),
    "ingest-files-on-demand": ("paths",),
    "plan-on-demand": ("plan",),
    "publish-on-demand": ("campaign_id",),
    "loop-on-demand": ("reports_file", "plan", "approval_grant", "analyst", "route"),
    "backtest-on-demand": ("source",),
}


def description(flow_name: str) -> str:
    """The deployment's description, with the parameters a run must give when it has any."""
    name, _, text = SCHEDULES[flow_name]
    needed = RUN_PARAMETERS.get(name)
    return f"{text} A run gives: {', '.join(needed)}." if needed else text


def build_deployments(settings: Settings) -> list[Any]:
    """One ``RunnerDeployment`` per flow in :data:`flows.loop.ALL_FLOWS`, and one weekly loop per
    plan template in ``HOME/plans`` (:func:`flows.templates.load_templates`).

    Entrypoints are module paths (``flows.loop.hotspots_flow``), so a worker on any machine with
    counterflow installed runs them; nothing is copied from this machine."""
    from prefect.types.entrypoint import EntrypointType

    from flows.templates import load_templates

    # the database URL stays in the serving process's environment: it may hold a password
    common = {"home": str(settings.home)}
    deployments = []
    for fl in loop.ALL_FLOWS:
        if fl.name == WEEKLY_LOOP:
            continue
        name, cron, _ = SCHEDULES[fl.name]
        params = {k: v for k, v in common.items() if k in fl.parameters.properties}
        deployments.append(
            fl.to_deployment(
                name=name,
                cron=cron,
                description=description(fl.name),
                parameters=params,
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    for stem, template in load_templates(settings).items():
        deployments.append(
            loop.weekly_loop_flow.to_deployment(
                name=f"loop-weekly-{stem}",
                cron=template.cron,
                description=(
                    f"Every week: hotspots along {template.route}, a campaign planned from the "
                    f"template {stem}.toml, paused until another person approves it, then "
                    "scheduled and published."
                ),
                parameters={**common, "template": template.model_dump(mode="json")},
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments
