"""A partner's overlays in their own tables: saved for their owner, read by their owner (or an
admin), deleted after ``partner_keep_days``.

Who reads what: a result is its owner's. An **admin** may open any partner's result, to help a
partner and to delete on request; no other role can, whatever pages it may open: an analyst who
runs an overlay sees their own results only. Another user asking for a result is told it is not
there (404), never that it exists. Nothing here is read by the hotspot, campaign or report code.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from intel.errors import NotFound
from intel.models import PartnerRecord, PartnerUpload, User, utcnow
from intel.roles import Role


def _plain_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (NaN as null, dates as ISO text)."""
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return rows


def save_overlay(
    session: Session,
    *,
    owner: User,
    kind: str,
    file_name: str,
    run_id: int | None,
    records: pd.DataFrame,
    summary: pd.DataFrame,
    rejects: list[tuple[int, str, str]],
    notes: list[str],
) -> PartnerUpload:
    """Keep one overlay for ``owner``; returns it with its unguessable ``key``."""
    assert owner.id is not None
    upload = PartnerUpload(
        key=secrets.token_urlsafe(12),
        owner_id=owner.id,
        kind=kind,
        file_name=file_name,
        run_id=run_id,
        n_records=len(records),
        summary=_plain_rows(summary),
        rejects=[list(r) for r in rejects],
        notes=list(notes),
    )
    session.add(upload)
    session.flush()
    rows = _plain_rows(records)
    if rows:
        session.execute(
            insert(PartnerRecord),
            [
                {
                    "upload_id": upload.id,
                    "rank": r["rank"],
                    "record_id": str(r["id"]),
                    "score": r["score"],
                    "row": r,
                }
                for r in rows
            ],
        )
    session.flush()
    return upload


def get_overlay(session: Session, *, key: str, reader: User) -> PartnerUpload:
    """The overlay ``key`` if ``reader`` owns it or is an admin; otherwise not found."""
    upload = session.exec(select(PartnerUpload).where(PartnerUpload.key == key)).first()
    if upload is None or (upload.owner_id != reader.id and reader.role != Role.ADMIN):
        raise NotFound(
            f"overlay result {key!r} is not here",
            "it may have been deleted after its retention days: upload the file again",
        )
    return upload


def overlay_records(session: Session, upload: PartnerUpload, *, limit: int | None = None) -> pd.DataFrame:
    """The scored rows of an overlay, ranked, in the columns they were scored with."""
    stmt = (
        select(PartnerRecord.row)
        .where(PartnerRecord.upload_id == upload.id)
        .order_by(col(PartnerRecord.rank))
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return pd.DataFrame(list(session.exec(stmt).all()))


def delete_overlay(session: Session, *, key: str, reader: User) -> PartnerUpload:
    """Delete the overlay ``key`` and its records now, if ``reader`` owns it or is an admin."""
    upload = get_overlay(session, key=key, reader=reader)
    session.execute(delete(PartnerRecord).where(col(PartnerRecord.upload_id) == upload.id))
    session.delete(upload)
    session.flush()
    return upload


def list_overlays(session: Session, *, owner: User) -> list[PartnerUpload]:
    """The overlays ``owner`` keeps, newest first."""
    stmt = select(PartnerUpload).where(PartnerUpload.owner_id == owner.id)
    return list(session.exec(stmt.order_by(col(PartnerUpload.created_at).desc())).all())


def purge(session: Session, *, keep_days: int, now: dt.datetime | None = None) -> tuple[int, int]:
    """Delete the overlays older than ``keep_days`` and their records; (overlays, records) deleted."""
    cutoff = (now or utcnow()) - dt.timedelta(days=keep_days)
    old = select(PartnerUpload.id).where(col(PartnerUpload.created_at) < cutoff)
    plain = {"synchronize_session": False}  # a bulk delete; the session forgets what it held
    gone_records = session.execute(
        delete(PartnerRecord).where(col(PartnerRecord.upload_id).in_(old)), execution_options=plain
    )
    gone_uploads = session.execute(
        delete(PartnerUpload).where(col(PartnerUpload.created_at) < cutoff), execution_options=plain
    )
    session.expire_all()
    session.flush()
    return int(gone_uploads.rowcount or 0), int(gone_records.rowcount or 0)  # type: ignore[attr-defined]
