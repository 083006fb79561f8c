"""Aggregates in the store: each figure with its measure and its range, bad values rejected with
their reason, read back apart from the reports; and the aggregates stored before measures
existed get theirs from what their import kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from intel.db import alembic_config, make_engine, session_scope
from intel.ingest import ingest_file
from intel.models import Reject
from intel.store import AGGREGATE_COLUMNS, inventory, load_aggregates, load_reports

DATA = Path(__file__).parent / "data"


def test_figures_with_their_measure_bad_values_rejected(engine, settings):
    with session_scope(engine) as s:
        unodc = ingest_file(s, path=DATA / "unodc_handmade.csv", spec="unodc", settings=settings)
        ingest_file(s, path=DATA / "tip_edges_handmade.csv", spec="tip_edges", settings=settings)
        ingest_file(s, path=DATA / "reports_movement.csv", settings=settings)
        rejects = {r.line: r.reason for r in s.exec(select(Reject)).all()}
        agg = load_aggregates(s)
        inv = inventory(s)
        assert len(load_reports(s)) == 3  # the reports only: aggregates are no incidents
        assert len(load_aggregates(s, measures=["convicted"])) == 1
    assert (unodc.rows_stored, unodc.rows_rejected) == (3, 4)
    assert set(rejects) == {5, 6, 7, 8}
    assert "12,345,678 is larger than 0.01 of the population of Nigeria" in rejects[5]
    assert "9,000 is larger than 0.01 of the population of Malta" in rejects[6]
    assert "figure '..' is not a count" in rejects[7]
    assert "measure 'Persons arrested / Total' is not known" in rejects[8]
    assert list(agg.columns) == list(AGGREGATE_COLUMNS)
    got = sorted(
        agg.fillna({"origin": "-"})[
            ["measure", "country", "origin", "figure", "figure_high", "source"]
        ].values.tolist()
    )
    assert got == [
        ["convicted", "IT", "-", 40, 40, "UNODC Global Report on Trafficking in Persons"],
        ["mentions", "IT", "NG", 1, 1, "US State Department TIP report (extracted edges)"],
        ["mentions", "LY", "NG", 1, 1, "US State Department TIP report (extracted edges)"],
        ["victims_detected", "IT", "NG", 120, 120, "UNODC Global Report on Trafficking in Persons"],
        ["victims_detected", "LY", "NG", 1, 4, "UNODC Global Report on Trafficking in Persons"],
    ]
    assert sorted(map(tuple, inv[["measure", "records"]].values.tolist())) == [
        ("convicted", 1), ("incidents", 3), ("mentions", 2), ("victims_detected", 2),
    ]  # fmt: skip


def test_a_count_larger_than_the_population_is_rejected_for_any_count(engine, settings, tmp_path):
    """The generic reports: victim_count may not exceed the country's population (the default
    share, 1); a count of a town's size is kept."""
    path = tmp_path / "counts.csv"
    path.write_text(
        "date,place,country,victim_count\n2024-01-05,Valletta,MT,30000000\n2024-01-06,Benin City,NG,1200\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings)
        reason = s.exec(select(Reject.reason)).one()
    assert (summary.rows_stored, summary.rows_rejected) == (1, 1)
    assert reason.startswith("victim_count 30,000,000 is larger than the population of Malta")


def _at_0001(url: str) -> object:
    """An engine whose store is at revision 0001 (a fresh SQLite file, or PostgreSQL taken back)."""
    engine = make_engine(url)
    cfg = alembic_config(engine)
    if engine.dialect.name == "sqlite":
        command.upgrade(cfg, "0001")
    else:
        command.downgrade(cfg, "0001")
    return engine


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_aggregates_stored_before_measures_get_theirs(db_url):
    engine = _at_0001(db_url)
    old = [  # (spec, extra, victim_count): as revision 0001 stored them
        ("unodc", {"indicator": "Detected trafficking victims", "dimension": "by citizenship"}, 120),
        ("unodc", {"indicator": "Persons convicted", "dimension": "Total"}, 40),
        (
            "unodc",
            {"indicator": "Detected trafficking victims", "dimension": "by citizenship", "count_text": "<5"},
            1,
        ),
        (
            "unodc",
            {"indicator": "Detected trafficking victims", "dimension": "by country of repatriation"},
            9,
        ),
        ("tip_edges", {}, 1),
        ("mine", {"what": "unknown"}, 5),
    ]
    with engine.begin() as conn:
        for i, (spec, extra, count) in enumerate(old, start=1):
            conn.execute(
                text("INSERT INTO importbatch (id, file_name, sha256, spec, status, started_at, rows_read, "
                     "rows_stored, rows_duplicate, rows_rejected, rows_skipped) VALUES (:i, 'f.csv', :h, :spec, "
                     "'done', CURRENT_TIMESTAMP, 1, 1, 0, 0, 0)"),
                {"i": i, "h": f"h{i}", "spec": spec},
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO report (id, import_id, observed_on, received_at, reliability, credibility, "
                     "exploitation, recruitment, control, transport, victim_count, is_aggregate, role, transit, "
                     "fingerprint, simulated, extra) VALUES (:i, :i, '2020-01-01', CURRENT_TIMESTAMP, 'A', 2, '', "
                     "'', '', '', :n, :agg, 'destination', '', :fp, :sim, :extra)"),
                {"i": i, "n": count, "agg": True, "fp": f"fp{i}", "sim": False, "extra": json.dumps(extra)},
            )  # fmt: skip
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT measure, figure, figure_high, victim_count FROM report ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("victims_detected", 120, 120, 0),
        ("convicted", 40, 40, 0),
        ("victims_detected", 1, 4, 0),
        ("victims_repatriated", 9, 9, 0),
        ("mentions", 1, 1, 0),
        (None, None, None, 5),  # no measure can be told: listed as such, counted nowhere
    ]
    with session_scope(engine) as s:
        assert inventory(s)["measure"].isna().sum() == 1
        assert len(load_aggregates(s)) == 5
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE report, importbatch RESTART IDENTITY CASCADE"))
    engine.dispose()
