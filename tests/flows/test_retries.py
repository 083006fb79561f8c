"""Retries only where the network is involved: the tasks that call a platform (publishing to it,
fetching its insights) retry; every other task fails at once, since running it again would meet
the same input. Feeds and articles are read from files (no task fetches one over the network)."""

from __future__ import annotations

import importlib

from prefect import Task

FLOW_MODULES = ("flows.loop", "flows.demo", "flows.evaluation", "flows.imports")
NETWORK_TASKS = {"publish", "insights"}


def _tasks() -> dict[str, Task]:
    found: dict[str, Task] = {}
    for name in FLOW_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, Task) and value.__module__ == name:
                found[f"{name}:{value.name}"] = value
    return found


def test_only_the_network_tasks_retry() -> None:
    tasks = _tasks()
    assert len(tasks) >= 16  # every task of the flows is seen
    retrying = {t.name for t in tasks.values() if (t.retries or 0) > 0}
    assert retrying == NETWORK_TASKS
    for t in tasks.values():
        if t.name in NETWORK_TASKS:
            assert t.retry_delay_seconds  # with a pause between tries, for a rate limit to pass


def test_every_task_module_is_checked() -> None:
    """A new module of flows with tasks is added to FLOW_MODULES above."""
    import pkgutil

    import flows

    with_tasks = set()
    for info in pkgutil.iter_modules(flows.__path__):
        module = importlib.import_module(f"flows.{info.name}")
        if any(isinstance(v, Task) and v.__module__ == module.__name__ for v in vars(module).values()):
            with_tasks.add(module.__name__)
    assert with_tasks == set(FLOW_MODULES)
