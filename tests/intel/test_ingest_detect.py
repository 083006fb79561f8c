"""Which import spec fits a file: each sample file gets the spec written for it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from flows import steps
from intel.db import session_scope
from intel.errors import CounterflowError
from intel.ingest.detect import detect_spec
from intel.settings import Settings

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        ("ctdc_k_anon_sample.csv", "ctdc"),  # ;-separated, 0/1 flag columns
        ("iom_missing_migrants_sample.csv", "iom"),
        ("unodc_glotip_sample.csv", "unodc"),
        ("unodc_handmade.csv", "unodc"),
        ("tip_report_edges_sample.csv", "tip_edges"),
        ("reports_movement.csv", "reports"),
    ],
)
def test_each_sample_gets_its_spec(name: str, spec: str) -> None:
    assert detect_spec(DATA / name) == spec


def test_an_article_a_feed_and_other_formats(tmp_path: Path) -> None:
    for suffix in (".html", ".txt", ".xml", ".rss"):
        (tmp_path / f"a{suffix}").write_text("<p>x</p>", encoding="utf-8")
        assert detect_spec(tmp_path / f"a{suffix}") == "reports"
    frame = pd.read_csv(DATA / "iom_missing_migrants_sample.csv", dtype=str).head(5)
    frame.to_excel(tmp_path / "iom.xlsx", index=False)
    frame.to_json(tmp_path / "iom.json", orient="records")
    assert detect_spec(tmp_path / "iom.xlsx") == "iom" and detect_spec(tmp_path / "iom.json") == "iom"


def test_a_file_no_spec_fits_names_its_columns() -> None:
    with pytest.raises(CounterflowError, match=r"no import spec fits country_spellings.csv .*'spelling'"):
        detect_spec(DATA / "country_spellings.csv")


def test_the_ingest_step_imports_with_the_spec_it_detects(
    sqlite_settings: Settings, sqlite_engine: Engine
) -> None:
    with session_scope(sqlite_engine) as s:
        out = steps.ingest(
            s, path=DATA / "iom_missing_migrants_sample.csv", settings=sqlite_settings, spec="auto"
        )
        given = steps.ingest(s, path=DATA / "unodc_handmade.csv", settings=sqlite_settings, spec="unodc")
    assert (out["spec"], out["detected_spec"], out["rows_read"]) == ("iom", "iom", 60)
    assert given["detected_spec"] is None
