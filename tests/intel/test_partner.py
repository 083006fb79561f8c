"""Partner exports: counts per region and week, small cells suppressed, HXL tags, no detail."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from intel.db import session_scope
from intel.errors import CounterflowError
from intel.ingest import ingest_file
from intel.partner import REPORT_HXL, hxl_csv, reports_for_partners


def _reports(tmp_path: Path) -> Path:
    rows = ["date,place,country,lat,lon,exploitation,source_kind,source,summary"]
    # 12 in Benin City and 3 in Kano in the week of 9 January 2023 (2023-W02); 11 in Agadez the
    # week after; 2 at a point near Agadez, in W03 too; one simulated row is never exported
    rows += [f"2023-01-{9 + i % 5:02d},Benin City,NG,,,sexual,news,Wire,Benin {i}" for i in range(12)]
    rows += [f"2023-01-{9 + i:02d},Kano,NG,,,sexual|forced_labour,news,Wire,Kano {i}" for i in range(3)]
    rows += [f"2023-01-{16 + i % 5:02d},Agadez,NE,,,forced_labour,news,Wire,Agadez {i}" for i in range(11)]
    rows += [f"2023-01-17,,,16.97{i},7.99,forced_labour,news,Wire,Point {i}" for i in range(2)]
    path = tmp_path / "reports.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_reports_export_is_k_anonymised_and_coarse(engine, settings, tmp_path):
    with session_scope(engine) as s:
        summary = ingest_file(s, path=_reports(tmp_path), settings=settings, dedup=False)
    assert summary.rows_stored == 28
    with session_scope(engine) as s:
        frame = reports_for_partners(s)
    got = [tuple(r) for r in frame.itertuples(index=False, name=None)]
    assert got == [
        ("NE", "Agadez", "2023-W03", "forced_labour", "13"),
        ("NG", "Edo State", "2023-W02", "sexual", "12"),
        ("NG", "Kano State", "2023-W02", "sexual", "<11"),
    ]
    text = hxl_csv(frame, REPORT_HXL)
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["country", "admin1", "week", "exploitation", "incidents"]
    assert lines[1] == [
        "#country+code",
        "#adm1+name",
        "#date+week",
        "#indicator+exploitation",
        "#affected+incidents",
    ]
    assert "Benin" not in text and "Point" not in text and "Wire" not in text and "16.97" not in text
    with session_scope(engine) as s:
        assert [r[-1] for r in reports_for_partners(s, k=3).itertuples(index=False, name=None)] == [
            "13",
            "12",
            "3",
        ]
        with pytest.raises(CounterflowError, match="k was 1"):
            reports_for_partners(s, k=1)
