"""Errors speak the domain; the command line adds its command hint.

A ``CounterflowError`` (and a policy ``Finding``) says what is wrong and what to do in words that
fit every face. The CLI words (``counterflow <command>``, ``--option``) live only in a
``CommandHint``, and every hint names a command and options that exist. Both checks read the
source with ``ast``, so a new error site is checked without a test of its own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlmodel import Session

from cli.app import app
from cli.main import _register, main
from intel.db import get_engine
from intel.settings import Settings, get_settings
from tests.factories import PASSWORD, typed, user_with_password

ROOT = Path(__file__).resolve().parents[2]
#: Every package of the product, faces included.
PRODUCT = ("intel", "hotspots", "campaigns", "flows", "sandbox", "web", "cli")
#: The packages whose error texts are shown on every face (``cli`` may name its own options).
FACE_NEUTRAL = ("intel", "hotspots", "campaigns", "flows", "sandbox", "web")
#: Words of the command line: a command of ``counterflow`` or an option such as ``--as``.
CLI_WORDS = re.compile(r"\bcounterflow [a-z]|(?<![\w-])--[a-z]")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _modules(packages: tuple[str, ...]) -> Iterator[tuple[Path, ast.Module]]:
    for package in packages:
        folder = ROOT / package
        assert folder.is_dir(), f"{package}/ is not a package of the house"
        for path in sorted(folder.rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _error_classes() -> set[str]:
    """``CounterflowError`` and every class of the product that derives from it, by name."""
    classes = [
        node for _, tree in _modules(PRODUCT) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    ]
    found = {"CounterflowError"}
    grew = True
    while grew:
        grew = False
        for cls in classes:
            if cls.name not in found and any(_name(base) in found for base in cls.bases):
                found.add(cls.name)
                grew = True
    return found


def _texts(node: ast.AST, assigned: dict[str, list[ast.expr]], depth: int = 0) -> Iterator[str]:
    """The literal text of an expression: string constants, the constant pieces of an f-string,
    and (one step) what a local name was assigned."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value
        elif isinstance(sub, ast.Name) and depth < 2:
            for value in assigned.get(sub.id, []):
                yield from _texts(value, assigned, depth + 1)


def _assignments(tree: ast.Module) -> dict[str, list[ast.expr]]:
    out: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append(node.value)
        elif (
            isinstance(node, ast.AnnAssign | ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            out.setdefault(node.target.id, []).append(node.value)
    return out


def _error_texts(packages: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(where, text) for every problem and fix text of an error or a policy finding."""
    makers = _error_classes() | {"Finding"}
    for path, tree in _modules(packages):
        assigned = _assignments(tree)
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and _name(node.func) in makers:
                parts = [*node.args, *(k.value for k in node.keywords if k.arg not in ("hint", "status"))]
                for part in parts:
                    for text in _texts(part, assigned):
                        yield where, text
            elif isinstance(node, ast.Dict):  # a finding kept as a dict (the planner's notes)
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in ("problem", "fix"):
                        for text in _texts(value, assigned):
                            yield where, text


def _hints() -> list[tuple[str, ast.Call]]:
    """Every ``CommandHint(...)`` made in the product; one rebuilt from stored data
    (``CommandHint(**data)``) is checked where it was first made."""
    return [
        (f"{path.relative_to(ROOT)}:{node.lineno}", node)
        for path, tree in _modules(PRODUCT)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _name(node.func) == "CommandHint"
        and not (not node.args and node.keywords and all(k.arg is None for k in node.keywords))
    ]


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _literal_pieces(node: ast.expr) -> list[str]:
    """The constant text of ``args``: a string, or the constant pieces of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    raise AssertionError(f"args must be a string or an f-string, not {ast.unparse(node)}")


def test_error_texts_outside_the_cli_name_no_command_or_option():
    texts = list(_error_texts(FACE_NEUTRAL))
    assert len(texts) > 200, "the scan found too few error texts to mean anything"
    cli_words = [f"{where}: {text!r}" for where, text in texts if CLI_WORDS.search(text)]
    assert not cli_words, "put the command in a CommandHint, and say the fix in words:\n" + "\n".join(
        cli_words
    )


def test_every_command_hint_names_a_command_and_options_that_exist():
    _register()
    root = typer.main.get_command(app)
    hints = _hints()
    assert len(hints) >= 25, f"only {len(hints)} command hints found"
    wrong: list[str] = []
    for where, call in hints:
        command = _argument(call, 0, "command")
        if not (isinstance(command, ast.Constant) and isinstance(command.value, str)):
            wrong.append(f"{where}: the command must be a string literal")
            continue
        cmd = root
        for word in command.value.split():
            sub = getattr(cmd, "commands", {})
            if word not in sub:
                cmd = None
                break
            cmd = sub[word]
        if cmd is None or getattr(cmd, "commands", None):
            wrong.append(f"{where}: `counterflow {command.value}` is not a command")
            continue
        options = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts) if opt.startswith("--")}
        args = _argument(call, 1, "args")
        pieces = [] if args is None else _literal_pieces(args)
        for piece in pieces:
            for option in OPTION.findall(piece):
                if option not in options:
                    wrong.append(f"{where}: `counterflow {command.value}` has no option {option}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture
def env(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


def test_the_cli_prints_problem_fix_and_the_command_to_run(env, capsys, monkeypatch):
    assert main(["upgrade"]) == 0
    capsys.readouterr()
    with Session(get_engine(env)) as s:
        user_with_password(s, "ada", "director")
        s.commit()
    typed(monkeypatch, PASSWORD)
    assert main(["approve", "4242", "--as", "ada"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: campaign 4242 does not exist"
    assert err[1].startswith("  fix: ") and "counterflow" not in err[1]
    assert err[2] == "  run: counterflow campaigns"


def test_the_cli_names_an_option_the_command_has(env, capsys):
    """The policy's 'Paid for by' refusal points at `campaign edit`, which sets it on the campaign
    (schedule and publish, where the refusal shows, have no such option)."""
    from campaigns.policy import check_campaign
    from intel.models import Campaign

    findings = check_campaign(Campaign(id=7, name="c", special_ad_categories=[]), [])
    (paid,) = [f for f in findings if f.rule == "paid_for_by"]
    assert "--" not in paid.fix and "'Paid for by'" in paid.fix
    assert paid.hint is not None and paid.hint.command == "campaign edit"
    assert str(paid.hint) == "counterflow campaign edit 7 --paid-for-by 'Organisation name'"


def test_the_scan_covers_the_policy_and_the_planner_hints():
    """The policy's and the planner's hints are among those checked above: the fields a refusal
    asks for are set with `campaign edit`, the command that has their options."""
    where = [w for w, _ in _hints()]
    for module in ("campaigns/policy.py", "campaigns/plan/planner.py", "campaigns/plan/edit.py"):
        assert any(w.startswith(module) for w in where), module
    edits = [
        call
        for w, call in _hints()
        if w.startswith("campaigns/policy.py") and "campaign edit" in ast.unparse(call)
    ]
    options = {o for call in edits for piece in _literal_pieces(call.args[1]) for o in OPTION.findall(piece)}
    assert {"--paid-for-by", "--dsa-beneficiary", "--dsa-payor", "--budget", "--start", "--end"} <= options
