"""The house's rules, read from the code: which room may import which, and no circles.

The rooms and what each may import are those of DESIGN.md's table ("The house"): dependencies
point one way, ``intel`` <- ``hotspots`` <- ``campaigns`` <- ``flows`` <- ``cli``, with ``web``
beside ``cli``; ``sandbox`` (everything simulated) is imported by no product package. Every
import counts, at module level or inside a function, because a lazy import is still a tie.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("intel", "hotspots", "campaigns", "locales", "sandbox", "flows", "cli", "web")

#: room -> the rooms of ours it may import (itself always)
MAY_IMPORT: dict[str, set[str]] = {
    "intel": set(),
    "hotspots": {"intel"},
    "campaigns": {"intel", "hotspots", "locales"},
    "locales": set(),
    "sandbox": {"intel", "hotspots", "campaigns", "locales"},
    "flows": {"intel", "hotspots", "campaigns", "locales", "sandbox"},
    "cli": {"intel", "hotspots", "campaigns", "locales", "sandbox", "flows", "web"},
    "web": {"intel", "hotspots", "campaigns", "locales", "flows"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for room in ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            if "migrations" in path.parts and "versions" in path.parts:
                continue  # generated migration scripts
            found[_module_name(path)] = path
    return found


def _imports(path: Path, name: str) -> set[str]:
    """Every module of ours that ``path`` names in an import, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{alias.name}" for alias in node.names)
    return {m for m in out if m.split(".")[0] in ROOMS}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(path, name):
            # "from a.b import c" names a.b.c, which is a module or a name in a.b
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges[name].add(target)
    return dict(edges)


def test_the_rules_cover_every_room():
    assert set(MAY_IMPORT) == set(ROOMS)
    assert all((ROOT / room).is_dir() for room in ROOMS)


def test_no_room_imports_upward(graph):
    wrong = sorted(
        f"{src} imports {dst}"
        for src, targets in graph.items()
        for dst in targets
        if dst.split(".")[0] != src.split(".")[0] and dst.split(".")[0] not in MAY_IMPORT[src.split(".")[0]]
    )
    assert wrong == []


def test_only_the_cli_imports_web(graph):
    importers = {src for src, targets in graph.items() for dst in targets if dst.split(".")[0] == "web"}
    assert {m.split(".")[0] for m in importers} <= {"cli", "web"}
    assert any(m.startswith("cli.") for m in importers)  # `counterflow web` serves it


def test_no_product_package_imports_the_sandbox(graph):
    product = ("intel", "hotspots", "campaigns", "web")
    importers = {src for src, targets in graph.items() for dst in targets if dst.startswith("sandbox")}
    assert not [m for m in importers if m.split(".")[0] in product]
    # the demo flow and the command line are the faces that use it
    assert "flows.demo" in importers


def test_no_module_imports_in_a_circle(graph):
    """Tarjan's strongly connected components over every import, lazy ones included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    assert circles == []


def test_the_rules_catch_a_circle_and_an_upward_import(tmp_path):
    """The checks above can fail: a hand-made pair of modules that import each other upward."""
    a = tmp_path / "a.py"
    a.write_text("from campaigns.delivery import publish\n")
    b = tmp_path / "b.py"
    b.write_text("def f():\n    from cli.main import main\n")
    assert "campaigns.delivery.publish" in _imports(a, "intel.a")
    assert "cli.main" in _imports(b, "hotspots.b")
