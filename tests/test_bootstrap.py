"""The README's first command and tests/run.sh go through scripts/uv.sh: it runs the uv it
finds, and on a Python that cannot make a virtual environment it says which package to install
instead of touching the system Python (PEP 668)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "uv.sh"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script")


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A project folder holding only the script, and a bin/ folder that is the whole PATH."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "uv.sh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "rm"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return tmp_path


def _run(clone: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(clone / "bin"), "HOME": str(clone), "LANG": "C.UTF-8", **extra_env}
    return subprocess.run(
        ["/bin/sh", str(clone / "scripts" / "uv.sh"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=clone,
        timeout=60,
    )


def test_uses_the_uv_on_path_with_every_argument(clone: Path):
    _executable(clone / "bin" / "uv", '#!/bin/sh\necho "uv called with: $*"\n')
    result = _run(clone, "run", "--frozen", "--no-dev", "counterflow", "demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "uv called with: run --frozen --no-dev counterflow demo"
    assert not (clone / ".venv-tools").exists()


@pytest.fixture
def installed(clone: Path) -> Path:
    """``clone`` with two packages, a uv that logs how it was called (a command exits with $UV_EXIT) and
    a ``.venv/bin/python`` that logs its arguments: what the script asks of each."""
    for package in ("intel", "hotspots"):
        (clone / package).mkdir()
        (clone / package / "__init__.py").write_text("", encoding="utf-8")
    (clone / "docs").mkdir()  # a folder that is not a package: not compiled
    log = clone / "calls.log"
    _executable(
        clone / "bin" / "uv",
        f'#!/bin/sh\necho "uv UV_COMPILE_BYTECODE=${{UV_COMPILE_BYTECODE-unset}} $*" >> "{log}"\n'
        'case "$*" in --version) exit 0 ;; esac\nexit "${UV_EXIT-0}"\n',
    )
    (clone / ".venv" / "bin").mkdir(parents=True)
    _executable(clone / ".venv" / "bin" / "python", f'#!/bin/sh\necho "python $*" >> "{log}"\n')
    return clone


def _calls(clone: Path) -> list[str]:
    """The calls logged, without the script's ``uv --version`` probe."""
    lines = (clone / "calls.log").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not line.endswith(" --version")]


def test_sync_installs_with_bytecode_and_compiles_our_packages(installed: Path):
    result = _run(installed, "sync", "--frozen", "--no-dev")
    assert result.returncode == 0, result.stderr
    assert _calls(installed) == [
        "uv UV_COMPILE_BYTECODE=1 sync --frozen --no-dev",
        f"python -m compileall -q {installed}/hotspots {installed}/intel",
    ]


def test_sync_keeps_uvs_exit_code(installed: Path):
    result = _run(installed, "sync", "--frozen", UV_EXIT="3")
    assert result.returncode == 3
    assert _calls(installed)[0] == "uv UV_COMPILE_BYTECODE=1 sync --frozen"


def test_run_in_an_installed_project_compiles_nothing(installed: Path):
    """Every `uv run` with UV_COMPILE_BYTECODE would check all of site-packages again (a second)."""
    result = _run(installed, "run", "--frozen", "counterflow", "hotspots")
    assert result.returncode == 0, result.stderr
    assert _calls(installed) == ["uv UV_COMPILE_BYTECODE=unset run --frozen counterflow hotspots"]


def test_the_first_run_installs_with_bytecode(installed: Path):
    shutil.rmtree(installed / ".venv")
    result = _run(installed, "run", "--frozen", "--no-dev", "counterflow", "demo")
    assert result.returncode == 0, result.stderr
    assert _calls(installed) == ["uv UV_COMPILE_BYTECODE=1 run --frozen --no-dev counterflow demo"]


def test_uv_compile_bytecode_0_turns_compiling_off(installed: Path):
    result = _run(installed, "sync", "--frozen", UV_COMPILE_BYTECODE="0")
    assert result.returncode == 0, result.stderr
    assert _calls(installed) == ["uv UV_COMPILE_BYTECODE=0 sync --frozen"]


def test_without_ensurepip_it_names_python3_venv_and_leaves_nothing(clone: Path):
    # Debian's python3 without the python3-venv package: `import ensurepip` fails.
    stub = clone / "no-ensurepip" / "ensurepip"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError('ensurepip is not available')\n", encoding="utf-8")
    _executable(
        clone / "bin" / "python3",
        f'#!/bin/sh\nPYTHONPATH="{stub.parent}" exec "{sys.executable}" "$@"\n',
    )
    result = _run(clone, "run", "--frozen", "counterflow", "demo")
    assert result.returncode == 2
    assert "python3-venv" in result.stderr
    assert not (clone / ".venv-tools").exists()


def test_refuses_a_python_older_than_3_11(clone: Path):
    _executable(
        clone / "bin" / "python3",
        '#!/bin/sh\ncase "$*" in *version_info*) exit 1;; *-V*) echo "Python 3.9.2"; exit 0;; esac\nexit 1\n',
    )
    result = _run(clone, "sync")
    assert result.returncode == 2
    assert "Python 3.9.2" in result.stderr and "3.11 or newer" in result.stderr


def test_without_any_python_it_says_so(clone: Path):
    result = _run(clone, "sync")
    assert result.returncode == 2
    assert "no python3 found" in result.stderr


def test_the_tools_environment_is_not_committed():
    gitignore = (Path(__file__).parent.parent / ".gitignore").read_text(encoding="utf-8").split()
    assert ".venv-tools/" in gitignore
    assert os.access(SCRIPT, os.X_OK)


def test_no_product_module_needs_a_development_tool():
    """`uv run --no-dev counterflow demo` installs without the dev group: no module of the
    product may import a package of that group (checked in a fresh interpreter)."""
    from tests.test_doctests import MODULES

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev = [re.split(r"[<>=!~\[;\s]", req)[0] for req in pyproject["dependency-groups"]["dev"]]
    dev_modules = {name.lower().replace("-", "_") for name in dev} | {"_pytest"}
    assert {"pytest", "hypothesis", "playwright"} <= dev_modules
    probe = (
        "import importlib, json, sys\n"
        f"for name in {sorted(m for mods in MODULES.values() for m in mods)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert {"cli", "flows", "sandbox", "web"} <= loaded  # the probe imported the product
    assert not (loaded & dev_modules), (
        f"product modules import development tools: {sorted(loaded & dev_modules)}"
    )
