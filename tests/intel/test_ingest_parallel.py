"""Large imports: the file is prepared in a second process while this one writes the store."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import select

from intel.db import get_engine, session_scope
from intel.errors import CounterflowError
from intel.ingest import ingest_file, prepare
from intel.ingest.dedup import Deduper, _same, _types
from intel.models import ImportBatch, Reject, Report
from intel.settings import Settings

HEADER = "date,place,country,lat,lon,exploitation,source_kind,source,summary,victim_count\n"
TOWNS = [("Benin City", "NG"), ("Agadez", "NE"), ("Sabha", "LY"), ("Tripoli", "LY"), ("Lampedusa", "IT")]


def _file(tmp_path: Path, n: int = 1500) -> Path:
    lines = []
    for i in range(n):
        town, cc = TOWNS[i % len(TOWNS)]
        day = dt.date(2023, 1, 1) + dt.timedelta(days=(i * 7) % 120)
        src = ["Vanguard", "RFI", "NAPTIP"][i % 3]
        if i % 4 == 0:  # a point instead of a town
            lines.append(f"{day},,,{6.3 + (i % 9) / 100:.4f},{5.6 + (i % 7) / 100:.4f},sexual,news,{src},,2")
        else:
            lines.append(f"{day},{town},{cc},,,sexual|forced_labour,news,{src},,1")
        if i % 250 == 0:
            lines.append(f"31/02/2023,{town},{cc},,,sexual,news,{src},,1")  # a bad date: a reject
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _stored(engine) -> pd.DataFrame:
    with session_scope(engine) as s:
        rows = s.exec(select(Report).order_by(Report.line)).all()
        return pd.DataFrame(
            [
                (r.line, r.observed_on, r.place, r.country, r.lat, r.lon, r.exploitation, r.reliability,
                 r.fingerprint, r.duplicate_of is None)
                for r in rows
            ]
        )  # fmt: skip


def _workers() -> list[str]:
    """Live ``intel.ingest.worker`` processes started by this process."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"intel.ingest.worker" in cmd and int(stat[1]) == os.getpid() and stat[0] != "Z":
            found.append(pid)
    return found


@pytest.fixture
def in_worker(monkeypatch):
    monkeypatch.setattr(prepare, "PARALLEL_BYTES", 0)
    assert prepare.parallel_worth_it(1), "the second process needs two cores"


def test_worker_stores_what_one_process_stores(engine, settings, tmp_path, monkeypatch):
    path = _file(tmp_path)
    alone = Settings(
        environment="test", home=tmp_path / "alone", database_url=f"sqlite:///{tmp_path / 'a.db'}"
    )
    with session_scope(get_engine(alone)) as s:
        one = ingest_file(s, path=path, settings=alone, batch_size=400)
    monkeypatch.setattr(prepare, "PARALLEL_BYTES", 0)
    assert prepare.parallel_worth_it(path.stat().st_size)
    with session_scope(engine) as s:
        two = ingest_file(s, path=path, settings=settings, batch_size=400)
    counts = ("rows_read", "rows_stored", "rows_duplicate", "rows_rejected", "rows_skipped")
    assert [getattr(two, c) for c in counts] == [getattr(one, c) for c in counts]
    assert (two.rows_read, two.rows_rejected) == (1506, 6) and two.rows_duplicate > 0
    a, b = _stored(get_engine(alone)), _stored(engine)
    pd.testing.assert_frame_equal(a, b)
    with session_scope(engine) as s:
        assert len(s.exec(select(Reject)).all()) == 6
    assert _workers() == []


def test_worker_error_reaches_the_caller_and_nothing_is_stored(engine, settings, tmp_path, in_worker):
    path = tmp_path / "wrong.csv"
    path.write_text("when,where\n2023-01-01,Agadez\n", encoding="utf-8")
    with pytest.raises(CounterflowError, match="has no column 'date'"), session_scope(engine) as s:
        ingest_file(s, path=path, settings=settings)
    with session_scope(engine) as s:
        assert s.exec(select(ImportBatch)).all() == [] and s.exec(select(Report)).all() == []
    assert _workers() == []


def test_an_error_the_worker_meets_later_in_the_file_reaches_the_caller(
    engine, settings, tmp_path, in_worker
):
    lines = _file(tmp_path, n=400).read_bytes().split(b"\n")
    lines[350] += b"\xff"  # not UTF-8, in a batch the worker prepares
    path = tmp_path / "late.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(CounterflowError, match="late.csv is not valid utf-8"), session_scope(engine) as s:
        ingest_file(s, path=path, settings=settings, batch_size=100)
    with session_scope(engine) as s:
        assert s.exec(select(ImportBatch)).all() == [] and s.exec(select(Report)).all() == []
    assert _workers() == []


