"""The demo ends by saying how to open it: the absolute folder, the command, the address, the users."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.commands.loop import open_lines


def test_the_demo_says_where_it_is_how_to_open_it_and_who_signs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("counterflow demo") / "run-20270101-120000"  # relative, with a space
    passwords = {"amara": "aaa-111", "bola": "bbb-222", "chidi": "ccc-333", "dayo": "ddd-444"}
    lines = open_lines(folder, passwords, campaign=3)
    absolute = tmp_path / "counterflow demo" / "run-20270101-120000"
    assert f"  folder    {absolute}" in lines
    assert f"  command   COUNTERFLOW_HOME='{absolute}' counterflow web --port 8000" in lines
    assert any(
        line.startswith("  address   http://127.0.0.1:8000/  (sign in at http://127.0.0.1:8000/signin")
        for line in lines
    )
    users = [line.split() for line in lines if line.startswith("  ") and line.split()[0] in passwords]
    assert [(u[0], u[1], u[2]) for u in users] == [
        ("amara", "campaign_manager", "aaa-111"),
        ("bola", "campaign_manager", "bbb-222"),
        ("chidi", "analyst", "ccc-333"),
        ("dayo", "director", "ddd-444"),
    ]
    assert lines[-1].endswith("reads the outcomes; starts at http://127.0.0.1:8000/outcomes/3")
