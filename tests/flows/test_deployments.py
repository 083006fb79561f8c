"""The deployments `counterflow serve` builds: one per flow, each with parameters that validate
against its flow, and no demo default in any production flow."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from prefect.exceptions import ParameterTypeError

from flows.demo import DEMO_ROUTE
from flows.deployments import RUN_PARAMETERS, SCHEDULES, WEEKLY_LOOP, build_deployments
from flows.loop import ALL_FLOWS

FLOWS = Path(__file__).resolve().parents[2] / "flows"

#: an example value for each parameter a run of an on-demand deployment gives
EXAMPLES: dict[str, Any] = {
    "path": "reports.csv",
    "paths": ["incoming"],
    "plan": {"name": "A campaign", "author": "amara", "budget": 900.0},
    "campaign_id": 1,
    "reports_file": "reports.csv",
    "approval_grant": 1,
    "analyst": "chidi",
    "route": "Benin City > Agadez > Tripoli",
    "source": "store",
}


WEST = """
name = "Safe journeys west"
route = "Benin City > Agadez > Sabha > Tripoli"
author = "cam"
budget = 2000
paid_for_by = "Test NGO"
genders = "women"
languages = "en"
top = 3
lead_days = 2
days = 5
"""


def _template(settings, stem: str, text: str) -> None:
    folder = settings.home / "plans"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def deployments(sqlite_settings) -> list[Any]:
    _template(sqlite_settings, "west", WEST)
    _template(sqlite_settings, "east", 'name = "East"\nroute = "Asmara > Khartoum"\nauthor = "cam"\n'
              'budget = 500\npaid_for_by = "Test NGO"\ncron = "30 4 * * 3"\n')  # fmt: skip
    return build_deployments(sqlite_settings)


def _flow(name: str):
    return next(f for f in ALL_FLOWS if f.name == name)


def test_every_flow_has_one_deployment_and_the_weekly_loop_one_per_template(deployments):
    names = {f.name for f in ALL_FLOWS}
    assert names == {*SCHEDULES, WEEKLY_LOOP}
    assert sorted(d.flow_name for d in deployments) == sorted([*SCHEDULES, WEEKLY_LOOP, WEEKLY_LOOP])
    # module-path entrypoints: a worker on any machine imports the flows from its installation
    for d in deployments:
        fl = _flow(d.flow_name)
        assert d.entrypoint == f"{fl.fn.__module__}.{fl.fn.__name__}"
    # a database URL (it may hold a password) is never stored as a deployment parameter
    assert all("database_url" not in (d.parameters or {}) for d in deployments)


def test_every_deployment_validates_its_parameters(deployments, sqlite_settings):
    scheduled = set()
    for d in deployments:
        fl = _flow(d.flow_name)
        stored = dict(d.parameters or {})
        assert stored["home"] == str(sqlite_settings.home)
        if d.schedules:
            scheduled.add(d.name)
            # a scheduled run has nothing but what the deployment stores
            assert d.name not in RUN_PARAMETERS
            fl.validate_parameters(stored)
            continue
        # an on-demand run gives exactly the documented parameters; without them it cannot start
        needed = RUN_PARAMETERS[d.name]
        fl.validate_parameters({**stored, **{name: EXAMPLES[name] for name in needed}})
        required = set(fl.parameters.required or [])
        assert set(needed) == required - set(stored), d.name
        with pytest.raises(ParameterTypeError):
            fl.validate_parameters(stored)
        assert all(name in (d.description or "") for name in needed), d.description
    assert scheduled == {
        "hotspots-nightly", "feedback-daily", "loop-weekly-east", "loop-weekly-west", "purge-partner-overlays-daily"
    }  # fmt: skip
    assert set(RUN_PARAMETERS) == {d.name for d in deployments} - scheduled


def test_the_deployments_carry_their_schedules(deployments):
    crons = {d.name: [s.schedule.cron for s in d.schedules] for d in deployments}
    assert crons == {
        "ingest-on-demand": [],
        "ingest-files-on-demand": [],
        "hotspots-nightly": ["0 2 * * *"],
        "plan-on-demand": [],
        "publish-on-demand": [],
        "feedback-daily": ["0 6 * * *"],
        "loop-on-demand": [],
        "backtest-on-demand": [],
        "purge-partner-overlays-daily": ["30 1 * * *"],
        "loop-weekly-east": ["30 4 * * 3"],
        "loop-weekly-west": ["0 3 * * 1"],
    }


@pytest.mark.parametrize("fl", ALL_FLOWS, ids=lambda f: f.name)
def test_no_production_flow_defaults_to_the_demo(fl):
    params = inspect.signature(fl.fn).parameters
    assert not [name for name in params if name.startswith("simulat")]
    defaults = [p.default for p in params.values() if p.default is not inspect.Parameter.empty]
    assert DEMO_ROUTE not in defaults
    assert not [d for d in defaults if isinstance(d, str) and "demo" in d.casefold()]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_only_the_demo_flow_imports_the_sandbox():
    importers = {
        str(path.relative_to(FLOWS.parent))
        for path in FLOWS.rglob("*.py")
        if any(m == "sandbox" or m.startswith("sandbox.") for m in _imports(path))
    }
    assert importers == {"flows/demo.py"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "x"\nroute = "A > B"\nauthor = "cam"\npaid_for_by = "NGO"\n', "budget: Field required"),
        (WEST + "budgte = 3\n", "budgte: Extra inputs are not permitted"),
        (WEST.replace("budget = 2000", "budget = -1"), "budget: Input should be greater than 0"),
        ("name = ", "is not TOML"),
    ],
)
def test_a_bad_plan_template_is_refused_with_its_name(sqlite_settings, text, problem):
    from intel.errors import CounterflowError

    _template(sqlite_settings, "bad", text)
    with pytest.raises(CounterflowError, match="plan template bad.toml") as err:
        build_deployments(sqlite_settings)
    assert problem in err.value.problem
    (sqlite_settings.home / "plans" / "bad.toml").unlink()
    _template(sqlite_settings, "Bad Name", WEST)
    with pytest.raises(CounterflowError, match="lower-case letters"):
        build_deployments(sqlite_settings)