def test_failure_mid_file_stops_the_worker_and_leaves_nothing(engine, settings, tmp_path, in_worker):
    path = _file(tmp_path)

    def explode(summary):
        if summary.rows_stored:
            raise RuntimeError("killed mid-file")

    with pytest.raises(RuntimeError), session_scope(engine) as s:
        ingest_file(s, path=path, settings=settings, batch_size=300, on_batch=explode)
    assert _workers() == []
    with session_scope(engine) as s:
        assert s.exec(select(Report)).all() == [] and s.exec(select(ImportBatch)).all() == []
    with session_scope(engine) as s:
        again = ingest_file(s, path=path, settings=settings, batch_size=300)
    assert again.rows_stored == 1500


def test_a_worker_killed_mid_file_fails_the_import_and_leaves_nothing(engine, settings, tmp_path, in_worker):
    import signal

    path = _file(tmp_path, n=3000)

    calls = []

    def kill_worker(summary):
        calls.append(summary.rows_stored)
        if len(calls) == 2:  # the first batch is the importer's own; the second came from the worker
            for pid in _workers():
                os.kill(int(pid), signal.SIGKILL)

    with (
        pytest.raises(CounterflowError, match=r"stopped \(exit code -9\) before the end"),
        session_scope(engine) as s,
    ):
        ingest_file(s, path=path, settings=settings, batch_size=100, on_batch=kill_worker)
    with session_scope(engine) as s:
        assert s.exec(select(Report)).all() == [] and s.exec(select(ImportBatch)).all() == []


def test_a_worker_that_cannot_start_leaves_the_work_to_the_importer(
    engine, settings, tmp_path, in_worker, monkeypatch, caplog
):
    path = _file(tmp_path, n=300)
    # an interpreter that exits at once with nothing written, as a worker that cannot start
    monkeypatch.setattr(sys, "executable", shutil.which("false"))
    with caplog.at_level("WARNING", logger="intel.ingest.prepare"), session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings, batch_size=100)
    assert (summary.rows_read, summary.rows_stored, summary.rows_rejected) == (302, 300, 2)
    assert "no second process to prepare big.csv" in caplog.text


# --- the incident rule, written out inline in Deduper.assign, is ``_same`` -----------------

_types_st = st.sampled_from(["", "sexual", "forced_labour", "sexual|begging"])
_summary_st = st.sampled_from(
    [None, "", "girls taken to Tripoli", "girls taken to Sabha by car", "boys in mines"]
)


@hsettings(max_examples=300, deadline=None)
@given(
    d1=st.integers(0, 20), d2=st.integers(0, 20),
    dlat=st.floats(0, 0.06), dlon=st.floats(0, 0.06),
    t1=_types_st, t2=_types_st, s1=st.sampled_from(["news:A", "news:B"]), s2=st.sampled_from(["news:A", "news:B"]),
    m1=_summary_st, m2=_summary_st,
)  # fmt: skip
def test_assign_follows_the_incident_rule(d1, d2, dlat, dlon, t1, t2, s1, s2, m1, m2):
    lat, lon = 6.33, 5.62
    rows = pd.DataFrame(
        {
            "lat": [lat, lat + dlat], "lon": [lon, lon + dlon], "is_aggregate": [False, False],
            "observed_on": pd.to_datetime([dt.date(2023, 1, 1) + dt.timedelta(days=d) for d in (d1, d2)]),
            "exploitation": [t1, t2], "source_key": [s1, s2], "summary": [m1, m2],
        }
    )  # fmt: skip
    ded = Deduper(radius_km=5.0, window_days=14)
    out = ded.assign(rows, [True, True], pd.Series([1, 2]).to_numpy(dtype=object))
    a = (d1, lat, lon, _types(t1), s1, m1, 1)
    b = (d2, lat + dlat, lon + dlon, _types(t2), s2, m2, 2)
    cells = ded._cells(rows["lat"].to_numpy(), rows["lon"].to_numpy())
    expect = bool(cells[0] == cells[1]) and abs(d1 - d2) <= 14 and _same(a, b, 5.0)
    merged = out[0] is not None or out[1] is not None
    assert merged == expect
