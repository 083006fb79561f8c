"""The steps of the loop, each a short call into the packages, shared by the CLI and the flows.

Every step borrows a session (the CLI command or the Prefect task owns it) and returns a plain
dict that a flow can pass on and a person can read.

Each step's module is imported on first use (``__getattr__``), so that a command that runs one
step does not pay for importing all the others (the campaign steps alone take about a second).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flows.steps.analysis import compare, hotspots, load_reports, run_hotspots
    from flows.steps.campaigns import (
        approve,
        edit,
        insights,
        plan,
        plan_summary,
        publish,
        review_copy,
        schedule,
        submit,
    )
    from flows.steps.figures import histogram, movement
    from flows.steps.intel import import_files, ingest, ingest_prepared, prepare_ingest
    from flows.steps.overlays import about, backdrop_for, overlay, purge_overlays, write_outputs
    from flows.steps.returns import feedback, outcomes

#: Where each step lives.
_MODULES = {
    "approve": "campaigns",
    "compare": "analysis",
    "edit": "campaigns",
    "feedback": "returns",
    "histogram": "figures",
    "hotspots": "analysis",
    "import_files": "intel",
    "ingest": "intel",
    "ingest_prepared": "intel",
    "prepare_ingest": "intel",
    "insights": "campaigns",
    "load_reports": "analysis",
    "movement": "figures",
    "outcomes": "returns",
    "about": "overlays",
    "backdrop_for": "overlays",
    "overlay": "overlays",
    "purge_overlays": "overlays",
    "write_outputs": "overlays",
    "plan": "campaigns",
    "plan_summary": "campaigns",
    "publish": "campaigns",
    "review_copy": "campaigns",
    "submit": "campaigns",
    "run_hotspots": "analysis",
    "schedule": "campaigns",
}

__all__ = [
    "approve",
    "compare",
    "edit",
    "feedback",
    "histogram",
    "hotspots",
    "import_files",
    "ingest",
    "ingest_prepared",
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
    "prepare_ingest",
    "publish",
    "review_copy",
    "run_hotspots",
    "schedule",
    "submit",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_MODULES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
