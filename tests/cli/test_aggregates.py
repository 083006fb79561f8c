"""Aggregate sources through the command line: imported with their measure, every bad value
rejected with its reason, shown by `flows` and `histogram` one measure at a time, each source's
figure apart.

The hand-made files (``tests/intel/data/*handmade*.csv``, ``reports_movement.csv``), with the answers worked out by hand:

- UNODC: 120 victims detected in Italy who are Nigerian (2020); 40 persons convicted in Italy
  (2020); "<5" victims detected in Libya who are Nigerian (1 to 4). Rejected: 12,345,678
  victims in Nigeria and 9,000 in Malta (more than one person in a hundred there), "..", and an
  indicator ("Persons arrested") that is no measure.
- TIP report edges (2020): Nigeria -> Italy, Nigeria -> Libya (one mention each).
- Individual reports of one shelter: Benin City -> Italy twice, Nigeria -> Libya once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from intel.settings import Settings, get_settings

DATA = SAMPLES = Path(__file__).parents[1] / "intel" / "data"


@pytest.fixture
def store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


def _run(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> str:
    assert main(list(args)) == code, capsys.readouterr()
    got = capsys.readouterr()
    return got.out if code == 0 else got.err


def _rows(out: str, first: str) -> list[list[str]]:
    """The cells of the table lines that begin with ``first`` (a blank cell as ""), cut where the
    rule under the table's headers puts its columns; a line outside a table split on wide gaps."""
    import re

    lines = out.splitlines()
    found = []
    rule: list[tuple[int, int]] | None = None
    for line in lines:
        if line and set(line) <= {"-", " "}:
            rule = [m.span() for m in re.finditer(r"-+", line)]
            continue
        if not line.strip():
            rule = None
        if line.startswith(first):
            if rule:
                found.append([line[a : (rule[i + 1][0] if i + 1 < len(rule) else None)].strip()
                              for i, (a, _) in enumerate(rule)])  # fmt: skip
            else:
                found.append(re.split(r"\s{2,}", line.strip()))
    return found


def _aggregates(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "ingest", str(DATA / "unodc_handmade.csv"), "--spec", "unodc")
    assert "stored:                 3" in out and "rejected:               4" in out
    out = _run(capsys, "rejects")
    assert "12,345,678 is larger than 0.01 of the population of Nigeria" in out
    assert "9,000 is larger than 0.01 of the population of Malta" in out
    assert "figure '..' is not a count" in out
    assert "measure 'Persons arrested / Total' is not known" in out
    _run(capsys, "ingest", str(DATA / "tip_edges_handmade.csv"), "--spec", "tip_edges")


def test_aggregates_alone_are_shown_one_measure_at_a_time(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    _aggregates(capsys)
    # no individual report: the default measure says what the store does hold, victims first
    err = _run(capsys, "histogram", code=2)
    assert "the store holds no incidents (individual reports)" in err
    assert "victims_detected: victims detected (UNODC Global Report on Trafficking in Persons 2)" in err
    assert "run: counterflow histogram --measure victims_detected" in err
    err = _run(capsys, "hotspots", code=2)
    assert "only aggregate figures (victims detected, persons convicted, mentions" in err

    out = _run(capsys, "histogram", "--measure", "victims_detected")
    assert out.splitlines()[0] == (
        "counted: victims detected, 121-124 in 2 records from UNODC Global Report on Trafficking in Persons (un_report)"
    )
    assert _rows(out, "IT") == [["IT", "120", "#" * 40]] and _rows(out, "LY")[0][:2] == ["LY", "1-4"]
    assert "121-124 victims detected in 2 records" in out  # never 12,345,798: the garbled cell is not there
    assert "convicted: persons convicted (UNODC Global Report on Trafficking in Persons 1)" in out
    # offenders are their own measure: 40, never added to the victims
    out = _run(capsys, "histogram", "--measure", "persons convicted", "--by", "year")
    assert _rows(out, "2020")[0][:2] == ["2020", "40"] and "40 persons convicted in 1 records" in out
    err = _run(capsys, "histogram", "--measure", "victims_detected", "--by", "month", code=2)
    assert "victims detected are counted per country and year, not by month" in err

    out = _run(capsys, "flows", "--measure", "victims_detected")
    assert _rows(out, "NG") == [
        ["NG", "IT", "120", "1", "transregional"],
        ["NG", "LY", "1-4", "1", "intraregional"],
    ]
    assert "none: no record names a transit" in out and "chains through" not in out
    err = _run(capsys, "flows", "--measure", "convicted", code=2)
    assert "no record of persons convicted names both an origin and a destination" in err
    assert "run: counterflow flows --measure victims_detected" in err


def test_origins_of_a_destination_each_source_apart(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    _aggregates(capsys)
    _run(capsys, "ingest", str(DATA / "reports_movement.csv"))
    out = _run(capsys, "flows", "--from", "NIGERIA")
    assert "top destinations of the flows out of Nigeria (NG)" in out
    assert _rows(out, "IT Italy") == [["IT Italy", "120", "1", "2"]]
    assert _rows(out, "LY Libya") == [["LY Libya", "1-4", "1", "1"]]
    assert "[1] victims detected, from UNODC Global Report on Trafficking in Persons (un_report)" in out
    assert (
        "[2] mentions (an origin -> destination named in a report), from US State Department TIP report"
        in out
    )
    assert "[3] incidents (individual reports), from Shelter network (spreadsheet)" in out
    out = _run(capsys, "flows", "--to", "Italy")
    assert _rows(out, "NG Nigeria") == [["NG Nigeria", "120", "1", "2"]]
    assert "convicted" not in out  # offenders are no origin of victims
    out = _run(capsys, "flows", "--to", "ITA", "--measure", "mentions")
    assert _rows(out, "NG Nigeria") == [["NG Nigeria", "1"]]
    err = _run(capsys, "flows", "--to", "Atlantis", code=2)
    assert "country 'Atlantis' is not a known country name" in err
    # the default measure is incidents, and the aggregates are named beside them
    out = _run(capsys, "flows")
    assert (
        out.splitlines()[0]
        == "counted: incidents (individual reports): 3 records from Shelter network (spreadsheet)"
    )
    assert _rows(out, "Benin City") == [["Benin City", "IT", "2", "transregional"]]
    assert "victims_detected: victims detected (UNODC Global Report on Trafficking in Persons 2)" in out


def test_real_samples_of_unodc_and_tip_edges(store: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """The real samples: Romanian victims detected in the United Kingdom are 47 and 69 (two
    years, by citizenship) = 116; the "<5" Romanians repatriated are another measure; the TIP
    edges name Romania -> Albania (2003) and Romania -> Costa Rica once each."""
    out = _run(capsys, "ingest", str(SAMPLES / "unodc_glotip_sample.csv"), "--spec", "unodc")
    assert "stored:                 80" in out
    _run(capsys, "ingest", str(SAMPLES / "tip_report_edges_sample.csv"), "--spec", "tip_edges")
    out = _run(capsys, "flows", "--from", "Romania")
    assert _rows(out, "GB United Kingdom") == [["GB United Kingdom", "116", ""]]
    assert _rows(out, "AL Albania") == [["AL Albania", "", "1"]] and _rows(out, "CR Costa Rica") == [
        ["CR Costa Rica", "", "1"]
    ]
    out = _run(capsys, "histogram", "--measure", "victims_repatriated")
    # Romania "<5", Poland "<5", Slovakia 9, all detected in the United Kingdom
    assert _rows(out, "GB")[0][:2] == ["GB", "11-17"]
