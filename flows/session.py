"""A flow task's settings and session: flows take plain values (a home folder, no password)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import get_run_logger
from sqlmodel import Session

from intel.errors import CounterflowError
from intel.settings import Settings


def settings_for(home: str, database_url: str | None = None, **extra: Any) -> Settings:
    """Settings for a flow run: flows take plain values so their parameters stay serialisable.

    Without ``database_url`` the store comes from ``COUNTERFLOW_DATABASE_URL`` of the process
    that runs the flow (deployments rely on it: a URL with a password never becomes a flow
    parameter, which Prefect stores and shows), else the SQLite file in ``home``.
    """
    if database_url is not None:
        from sqlalchemy.engine import make_url

        if make_url(database_url).password:
            # Prefect has stored this run's parameters already; refusing stops it happening again.
            raise CounterflowError(
                "a store URL with a password was given to a flow as a parameter, which Prefect "
                "stores and shows",
                "leave the URL out of the flow's parameters and set COUNTERFLOW_DATABASE_URL in the "
                "environment of the process that runs the flow; then change that password",
            )
        extra["database_url"] = database_url
    return Settings(home=Path(home), **extra)


@contextmanager
def flow_session(home: str, database_url: str | None) -> Iterator[tuple[Session, Settings]]:
    from intel.db import get_engine, session_scope

    settings = settings_for(home, database_url)
    t0 = time.perf_counter()
    with session_scope(get_engine(settings)) as session:
        yield session, settings
    get_run_logger().info("step took %.2f s", time.perf_counter() - t0)
