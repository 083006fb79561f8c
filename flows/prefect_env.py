"""Prefect's settings for a local run, set before Prefect is first imported."""

from __future__ import annotations

import os


def prepare_prefect() -> None:
    """Offline-friendly Prefect defaults for a local run (set before prefect is imported).

    Prefect's own log lines stay quiet: the command prints each step itself, and an error the
    user can fix is printed once as problem and fix (an unexpected one still shows its
    traceback). Set ``PREFECT_LOGGING_LEVEL=INFO`` to watch the flow and task runs."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
