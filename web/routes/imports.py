"""Importing a file in the browser: the upload form, the import's progress and its result.

The upload goes through the same step as ``counterflow ingest`` (``flows.steps.ingest``), with
the spec chosen from the known ones or detected from the file's columns. A small file is
imported while the request waits; a larger one in a background task whose progress the page
polls (``/imports/jobs/<id>/status``, JSON). The result page shows what was stored, merged and
rejected, and the rejected rows with their line and reason, a page at a time; the rejects come
as a CSV whose formula-like cells are neutralised (``intel.csvsafe``).

Jobs are held in this process's memory: a server with several worker processes shows a job's
progress only on the worker that runs it (the result page, read from the store, works anywhere).
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from flows import steps
from intel.csvsafe import csv_writer
from intel.db import session_scope
from intel.errors import CounterflowError, NotFound
from intel.models import ImportBatch, Reject
from intel.settings import Settings
from intel.specs import list_specs
from web.deps import RowId, SessionDep, SettingsDep, UserDep
from web.readable import Page
from web.templating import render

log = logging.getLogger(__name__)
router = APIRouter()

#: What the upload form accepts: tables (with an import spec), articles and feeds.
SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".xlsx",
    ".json",
    ".jsonl",
    ".ndjson",
    ".html",
    ".htm",
    ".xml",
    ".rss",
    ".atom",
)
#: Files up to this size are imported while the request waits; larger ones in the background.
INLINE_BYTES = 2 * 2**20
#: Rejected rows per page of an import's result.
PER_PAGE = 50
#: Jobs kept in memory (the oldest finished ones are forgotten first).
MAX_JOBS = 100
SOURCE_KINDS = ("news", "court", "ngo_report", "un_report", "gov_report", "law_enforcement", "spreadsheet")


@dataclass
class Job:
    """A background import as its progress page sees it."""

    id: str
    file_name: str
    size: int
    user: str
    state: str = "running"  # running, done, failed
    rows_read: int = 0
    consumed: int = 0
    total: int | None = None
    import_id: int | None = None
    problem: str = ""
    fix: str = ""
    started: float = field(default_factory=time.monotonic)

    def status(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("started", "user")}
        out["result_url"] = f"/imports/{self.import_id}" if self.state == "done" else None
        return out


class Jobs:
    """The background imports of this process, by id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def add(self, job: Job) -> None:
        with self._lock:
            if len(self._jobs) >= MAX_JOBS:
                done = [j for j in self._jobs.values() if j.state != "running"]
                for old in sorted(done, key=lambda j: j.started)[: len(self._jobs) - MAX_JOBS + 1]:
                    del self._jobs[old.id]
            self._jobs[job.id] = job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(
                f"import job {job_id!r} is not known to this server",
                "see the list of imports: a finished import is there (jobs are forgotten on restart)",
            )
        return job


def jobs_of(request: Request) -> Jobs:
    app = request.app
    if not hasattr(app.state, "import_jobs"):
        app.state.import_jobs = Jobs()
    jobs: Jobs = app.state.import_jobs
    return jobs


def spec_choices(settings: Settings) -> list[tuple[str, str]]:
    """The specs an analyst may choose: ``auto`` first, then every known spec with its description."""
    return [("auto", "detect from the file's columns")] + [
        (s.name, s.description) for s in list_specs(home=settings.home)
    ]


