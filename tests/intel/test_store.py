"""The store: migrations create every table, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from intel.db import session_scope, table_names
from intel.models import Report, Source


def test_migrations_create_every_model_table(engine):
    assert set(SQLModel.metadata.tables) <= set(table_names(engine))


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata
        )
    assert diff == [], f"models and migrations differ: add a migration for {diff}"


def test_session_scope_commits_and_rolls_back(engine):
    with session_scope(engine) as s:
        s.add(Source(kind="news", name="Daily Trust", reliability="B"))
    with pytest.raises(RuntimeError, match="crash mid-way"), session_scope(engine) as s:  # re-raised
        s.add(Source(kind="news", name="Punch", reliability="C"))
        s.flush()
        raise RuntimeError("crash mid-way")
    with session_scope(engine) as s:
        names = [src.name for src in s.exec(select(Source)).all()]
    assert names == ["Daily Trust"]


def test_report_round_trip(engine):
    with session_scope(engine) as s:
        src = Source(kind="court", name="Edo High Court", reliability="A")
        s.add(src)
        s.flush()
        s.add(
            Report(
                source_id=src.id,
                observed_on=dt.date(2023, 5, 2),
                exploitation="sexual|forced_labour",
                country="NG",
                lat=6.34,
                lon=5.62,
                fingerprint="abc",
                extra={"case": "EHC/12/2023"},
            )
        )
    with session_scope(engine) as s:
        r = s.exec(select(Report)).one()
    assert r.exploitation.split("|") == ["sexual", "forced_labour"]
    assert r.extra == {"case": "EHC/12/2023"}
    # PostgreSQL keeps the time zone; SQLite keeps none, and the value is UTC
    assert (r.received_at.tzinfo is None) == (engine.dialect.name == "sqlite")
    received = r.received_at if r.received_at.tzinfo else r.received_at.replace(tzinfo=dt.UTC)
    assert abs(dt.datetime.now(dt.UTC) - received) < dt.timedelta(minutes=5)
