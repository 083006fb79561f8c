"""Heavy work on many processes: the task runner of the flows that fan out (hotspot runs over
many routes, backtests over many origins and resolutions), through prefect-dask.

- ``COUNTERFLOW_DASK_ADDRESS=tcp://HOST:8786``: the tasks go to that Dask scheduler, whose
  workers may be on other machines (each with counterflow installed and the same
  ``COUNTERFLOW_DATABASE_URL``; start them with ``dask scheduler`` and ``dask worker
  tcp://HOST:8786``).
- otherwise a temporary local Dask cluster for the run: ``COUNTERFLOW_DASK_WORKERS`` processes
  (default: the machine's cores), one thread each.
- ``COUNTERFLOW_DASK=off``: one process (Prefect's thread pool with one thread), as before.

Each task does the same work on either runner (the same inputs, its own random generator), so
the results are the same; ``tests/flows/test_fanout.py`` compares them.
"""

from __future__ import annotations

import os
from typing import Any

from intel.errors import CounterflowError


def fan_out_runner() -> Any:
    """The task runner the environment asks for (see the module docstring)."""
    from prefect.task_runners import ThreadPoolTaskRunner

    if os.environ.get("COUNTERFLOW_DASK", "").strip().casefold() in ("off", "0", "false", "no"):
        return ThreadPoolTaskRunner(max_workers=1)
    from prefect_dask import DaskTaskRunner

    address = os.environ.get("COUNTERFLOW_DASK_ADDRESS", "").strip()
    if address:
        return DaskTaskRunner(address=address)
    workers = os.environ.get("COUNTERFLOW_DASK_WORKERS", "").strip()
    try:
        n = int(workers) if workers else (os.cpu_count() or 1)
    except ValueError:
        n = 0
    if n < 1:
        raise CounterflowError(
            f"COUNTERFLOW_DASK_WORKERS was {workers!r}", "give a whole number of processes, 1 or more"
        )
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    )
