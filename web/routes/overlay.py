"""Partner overlays in the browser: upload a file of sites, read the ranked result, download it.

The upload goes through the same step as ``counterflow overlay`` (``flows.steps.overlay``). The
uploaded file is deleted as soon as it is scored; the result is held in this process's memory
only, for its owner only, for ``KEEP_SECONDS`` at most (the newest ``MAX_RESULTS``), and never
written to the store. A partner sees these pages and nothing else of the app.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from flows import steps
from intel.csvsafe import frame_to_csv
from intel.errors import CounterflowError, NotFound
from intel.hotspot_store import list_runs
from web.deps import SessionDep, SettingsDep, UserDep
from web.routes.imports import _safe_name, _uploads
from web.templating import render

router = APIRouter()

SUFFIXES = (".csv", ".xlsx")
#: How long a result is kept in memory, and how many at most (the oldest forgotten first).
KEEP_SECONDS = 3600
MAX_RESULTS = 20
#: Sites shown on the result page (every site is in the CSV).
SHOWN = 100


@dataclass
class Result:
    id: str
    owner: str
    file_name: str
    run_id: int
    sites: pd.DataFrame
    summary: pd.DataFrame
    rejects: list[tuple[int, str, str]]
    notes: list[str]
    disclaimer: str
    made: float = field(default_factory=time.monotonic)


class Results:
    """The overlay results of this process, by id; thread-safe; expired ones are forgotten."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Result] = {}

    def _expire(self) -> None:
        now = time.monotonic()
        for k in [k for k, r in self._items.items() if now - r.made > KEEP_SECONDS]:
            del self._items[k]
        while len(self._items) >= MAX_RESULTS:
            del self._items[min(self._items, key=lambda k: self._items[k].made)]

    def add(self, result: Result) -> None:
        with self._lock:
            self._expire()
            self._items[result.id] = result

    def get(self, result_id: str, owner: str) -> Result:
        with self._lock:
            self._expire()
            found = self._items.get(result_id)
        if found is None or found.owner != owner:  # another user's result is not there for you
            raise NotFound(
                f"overlay result {result_id!r} is not here",
                f"results are kept for {KEEP_SECONDS // 60} minutes in this server's memory: upload the file again",
            )
        return found


def results_of(request: Request) -> Results:
    app = request.app
    if not hasattr(app.state, "overlay_results"):
        app.state.overlay_results = Results()
    out: Results = app.state.overlay_results
    return out


@router.get("/overlay", response_class=HTMLResponse)
def overlay_form(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """The upload form: a file of sites and the hotspot run to overlay it on."""
    runs = [r for r in list_runs(session, limit=20) if r.resolution is not None]
    return render(request, "overlay.html", user=user, runs=runs, suffixes=SUFFIXES, keep=KEEP_SECONDS // 60)


@router.post("/overlay")
async def overlay_upload(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep
) -> Response:
    """Score an uploaded file of sites; the file is deleted once read, the result kept in memory."""
    form = await request.form()
    upload = form.get("file")
    run_text = str(form.get("run") or "").strip()
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CounterflowError("no file was sent", "choose a file of sites, then send the form", status=400)
    name = _safe_name(upload.filename)
    if Path(name).suffix not in SUFFIXES:
        raise CounterflowError(
            f"{name} is not a file this form reads", f"upload one of {', '.join(SUFFIXES)}"
        )
    if run_text and not run_text.isdigit():
        raise CounterflowError(f"run {run_text!r} is not a run id", "choose a run from the list")
    folder = Path(tempfile.mkdtemp(prefix="overlay-", dir=_uploads(settings)))
    try:
        path = folder / name
        with open(path, "wb") as out:
            shutil.copyfileobj(upload.file, out)
        res = steps.overlay(session, path=path, kind="sites", run_id=int(run_text) if run_text else None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = Result(
        id=secrets.token_urlsafe(12),
        owner=user.name,
        file_name=name,
        run_id=res["run_id"],
        sites=res["sites"],
        summary=res["summary"],
        rejects=res["rejects"],
        notes=res["notes"],
        disclaimer=res["disclaimer"],
    )
    results_of(request).add(result)
    return RedirectResponse(f"/overlay/{result.id}", status_code=303)


@router.get("/overlay/{result_id}", response_class=HTMLResponse)
def overlay_result(request: Request, user: UserDep, result_id: str) -> HTMLResponse:
    """The ranked sites (the first ``SHOWN``), the summary per country and good, the rejects."""
    result = results_of(request).get(result_id, user.name)
    rows = result.sites.head(SHOWN).to_dict("records")
    return render(
        request,
        "overlay_result.html",
        user=user,
        result=result,
        rows=rows,
        summary=result.summary.to_dict("records"),
        shown=min(SHOWN, len(result.sites)),
        keep=KEEP_SECONDS // 60,
    )


def _csv(frame: pd.DataFrame, filename: str) -> Response:
    return Response(
        frame_to_csv(frame),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/overlay/{result_id}/ranked.csv")
def overlay_ranked_csv(request: Request, user: UserDep, result_id: str) -> Response:
    """Every site with its score, points and reasons, highest first (formula cells neutralised)."""
    result = results_of(request).get(result_id, user.name)
    return _csv(result.sites, f"{Path(result.file_name).stem}-ranked.csv")


@router.get("/overlay/{result_id}/summary.csv")
def overlay_summary_csv(request: Request, user: UserDep, result_id: str) -> Response:
    """The summary per country and good."""
    result = results_of(request).get(result_id, user.name)
    return _csv(result.summary, f"{Path(result.file_name).stem}-summary.csv")
