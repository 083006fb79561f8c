"""Every flow's deployment, with its schedule, built in code.

``counterflow serve`` runs them all with ``prefect.serve`` (cron schedules fire only against
a real Prefect server: ``prefect server start`` and ``PREFECT_API_URL``; a temporary local API
refuses them). Parameters that differ per installation (home folder, database) come from the
``COUNTERFLOW_*`` settings of the serving process; the database URL is never a parameter (it
may carry a password, and Prefect stores and shows parameters).
"""

from __future__ import annotations

from typing import Any

from flows import loop
from intel.settings import Settings

#: flow name -> (deployment name, cron, description)
SCHEDULES: dict[str, tuple[str, str | None, str]] = {
    "ingest": ("ingest-on-demand", None, "Import a file; run on demand with its path."),
    "hotspots": ("hotspots-nightly", "0 2 * * *", "Re-score the route's hotspots every night."),
    "plan": ("plan-on-demand", None, "Plan a campaign; run on demand by a campaign manager."),
    "publish": ("publish-on-demand", None, "Schedule and publish an approved campaign."),
    "feedback": ("feedback-daily", "0 6 * * *", "Pull yesterday's insights and tips every morning."),
    "loop": ("loop-weekly", "0 3 * * 1", "The whole loop, weekly, on the shared store."),
}


def build_deployments(settings: Settings) -> list[Any]:
    """One ``RunnerDeployment`` per flow in :data:`flows.loop.ALL_FLOWS`."""
    # the database URL stays in the serving process's environment: it may hold a password
    common = {"home": str(settings.home)}
    deployments = []
    for fl in loop.ALL_FLOWS:
        name, cron, description = SCHEDULES[fl.name]
        params = {k: v for k, v in common.items() if k in fl.parameters.properties}
        deployments.append(fl.to_deployment(name=name, cron=cron, description=description, parameters=params))
    return deployments
