"""The steps of the loop, each a short call into the packages, shared by the CLI and the flows.

Every step borrows a session (the CLI command or the Prefect task owns it) and returns a plain
dict that a flow can pass on and a person can read.
"""

from flows.steps.analysis import compare, hotspots, load_reports, run_hotspots
from flows.steps.campaigns import approve, edit, insights, plan, plan_summary, publish, schedule
from flows.steps.figures import histogram, movement
from flows.steps.intel import ingest
from flows.steps.overlay import about, backdrop_for, overlay, purge_overlays, write_outputs
from flows.steps.returns import feedback, outcomes

__all__ = [
    "approve",
    "compare",
    "edit",
    "feedback",
    "histogram",
    "hotspots",
    "ingest",
    "insights",
    "load_reports",
    "movement",
    "outcomes",
    "about",
    "backdrop_for",
    "overlay",
    "purge_overlays",
    "write_outputs",
    "plan",
    "plan_summary",
    "publish",
    "run_hotspots",
    "schedule",
]
