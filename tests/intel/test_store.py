"""The store: migrations create every table, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, select

from intel.db import alembic_config, make_engine, session_scope, table_names
from intel.models import Campaign, Metric, Report, Source


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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path):
    """A store with no tables at all, for walking the migrations one by one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = make_url(request.getfixturevalue("postgres_url"))
    name = f"counterflow_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_metric_measures_become_nullable_and_existing_rows_keep_their_values(empty_url):
    """0002: a metric stored before keeps its values, its conversions are unknown; after it an
    unknown reach is NULL; going back stores it as the 0 the old schema knew."""
    engine = make_engine(empty_url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0001")
    with session_scope(engine) as s:
        campaign = Campaign(name="before", author="cam")
        s.add(campaign)
        s.flush()
        cid = campaign.id
    columns = "campaign_id, tracking_code, day, reach, impressions, frequency, clicks, ctr, "
    columns += "unique_ctr, spend, video_p25, video_p50, video_p75, video_p100, video_avg_time_s, "
    columns += "source, simulated"
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO metric ({columns}) VALUES (:c, 'old', :d, 700, 1400, 2.0, 14, 1.0, 0.9, "
                "3.5, 300, 200, 100, 50, 6.5, 'export', :f)"
            ),
            {"c": cid, "d": dt.date(2026, 3, 1), "f": False},
        )
    command.upgrade(cfg, "head")
    with session_scope(engine) as s:
        old = s.exec(select(Metric)).one()
        assert (old.reach, old.impressions, old.clicks, old.spend, old.video_p100) == (700, 1400, 14, 3.5, 50)
        assert old.conversions is None
        s.add(Metric(campaign_id=cid, tracking_code="new", day=dt.date(2026, 3, 2), impressions=10))
    with session_scope(engine) as s:
        new = s.exec(select(Metric).where(Metric.tracking_code == "new")).one()
        assert (new.reach, new.impressions, new.spend) == (None, 10, None)
    command.downgrade(cfg, "0001")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT reach, impressions FROM metric WHERE tracking_code = 'new'")).one()
    assert tuple(back) == (0, 10)
    engine.dispose()


def test_the_precision_migration_sets_the_precision_of_stored_reports(settings):
    """Reports stored before precision was recorded: with coordinates they stay points (as they
    fed cells), with only a country they are country-level, with nothing unspecified; a date
    precision an import spec left in ``extra`` becomes the column."""
    from alembic import command
    from sqlalchemy import text

    from intel.db import alembic_config, make_engine

    eng = make_engine(settings.db_url)
    cfg = alembic_config(eng)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "0003")
    insert = text(
        "INSERT INTO report (observed_on, received_at, reliability, credibility, exploitation, recruitment, "
        "control, transport, victim_count, is_aggregate, role, transit, fingerprint, simulated, extra, "
        "lat, lon, country) VALUES (:day, :at, 'B', 2, '', '', '', '', 1, :f, 'incident', '', :fp, :f, :extra, "
        ":lat, :lon, :cc)"
    )
    rows = [
        ("a", 32.75, 12.72, "LY", "{}"),
        ("b", None, None, "CO", '{"date_precision": "year"}'),
        ("c", None, None, None, '{"date_precision": "month"}'),
    ]
    with eng.begin() as conn:
        for fp, lat, lon, cc, extra in rows:
            conn.execute(
                insert,
                {"day": dt.date(2019, 1, 1), "at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "f": False,
                 "fp": fp, "extra": extra, "lat": lat, "lon": lon, "cc": cc},
            )  # fmt: skip
    command.upgrade(cfg, "head")
    with eng.connect() as conn:
        got = conn.execute(
            text("SELECT fingerprint, place_precision, date_precision FROM report ORDER BY fingerprint")
        ).all()
    eng.dispose()
    assert [tuple(r) for r in got] == [
        ("a", "point", "day"),
        ("b", "country", "year"),
        ("c", "unspecified", "month"),
    ]


def test_load_reports_names_an_unknown_column(engine) -> None:
    """A column the report frame does not have is a CounterflowError naming it, not a KeyError;
    the columns asked for come in ``REPORT_COLUMNS``' order."""
    from intel.errors import CounterflowError
    from intel.store import load_reports

    with session_scope(engine) as s:
        with pytest.raises(CounterflowError, match="no report column named latitude"):
            load_reports(s, columns=["latitude", "lon"])
        with pytest.raises(CounterflowError, match="needs the exploitation column"):
            load_reports(s, columns=["lat", "lon"], types=["sexual"])
        assert list(load_reports(s, columns=["lon", "lat"]).columns) == ["lat", "lon"]


def test_the_newest_migrations_are_read_as_alembic_reads_them(tmp_path):
    """``intel.db._heads`` (the quick check before Alembic) names the heads Alembic names."""
    from alembic.script import ScriptDirectory

    from intel.db import _heads

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert _heads() == set(heads)


def test_an_up_to_date_store_opens_without_alembic_and_an_older_one_is_upgraded(tmp_path):
    """A store at the newest migration opens in a fresh process without importing Alembic; one a
    migration behind is still brought up to date."""
    import subprocess
    import sys
    from pathlib import Path

    import intel.db as db

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    db.migrate(engine)
    probe = (
        "import sys; from intel.db import make_engine, migrate; migrate(make_engine(sys.argv[1])); "
        "print('alembic' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", probe, url], check=True, capture_output=True, text=True, cwd=root
    )
    assert run.stdout.strip() == "False"
    command.downgrade(alembic_config(engine), "-1")
    with engine.connect() as conn:
        (behind,) = conn.execute(text("SELECT version_num FROM alembic_version")).one()
    assert behind not in db._heads()  # type: ignore[operator]
    db._migrated.discard(str(engine.url))  # as in a fresh process
    db.migrate(engine)
    with engine.connect() as conn:
        assert {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))} == db._heads()
    run = subprocess.run(
        [sys.executable, "-c", probe, url], check=True, capture_output=True, text=True, cwd=root
    )
    assert run.stdout.strip() == "False"
