"""`counterflow --help`, and every command's `--help`, start without the heavy libraries: the
command modules import them inside the commands, so that asking for help stays instant."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "prefect", "sqlmodel", "fastapi", "numpy", "geopandas", "sqlalchemy")

# In a fresh interpreter: `counterflow --help`, then `--help` of every command and sub-command,
# then the top-level modules that were imported (as JSON on the last line).
PROBE = """
import json, sys
import typer
from cli.main import _register, app, main

codes = [main(["--help"])]
_register()
for name, command in typer.main.get_command(app).commands.items():
    subs = getattr(command, "commands", None) or {None: None}
    for sub in subs:
        codes.append(main([name, "--help"] if sub is None else [name, sub, "--help"]))
print(json.dumps({"codes": codes, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def _probe() -> dict[str, list]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_help_imports_none_of_the_heavy_libraries() -> None:
    seen = _probe()
    assert len(seen["codes"]) > 30 and set(seen["codes"]) == {0}, seen["codes"]
    assert "typer" in seen["modules"] and "cli" in seen["modules"]  # the probe sees what was imported
    imported = sorted(set(HEAVY) & set(seen["modules"]))
    assert not imported, (
        f"--help imported {imported}: move that import from module level into the command or function that needs it"
    )
