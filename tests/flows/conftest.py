"""The flows' tests run their fan-outs in one process unless a test asks for Dask: a local Dask
cluster per flow run costs tens of seconds on a small machine (tests/flows/test_fanout.py runs
them on a Dask cluster and compares)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def one_process_fan_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTERFLOW_DASK", "off")
