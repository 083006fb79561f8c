"""The partner tables on SQLite and PostgreSQL: an overlay kept for its owner, read back by its
owner or an admin only, and deleted by the purge once older than the retention days."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from intel.errors import NotFound
from intel.models import PartnerRecord, PartnerUpload
from intel.partner_store import get_overlay, list_overlays, overlay_records, purge, save_overlay
from tests.factories import make_users

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def _keep(s: Session, owner: object, days_old: float) -> str:
    records = pd.DataFrame(
        {
            "rank": [1, 2],
            "id": ["b", "a"],
            "score": [80.0, 3.5],
            "forecast": [2.5, float("nan")],
            "reasons": ["x", "y"],
        }
    )
    upload = save_overlay(
        s, owner=owner, kind="sites", file_name="f.csv", run_id=None, records=records,  # type: ignore[arg-type]
        summary=pd.DataFrame({"country": ["NG"]}), rejects=[(4, "c", "no place")], notes=[],
    )  # fmt: skip
    upload.created_at = NOW - dt.timedelta(days=days_old)
    s.add(upload)
    s.flush()
    return upload.key


def test_kept_read_by_owner_or_admin_and_purged_after_the_days(engine: Engine) -> None:
    with Session(engine) as s:
        users = make_users(s)
        old = _keep(s, users["pia"], 30.5)
        new = _keep(s, users["pia"], 29.5)
        s.commit()
        got = get_overlay(s, key=old, reader=users["pia"])
        rows = overlay_records(s, got)
        assert rows["id"].tolist() == ["b", "a"] and rows["forecast"].isna().tolist() == [False, True]
        assert got.rejects == [[4, "c", "no place"]]
        assert get_overlay(s, key=old, reader=users["root"]).key == old  # an admin may read it
        for who in ("ana", "dina", "cam"):
            with pytest.raises(NotFound, match="is not here"):
                get_overlay(s, key=old, reader=users[who])
        assert [u.key for u in list_overlays(s, owner=users["pia"])] == [new, old]
        assert list_overlays(s, owner=users["root"]) == []
        assert purge(s, keep_days=30, now=NOW) == (1, 2)  # 30.5 days old: gone with its 2 records
        s.commit()
        assert [u.key for u in s.exec(select(PartnerUpload)).all()] == [new]
        assert s.exec(select(func.count()).select_from(PartnerRecord)).one() == 2
        with pytest.raises(NotFound):
            get_overlay(s, key=old, reader=users["pia"])