def _safe_name(name: str) -> str:
    """An uploaded file's name as stored in the import (no folders, no odd characters)."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._")[:80] or "upload"
    return stem + suffix


def paged(session: Session, stmt: Any, count: Any, *, page: int, per_page: int) -> Page[Any]:
    """One page of the rows of ``stmt`` (ordered, top first) with ``count`` rows in all: only
    that page is read from the store. A page out of range is refused as ``Page.of`` refuses it."""
    total = int(session.exec(count).one())
    Page.of(range(total), page=page, per_page=per_page)  # the same checks and messages
    rows = session.exec(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    pages = max(1, -(-total // per_page))
    return Page(rows, page, pages, total, per_page)


def _recent(session: Session, page: int) -> Page[ImportBatch]:
    return paged(
        session,
        select(ImportBatch).order_by(col(ImportBatch.id).desc()),
        select(func.count()).select_from(ImportBatch),
        page=page,
        per_page=20,
    )


@router.get("/imports", response_class=HTMLResponse)
def import_form(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, page: int = 1
) -> HTMLResponse:
    """The upload form and the recent imports."""
    return render(
        request,
        "imports.html",
        user=user,
        specs=spec_choices(settings),
        source_kinds=SOURCE_KINDS,
        suffixes=SUFFIXES,
        imports=_recent(session, page),
        max_mib=request.app.state.max_upload / 2**20,
    )


def _run_import(
    engine: Engine, settings: Settings, job: Job, path: Path, spec: str, source_kind: str | None
) -> None:
    """The background task: import ``path`` in its own transaction, reporting progress to ``job``."""

    def on_batch(summary: Any) -> None:
        job.rows_read, job.consumed = summary.rows_read, summary.consumed
        job.total = summary.total_bytes

    try:
        with session_scope(engine) as session:
            out = steps.ingest(
                session, path=path, settings=settings, spec=spec, source_kind=source_kind, on_batch=on_batch
            )
        job.import_id, job.rows_read, job.state = out["import_id"], out["rows_read"], "done"
    except CounterflowError as exc:
        job.problem, job.fix, job.state = exc.problem, exc.fix, "failed"
    except Exception:
        log.exception("import job %s of %s failed", job.id, job.file_name)
        job.problem, job.fix, job.state = (
            "the import failed on the server",
            "tell an admin: the server log has the details",
            "failed",
        )
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


@router.post("/imports")
async def import_file(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, background: BackgroundTasks
) -> Response:
    """Import an uploaded file: at once when it is small, else in the background (see the module)."""
    form = await request.form()
    upload = form.get("file")
    spec = str(form.get("spec") or "auto")
    source_kind = str(form.get("source_kind") or "") or None
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CounterflowError("no file was sent", "choose a file to import, then send the form", status=400)
    name = _safe_name(upload.filename)
    if Path(name).suffix not in SUFFIXES:
        raise CounterflowError(
            f"{name} is not a file this form imports", f"upload one of {', '.join(SUFFIXES)}", status=400
        )
    known = [n for n, _ in spec_choices(settings)]
    if spec not in known:
        raise CounterflowError(
            f"import spec {spec!r} is not known", f"choose one of {', '.join(known)}", status=400
        )
    if source_kind is not None and source_kind not in SOURCE_KINDS:
        raise CounterflowError(
            f"source kind {source_kind!r} is not known",
            f"choose one of {', '.join(SOURCE_KINDS)}",
            status=400,
        )
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=_uploads(settings)))
    path = folder / name
    with open(path, "wb") as out:
        shutil.copyfileobj(upload.file, out)
    size = path.stat().st_size
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise CounterflowError(f"{name} is empty", "choose the file again: nothing was received", status=400)
    inline = getattr(request.app.state, "import_inline_bytes", INLINE_BYTES)
    if size <= inline:
        try:
            summary = steps.ingest(session, path=path, settings=settings, spec=spec, source_kind=source_kind)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        again = "?again=1" if summary.get("already_imported") else ""
        return RedirectResponse(f"/imports/{summary['import_id']}{again}", status_code=303)
    job = Job(id=secrets.token_urlsafe(12), file_name=name, size=size, user=user.name)
    jobs_of(request).add(job)
    background.add_task(_run_import, request.app.state.engine, settings, job, path, spec, source_kind)
    return RedirectResponse(f"/imports/jobs/{job.id}", status_code=303)


def _uploads(settings: Settings) -> Path:
    folder = settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@router.get("/imports/jobs/{job_id}", response_class=HTMLResponse)
def import_progress(request: Request, user: UserDep, job_id: str) -> HTMLResponse:
    """A background import's progress (updated by ``/static/import-progress.js``)."""
    return render(request, "import_progress.html", user=user, job=jobs_of(request).get(job_id))


@router.get("/imports/jobs/{job_id}/status")
def import_status(request: Request, user: UserDep, job_id: str) -> JSONResponse:
    """A background import's progress as JSON: state, rows read, bytes read of the total, result."""
    return JSONResponse(jobs_of(request).get(job_id).status())


def _batch(session: Session, import_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, import_id)
    if batch is None:
        raise NotFound(f"import {import_id} does not exist", "pick an import from /imports")
    return batch


@router.get("/imports/{import_id}", response_class=HTMLResponse)
def import_result(
    request: Request, session: SessionDep, user: UserDep, import_id: RowId, page: int = 1, again: int = 0
) -> HTMLResponse:
    """One import: rows read, stored, merged, skipped and rejected; the rejects with their line and
    reason, first lines first, a page at a time."""
    batch = _batch(session, import_id)
    rejects = paged(
        session,
        select(Reject).where(Reject.import_id == import_id).order_by(col(Reject.line), col(Reject.id)),
        select(func.count()).select_from(Reject).where(Reject.import_id == import_id),
        page=page,
        per_page=PER_PAGE,
    )
    return render(
        request,
        "import_result.html",
        user=user,
        batch=batch,
        again=bool(again),
        rejects=rejects,
    )


@router.get("/imports/{import_id}/rejects.csv")
def import_rejects_csv(session: SessionDep, user: UserDep, import_id: RowId) -> Response:
    """The rejected rows of one import as CSV (file, line, reason, raw), safe to open in a spreadsheet."""
    batch = _batch(session, import_id)
    buf = io.StringIO()
    writer = csv_writer(buf)
    writer.writerow(["file", "line", "reason", "raw"])
    for r in session.exec(
        select(Reject).where(Reject.import_id == import_id).order_by(col(Reject.line), col(Reject.id))
    ):
        writer.writerow([r.file_name, r.line, r.reason, r.raw])
    stem = _safe_name(batch.file_name).rsplit(".", 1)[0]
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-{stem}-rejects.csv"'},
    )
