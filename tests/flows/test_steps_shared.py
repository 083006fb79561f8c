"""One place per use case: every step of :mod:`flows.steps` is called by a command of the CLI
and by a Prefect task, and the CLI reaches the packages' use cases only through the steps.

Read from the source with :mod:`ast`, so nothing is imported or run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flows import steps

ROOT = Path(__file__).resolve().parents[2]
CLI_COMMANDS = sorted((ROOT / "cli" / "commands").glob("*.py"))
TASK_MODULES = [ROOT / "flows" / "loop.py", ROOT / "flows" / "demo.py"]

#: Each use case and the names of :mod:`flows.steps` that carry it (any one of them will do).
USE_CASES: dict[str, set[str]] = {
    "ingest": {"ingest"},
    "hotspots": {"hotspots", "run_hotspots"},
    "plan": {"plan"},
    "approve": {"approve"},
    "schedule": {"schedule"},
    "publish": {"publish"},
    "insights": {"insights"},
    "feedback": {"feedback"},
    "outcomes": {"outcomes"},
}

#: What the CLI must not import: the packages' use cases, which it reaches through the steps.
NOT_FOR_THE_CLI = (
    "campaigns.delivery.publish",
    "campaigns.delivery.approval",
    "campaigns.delivery.schedule.schedule_campaign",
    "campaigns.feedback.insights.fetch_insights",
    "intel.ingest.ingest_file",
    "intel.ingest.service.ingest_file",
    "intel.textsources.ingest_text_file",
)


def step_calls(path: Path) -> set[str]:
    """Names of :mod:`flows.steps` that the module at ``path`` calls (``steps.x(...)``, or ``x(...)``
    after ``from flows.steps import x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()  # local names bound to flows.steps
    names: dict[str, str] = {}  # local name -> step name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "flows":
            modules |= {a.asname or a.name for a in node.names if a.name == "steps"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flows.steps"):
            names |= {a.asname or a.name: a.name for a in node.names}
        elif isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == "flows.steps" and a.asname}
    called = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in modules:
            called.add(f.attr)
        elif isinstance(f, ast.Name) and f.id in names:
            called.add(names[f.id])
    return called


def imported(path: Path) -> set[str]:
    """Every dotted name the module at ``path`` imports (``from a.b import c`` gives ``a.b.c``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_every_use_case_is_a_step():
    for use_case, names in USE_CASES.items():
        assert names & set(steps.__all__), f"flows.steps has no step for {use_case}"


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_the_cli_and_a_task_call_the_same_step(use_case: str) -> None:
    names = USE_CASES[use_case] & set(steps.__all__)
    by_cli = {p.name for p in CLI_COMMANDS if step_calls(p) & names}
    by_tasks = {p.name for p in TASK_MODULES if step_calls(p) & names}
    assert by_cli, f"no command of cli/commands/ calls steps.{'/'.join(sorted(names))}"
    assert by_tasks, (
        f"no Prefect task in flows/loop.py or flows/demo.py calls steps.{'/'.join(sorted(names))}"
    )


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("cli").rglob("*.py")), ids=lambda p: p.name)
def test_the_cli_reaches_use_cases_only_through_the_steps(path: Path) -> None:
    bad = sorted(
        name
        for name in imported(path)
        for banned in NOT_FOR_THE_CLI
        if name == banned
        or name.startswith(banned + ".")
        # the module that holds a banned function (`from campaigns.feedback import insights`),
        # not a package above it (`import campaigns`)
        or (banned.startswith(name + ".") and name.count(".") >= 2)
    )
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: call the step of flows.steps instead"


def test_the_reader_sees_calls_and_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from flows import steps as st\n"
        "from flows.steps import run_hotspots as rh\n"
        "from campaigns.delivery import approval\n"
        "def f(s):\n"
        "    st.publish(s)\n"
        "    rh(s)\n"
        "    steps.plan(s)\n",
        encoding="utf-8",
    )
    assert step_calls(sample) == {"publish", "run_hotspots"}
    assert "campaigns.delivery.approval" in imported(sample)


#: Use cases the web app carries out itself, and the steps it must reach them through.
WEB_USE_CASES = ("ingest", "hotspots", "approve")
WEB_MODULES = sorted((ROOT / "web").rglob("*.py"))


@pytest.mark.parametrize("use_case", WEB_USE_CASES)
def test_the_web_calls_the_same_step_as_the_cli(use_case: str) -> None:
    names = USE_CASES[use_case] & set(steps.__all__)
    by_web = {p.name for p in WEB_MODULES if step_calls(p) & names}
    assert by_web, f"no module of web/ calls steps.{'/'.join(sorted(names))}"


@pytest.mark.parametrize("path", WEB_MODULES, ids=lambda p: p.name)
def test_the_web_reaches_use_cases_only_through_the_steps(path: Path) -> None:
    bad = sorted(
        name
        for name in imported(path)
        for banned in NOT_FOR_THE_CLI
        if name == banned or name.startswith(banned + ".")
    )
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: call the step of flows.steps instead"


def test_every_step_is_listed_once_and_found_where_it_is_said_to_live():
    """The steps load lazily (flows/steps/__init__.py): a step missing from the table of where
    each lives, or listed in the wrong module, would fail only when first called."""
    import importlib

    assert set(steps._MODULES) == set(steps.__all__)
    for name, module in steps._MODULES.items():
        assert callable(getattr(importlib.import_module(f"flows.steps.{module}"), name)), name


def test_no_step_module_is_named_like_a_step():
    """Importing ``flows.steps.x`` binds ``x`` on the package to the module: a step called like
    its module would then be the module, not the function, once anything imported it."""
    modules = {p.stem for p in (ROOT / "flows" / "steps").glob("*.py")}
    assert not modules & set(steps.__all__)
