"""Tests that guard the docs: every command and every setting is in the README, every command
has --help, and the README's two commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cli.main import _register, app
from intel.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    _register()
    click_app = typer.main.get_command(app)
    names: list[str] = []
    for name, cmd in click_app.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        if sub:
            names.extend(f"{name} {s}" for s in sub)
        else:
            names.append(name)
    return sorted(names)


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme_and_has_help(command):
    assert f"`counterflow {command}" in README, f"add `counterflow {command}` to the README's Commands table"
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(field):
    assert f"COUNTERFLOW_{field.upper()}" in README


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash tests/run.sh" in README and "bash tests/run.sh" in ci


def test_both_readme_commands_go_through_the_bootstrap():
    """Neither command asks the system Python to pip-install anything (PEP 668 refuses it)."""
    run_sh = (Path(__file__).parent / "run.sh").read_text(encoding="utf-8")
    assert "\nsh scripts/uv.sh run --frozen --no-dev counterflow demo\n" in README
    assert "sh scripts/uv.sh sync --frozen" in run_sh and "sh scripts/uv.sh run --frozen pytest" in run_sh
    assert "python3 -m pip" not in run_sh and "python3 -m pip" not in README.split("## Where things live")[0]
