"""Plan templates: the saved plans a weekly loop runs on.

A plan template is a TOML file in ``COUNTERFLOW_HOME/plans/`` (one per file, named by its stem):
the plan's fixed parts (route, author, audience, budget, disclaimer) and, instead of dates, how
many days after the run the campaign starts (``lead_days``) and how long it lasts (``days``).
``counterflow serve`` and ``counterflow deploy`` make one weekly deployment of the loop per
template (``loop-weekly-<stem>``); each run finds the route's hotspots, plans a draft campaign
from the template and pauses until another person approves or refuses it, then schedules and
publishes. For example ``plans/west.toml``::

    name = "Safe journeys west"
    route = "Benin City > Agadez > Sabha > Tripoli"
    author = "amara"
    budget = 2000
    paid_for_by = "Safe Passage NGO"
    ages = "16-30"
    genders = "women"
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from intel.errors import CounterflowError
from intel.settings import Settings

FOLDER = "plans"
WEEKLY = "0 3 * * 1"
"""Mondays at 03:00 (after the nightly hotspot runs), unless a template gives its own ``cron``."""

_STEM = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


class PlanTemplate(BaseModel):
    """The plan of a weekly loop (see the module docstring); unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    route: str = Field(min_length=3)
    author: str = Field(min_length=1)
    budget: float = Field(gt=0)
    paid_for_by: str = Field(min_length=1)
    ages: str = "18-35"
    genders: str = "all"
    languages: str = "local"
    currency: str = "USD"
    lead_days: int = Field(default=7, ge=1, le=90)
    days: int = Field(default=28, ge=1, le=366)
    top: int = Field(default=8, ge=1, le=50)
    corridor_km: float = Field(default=150.0, gt=0)
    channel: str = "outbox"
    cron: str = WEEKLY


def folder(settings: Settings) -> Path:
    return settings.home / FOLDER


def load_templates(settings: Settings) -> dict[str, PlanTemplate]:
    """Every template in ``HOME/plans/*.toml`` by its stem; a bad file is refused with its name."""
    found: dict[str, PlanTemplate] = {}
    for path in sorted(folder(settings).glob("*.toml")):
        if not _STEM.match(path.stem):
            raise CounterflowError(
                f"plan template {path.name}: the name must be lower-case letters, digits and dashes",
                f"rename {path.name}, e.g. to west-africa.toml",
            )
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            found[path.stem] = PlanTemplate.model_validate(data)
        except tomllib.TOMLDecodeError as exc:
            raise CounterflowError(f"plan template {path.name} is not TOML ({exc})", "fix the file") from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
            )
            raise CounterflowError(
                f"plan template {path.name} does not validate ({problems})",
                "fix the file: name, route, author, budget and paid_for_by are required",
            ) from None
    return found
