"""The examples in every module's docstrings run and give what they show, and every package has some.

The modules are found by walking the package folders (a folder is a package when it has an
``__init__.py``), so a new module is covered without being listed here. ``intel.migrations.versions``
holds Alembic's migration scripts and has no ``__init__.py``, so the walk does not enter it.
"""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("intel", "hotspots", "campaigns", "sandbox", "flows", "cli", "web")
# Alembic's environment script runs the migrations when imported, and only inside the context
# that `alembic upgrade` sets up (`alembic.context.config`); it holds no examples.
SKIP = {"intel.migrations.env"}
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _modules(package: str) -> list[str]:
    """Every module of ``package`` and its sub-packages, from the files (nothing is imported)."""
    names = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        folders = [ROOT.joinpath(*parts[:i]) for i in range(1, len(parts))]
        if not all((folder / "__init__.py").exists() for folder in folders):
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in SKIP:
            names.append(name)
    return names


MODULES = {package: _modules(package) for package in PACKAGES}


def _examples(name: str) -> int:
    return sum(len(t.examples) for t in doctest.DocTestFinder().find(importlib.import_module(name)))


@pytest.mark.parametrize("name", [m for mods in MODULES.values() for m in mods])
def test_docstring_examples_give_what_they_show(name: str) -> None:
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_shows_examples(package: str) -> None:
    counts = {name: _examples(name) for name in MODULES[package]}
    assert len(counts) > 1, f"no modules found under {package}/"
    assert sum(counts.values()) > 0, (
        f"no docstring examples in any module of {package}: add one to a pure function"
    )


def test_the_walk_finds_nested_modules_and_skips_scripts() -> None:
    assert {"campaigns.delivery.channels.base", "flows.steps.analysis", "intel.ingest.worker"} <= {
        m for mods in MODULES.values() for m in mods
    }
    assert not [m for m in MODULES["intel"] if m.startswith("intel.migrations.versions")]
    assert "intel.migrations.env" not in MODULES["intel"]
