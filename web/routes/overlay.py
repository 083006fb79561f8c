"""Partner overlays in the browser: upload a file of sites or transactions, read the ranked
result with its map, download it.

The upload goes through the same step as ``counterflow overlay`` (``flows.steps.overlays``). The
uploaded file is deleted as soon as it is scored. The result is kept in the partner tables for
its owner (``intel.partner_store``: the owner, or an admin, reads it; anyone else is told it is
not here) until the purge after ``partner_keep_days``; or, when the partner ticks "don't keep",
nothing is kept and the workbook is sent straight back. A partner sees these pages and nothing
else of the app.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from flows import steps
from flows.steps.overlays import KINDS
from intel.csvsafe import frame_to_csv
from intel.errors import CounterflowError
from intel.hotspot_store import list_runs
from intel.models import PartnerUpload
from intel.partner_store import delete_overlay, get_overlay, list_overlays, overlay_records
from web.deps import SessionDep, SettingsDep, UserDep
from web.routes.imports import _safe_name, _uploads
from web.templating import render

router = APIRouter()

SUFFIXES = (".csv", ".xlsx")
#: Records shown on the result page (every record is in the downloads).
SHOWN = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/overlay", response_class=HTMLResponse)
def overlay_form(request: Request, session: SessionDep, settings: SettingsDep, user: UserDep) -> HTMLResponse:
    """The upload form (sites or transactions, the hotspot run) and the overlays this user keeps."""
    runs = [r for r in list_runs(session, limit=20) if r.resolution is not None]
    return render(
        request, "overlay.html", user=user, runs=runs, suffixes=SUFFIXES, keep=settings.partner_keep_days,
        kept=list_overlays(session, owner=user), kinds=KINDS,
    )  # fmt: skip


@router.post("/overlay")
async def overlay_upload(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep
) -> Response:
    """Score an uploaded file; the file is deleted once read. Kept: the result's page; "don't
    keep": the workbook, and nothing stored."""
    form = await request.form()
    upload = form.get("file")
    run_text = str(form.get("run") or "").strip()
    kind = str(form.get("kind") or "sites")
    dont_keep = form.get("dont_keep") is not None
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise CounterflowError(
            "no file was sent", "choose a file of sites or transactions, then send the form", status=400
        )
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
        res = steps.overlay(
            session, path=path, kind=kind, run_id=int(run_text) if run_text else None,
            owner=None if dont_keep else user, file_name=name,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if dont_keep:
        from hotspots.overlay_outputs import overlay_xlsx

        rejects = pd.DataFrame(res["rejects"], columns=["line", "id", "reason"])
        body = overlay_xlsx(res["records"], res["summary"], rejects, about=res["about"])
        return _download(body, XLSX, f"{Path(name).stem}-ranked.xlsx")
    return RedirectResponse(f"/overlay/{res['key']}", status_code=303)


@router.get("/overlay/{key}", response_class=HTMLResponse)
def overlay_result(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, key: str
) -> HTMLResponse:
    """The ranked records (the first ``SHOWN``), the map, the summary and the rejects."""
    upload = get_overlay(session, key=key, reader=user)
    rows = overlay_records(session, upload, limit=SHOWN).to_dict("records")
    return render(
        request, "overlay_result.html", user=user, result=upload, rows=rows, summary=upload.summary,
        shown=min(SHOWN, upload.n_records), expires=upload.created_at + dt.timedelta(days=settings.partner_keep_days),
        disclaimer=steps.about(upload.kind)[0][1],
    )  # fmt: skip


@router.post("/overlay/{key}/delete")
def overlay_delete(session: SessionDep, user: UserDep, key: str) -> Response:
    """Delete a kept result now, with its records (its owner, or an admin on request)."""
    delete_overlay(session, key=key, reader=user)
    return RedirectResponse("/overlay", status_code=303)


def _download(body: bytes | str, media: str, filename: str) -> Response:
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _parts(session: SessionDep, user: UserDep, key: str) -> tuple[PartnerUpload, pd.DataFrame, pd.DataFrame]:
    upload = get_overlay(session, key=key, reader=user)
    return upload, overlay_records(session, upload), pd.DataFrame(upload.summary)


@router.get("/overlay/{key}/ranked.csv")
def overlay_ranked_csv(session: SessionDep, user: UserDep, key: str) -> Response:
    """Every record with its score, points and reasons, highest first (formula cells neutralised)."""
    upload, records, _ = _parts(session, user, key)
    return _download(
        frame_to_csv(records) or "", "text/csv; charset=utf-8", f"{Path(upload.file_name).stem}-ranked.csv"
    )


@router.get("/overlay/{key}/summary.csv")
def overlay_summary_csv(session: SessionDep, user: UserDep, key: str) -> Response:
    """The summary per country and good, or per corridor."""
    upload, _, summary = _parts(session, user, key)
    return _download(
        frame_to_csv(summary) or "", "text/csv; charset=utf-8", f"{Path(upload.file_name).stem}-summary.csv"
    )


@router.get("/overlay/{key}/ranked.xlsx")
def overlay_ranked_xlsx(session: SessionDep, user: UserDep, key: str) -> Response:
    """The ranked records, the summary, the rejects and how to read them, as one workbook."""
    from hotspots.overlay_outputs import overlay_xlsx

    upload, records, summary = _parts(session, user, key)
    rejects = pd.DataFrame(upload.rejects, columns=["line", "id", "reason"])
    body = overlay_xlsx(records, summary, rejects, about=steps.about(upload.kind))
    return _download(body, XLSX, f"{Path(upload.file_name).stem}-ranked.xlsx")


def _picture(session: SessionDep, user: UserDep, key: str) -> tuple[PartnerUpload, pd.DataFrame, object, str]:
    upload, records, _ = _parts(session, user, key)
    backdrop = steps.backdrop_for(session, kind=upload.kind, run_id=upload.run_id, records=records)
    return (
        upload,
        records,
        backdrop,
        f"{upload.file_name}: your {upload.kind} over counterflow's hotspots and flows",
    )


@router.get("/overlay/{key}/map", response_class=HTMLResponse)
def overlay_map_page(session: SessionDep, user: UserDep, key: str) -> HTMLResponse:
    """The records over our significant hotspots and corridors, as a full page (embedded by the result)."""
    from hotspots.overlay_outputs import Backdrop, overlay_map
    from web.maps import offline_html

    upload, records, backdrop, title = _picture(session, user, key)
    assert isinstance(backdrop, Backdrop)
    return HTMLResponse(offline_html(overlay_map(records, kind=upload.kind, backdrop=backdrop, title=title)))


@router.get("/overlay/{key}/map.png")
def overlay_map_png(session: SessionDep, user: UserDep, key: str) -> Response:
    """The same map as a PNG."""
    from hotspots.overlay_outputs import Backdrop, overlay_png

    upload, records, backdrop, title = _picture(session, user, key)
    assert isinstance(backdrop, Backdrop)
    buf = io.BytesIO()
    overlay_png(records, kind=upload.kind, backdrop=backdrop, title=title, path=buf)
    return _download(buf.getvalue(), "image/png", f"{Path(upload.file_name).stem}-map.png")
