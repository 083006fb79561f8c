"""One bad cell rejects one row, with its line and reason; a file that cannot be a table is
refused up front with a clear message, never with a traceback; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from intel.db import session_scope
from intel.errors import CounterflowError
from intel.ingest import ingest_file, list_rejects
from intel.models import Report

HEADER = "date,place,country,lat,lon,exploitation,source_kind,source,summary,victim_count\n"
GOOD = "2023-01-05,Benin City,NG,,,sexual,news,Vanguard,Girls recruited for Italy,3\n"


def _import(engine, settings, path: Path, **kw):
    with session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings, **kw)
    with session_scope(engine) as s:
        rejects = list_rejects(s, import_id=summary.import_id)
        reports = s.exec(select(Report)).all()
    return summary, dict(zip(rejects["line"], rejects["reason"], strict=True)), reports


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("9999-12-31,Benin City,NG,,,sexual,news,V,placeholder,3", ["'9999-12-31'", "in the future"]),
        ("0001-01-01,Benin City,NG,,,sexual,news,V,placeholder,3", ["'0001-01-01'", "before 1900-01-01"]),
        ("1899-12-31,Benin City,NG,,,sexual,news,V,too early,3", ["'1899-12-31'", "before 1900-01-01"]),
        ("2023-01-06,Benin City,NG,,,sexual,news,V,a\x00b,3", ["NUL byte"]),
        ("2023-01-06,,,0,0,sexual,news,V,null island,3", ["(0, 0)"]),
        ("2023-01-06,,,0.0,0.000,sexual,news,V,null island,3", ["(0, 0)"]),
    ],
)
def test_one_bad_cell_rejects_its_row_only(engine, settings, tmp_path, row, words):
    path = tmp_path / "reports.csv"
    path.write_text(HEADER + GOOD + row + "\n" + GOOD.replace("01-05", "02-07"), encoding="utf-8")
    summary, reasons, reports = _import(engine, settings, path)
    assert (summary.rows_read, summary.rows_stored, summary.rows_rejected) == (3, 2, 1)
    assert list(reasons) == [3]
    assert all(w in reasons[3] for w in words), reasons[3]
    assert sorted(str(r.observed_on) for r in reports) == ["2023-01-05", "2023-02-07"]


def test_a_count_beyond_the_store_rejects_its_row(engine, settings, tmp_path):
    # at sea, off Lampedusa: no country's population caps the count, the store's INTEGER does
    head = '"Reported Date","Total Dead and Missing","Location Coordinates","Cause of Death"\n'
    rows = (
        '"May 31, 2015","2","35.2, 12.9","Drowning"\n'
        '"June 01, 2015","2147483648","35.1, 12.8","Drowning"\n'
        '"June 02, 2015","<3000000000","35.1, 12.7","Drowning"\n'
        '"June 03, 2015","2147483647","35.0, 12.6","Drowning"\n'
    )
    path = tmp_path / "iom.csv"
    path.write_text(head + rows, encoding="utf-8")
    summary, reasons, reports = _import(engine, settings, path, spec="iom")
    assert "2,147,483,647" in reasons[3] and "'2147483648'" in reasons[3]
    assert "2,147,483,647" in reasons[4]
    assert sorted(r.victim_count for r in reports if r.victim_count) == [2, 2147483647]


def test_a_figure_beyond_the_store_rejects_its_row():
    from intel.ingest.mapping import _figure

    assert _figure("2147483647") == (2147483647, 2147483647, None)
    with pytest.raises(CounterflowError, match="2,147,483,647"):
        _figure("2147483648")
    with pytest.raises(CounterflowError, match="2,147,483,647"):
        _figure("<9999999999")


def test_a_file_too_wide_is_refused_before_its_rows(engine, settings, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "date,place,"
        + ",".join(f"c{i}" for i in range(1000))
        + "\n"
        + "2023-01-05,Agadez"
        + "," * 1000
        + "\n"
    )
    with (
        session_scope(engine) as s,
        pytest.raises(CounterflowError, match="1,002 columns; an import reads at most 1,000"),
    ):
        ingest_file(s, path=path, settings=settings)


def test_a_header_line_of_megabytes_is_refused(engine, settings, tmp_path):
    path = tmp_path / "long.csv"
    with open(path, "w") as fh:
        fh.write("date;" + "x" * (3 * 2**20) + "\n2023-01-05;y\n")
    with session_scope(engine) as s, pytest.raises(CounterflowError, match="header line longer than 1 MiB"):
        ingest_file(s, path=path, settings=settings)


def test_a_wide_row_is_a_reject_of_bounded_size(engine, settings, tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text(HEADER + GOOD + "2023-01-06" + ",x" * 200_000 + "\n", encoding="utf-8")
    summary, reasons, reports = _import(engine, settings, path)
    assert "200001 fields but the header has 10" in reasons[3] and len(reports) == 1
    with session_scope(engine) as s:
        raw = list_rejects(s, import_id=summary.import_id)["raw"].iloc[0]
    assert len(raw) <= 2000


def _json_reports(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


GOOD_RECORD = {"date": "2023-01-05", "place": "Benin City", "country": "NG", "exploitation": "sexual",
               "source_kind": "news", "source": "V"}  # fmt: skip


def test_random_bytes_json_is_refused_with_a_message(engine, settings, tmp_path):
    path = _json_reports(tmp_path, "reports.json", b"\xbd\xff\xfe\x80" + bytes(range(256)) * 16)
    with session_scope(engine) as s, pytest.raises(CounterflowError, match="is not valid utf-8(-sig)? text"):
        ingest_file(s, path=path, settings=settings)


def test_deeply_nested_json_is_refused_with_a_message(engine, settings, tmp_path):
    path = _json_reports(tmp_path, "reports.json", "[" * 100_000 + "]" * 100_000)
    with session_scope(engine) as s, pytest.raises(CounterflowError, match="nests deeper"):
        ingest_file(s, path=path, settings=settings)


def test_jsonl_bad_records_are_rejects(engine, settings, tmp_path):
    nested = {**GOOD_RECORD, "summary": json.loads("[" * 50 + "]" * 50)}
    lines = [
        json.dumps(GOOD_RECORD),
        "[" * 100_000 + "]" * 100_000,
        json.dumps(nested),
        json.dumps({**GOOD_RECORD, "summary": "a\u0000b"}),
        json.dumps({f"k{i}": i for i in range(1001)}),
        "\xff not json",
        json.dumps({**GOOD_RECORD, "date": "2023-02-07"}),
    ]
    path = _json_reports(tmp_path, "reports.jsonl", "\n".join(lines) + "\n")
    summary, reasons, reports = _import(engine, settings, path)
    assert (summary.rows_stored, summary.rows_rejected) == (2, 5)
    assert "nests deeper than 32" in reasons[2] and "nests deeper than 32" in reasons[3]
    assert "NUL byte" in reasons[4]
    assert "1,001 fields" in reasons[5]
    assert "not JSON" in reasons[6]


def test_random_bytes_text_is_no_report(engine, settings, tmp_path):
    import random

    from intel.textsources import ingest_text_file

    rnd = random.Random(13)
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(rnd.randrange(256) for _ in range(20_000)))
    with session_scope(engine) as s, pytest.raises(CounterflowError, match="is not text"):
        ingest_text_file(s, path=path, settings=settings)


def test_text_without_a_trafficking_term_is_a_reject(engine, settings, tmp_path):
    from intel.textsources import ingest_text_file

    path = tmp_path / "weather.txt"
    path.write_text("Sunny spells over Zurich\nZurich and Geneva, Switzerland, will see sun on 3 March 2024.")
    with session_scope(engine) as s:
        summary = ingest_text_file(s, path=path, settings=settings)
    with session_scope(engine) as s:
        rejects = list_rejects(s, import_id=summary.import_id)
        assert s.exec(select(Report)).all() == []
    assert (summary.rows_stored, summary.rows_rejected) == (0, 1)
    assert "no trafficking term" in rejects["reason"].iloc[0]
