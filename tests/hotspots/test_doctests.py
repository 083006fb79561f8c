"""The examples in the hotspot modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "hotspots.gistar", "hotspots.emerging", "hotspots.weights", "hotspots.h3cells", "hotspots.compare",
    "hotspots.movement", "hotspots.histograms", "hotspots.pipeline",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
