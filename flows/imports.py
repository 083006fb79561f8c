"""Large imports split by file: many files (or a folder) read, mapped, validated, geocoded and
fingerprinted on the task runner of :func:`flows.fanout.fan_out_runner` (a Dask cluster), then
written by one writer, file after file in the files' order, each file in its own transaction.

The store-free part fans out (:func:`flows.steps.prepare_ingest`, one task per file); the
writes do not: de-duplication links a report to the first report of its incident in the store,
so which file is written first decides the links, and one writer in a fixed order gives the
same reports, rejects and duplicate links as importing the files one by one in one process
(``tests/flows/test_import_fanout.py`` compares them, with Dask on and off, on SQLite and
PostgreSQL). Each write takes the file's lock and skips a file already imported, as
``counterflow ingest FILE`` does, so a run killed part-way is started again and adds only the
files it had not committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.cache_policies import NONE

from flows import steps
from flows.session import flow_session, settings_for

if TYPE_CHECKING:
    from intel.ingest.service import PreparedFile


@task(name="prepare file", cache_policy=NONE)
def prepare_task(
    path: str,
    spec: str,
    home: str,
    database_url: str | None = None,
    kind: str | None = None,
    source: str | None = None,
) -> tuple[str, PreparedFile | None]:
    """Read and prepare one file away from the store: its spec and its prepared batches."""
    settings = settings_for(home, database_url)
    return steps.prepare_ingest(
        Path(path), settings=settings, spec=spec, source_kind=kind, source_name=source
    )


@task(name="store file", cache_policy=NONE)
def store_task(
    path: str,
    prepared: tuple[str, PreparedFile | None],
    detected: bool,
    home: str,
    database_url: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    dedup: bool | None = None,
    min_population: int = 15000,
    progress: bool = False,
) -> dict[str, Any]:
    """Write one prepared file into the store, in one transaction (with a progress bar on
    standard error when asked)."""
    spec, frames = prepared
    with flow_session(home, database_url) as (s, settings):
        return steps.ingest_prepared(
            s, path=Path(path), prepared=frames, settings=settings, spec=spec, detected=detected,
            source_kind=kind, source_name=source, dedup=dedup, min_population=min_population,
            progress=progress,
        )  # fmt: skip


@flow(name="ingest files")
def ingest_files_flow(
    paths: list[str],
    spec: str = "reports",
    home: str = "counterflow-data",
    database_url: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    dedup: bool | None = None,
    min_population: int = 15000,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Import many files, or the files of a folder, fanned out by file (see the module).

    Returns one summary per file, in the files' order. A file that cannot be read ends the run
    there: the files before it are stored, the ones after it are not (run it again once it is
    fixed: the stored files are skipped)."""
    from flows.fanout import fan_out_runner

    files = [str(f) for f in steps.import_files([Path(p) for p in paths])]
    return ingest_prepared_flow.with_options(task_runner=fan_out_runner())(
        files, spec, home, database_url, kind, source, dedup, min_population, progress
    )


@flow(name="ingest prepared files")
def ingest_prepared_flow(
    files: list[str],
    spec: str,
    home: str,
    database_url: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    dedup: bool | None = None,
    min_population: int = 15000,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """One preparing task per file on the flow's task runner; then, in the files' order, each
    file written by this process as soon as it is prepared."""
    futures = [prepare_task.submit(f, spec, home, database_url, kind, source) for f in files]
    out = []
    for f, future in zip(files, futures, strict=True):
        prepared = future.result()
        out.append(
            store_task(
                f, prepared, spec == "auto", home, database_url, kind, source, dedup, min_population, progress
            )
        )
    return out
