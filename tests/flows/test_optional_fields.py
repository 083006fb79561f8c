"""Nothing optional is required: small files with any subset of the optional report columns go
through ingest -> hotspots -> plan -> evaluate -> histogram -> flows on the command line, and
every stage either works or says what is wrong (a ``CounterflowError``, exit code 2), never
another exception.

Each example is a fresh SQLite store; the cells are drawn from valid values, blanks and a few
wrong ones (an unknown place, a type that is no code), as real files hold them.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from intel.settings import Settings, get_settings

ROUTE = "Benin City > Agadez > Tripoli > Lampedusa > Rome"

#: The optional columns of the generic report format (README), with cells to draw from.
OPTIONAL: dict[str, list[str]] = {
    "place": ["Benin City", "Agadez", "Sabha, Libya", "Kano", "Zawiya", "Lagos", "", "Atlantisville"],
    "country": ["NG", "NE", "LY", "Nigeria", "", "Korea"],
    "exploitation": ["sexual", "forced_labour", "sexual|forced_labour", "", "begging", "juggling"],
    "recruitment": ["job_offer", "abduction", ""],
    "control": ["debt_bondage", "threats", ""],
    "transport": ["truck", "boat", ""],
    "source_kind": ["news", "ngo_report", "court", "", "gossip"],
    "source": ["Vanguard", "Shelter network", ""],
    "summary": ["", "girls moved north to Sabha", "forced labour on farms"],
    "language": ["en", "fr", ""],
    "victim_count": ["1", "3", "", "<5", "many"],
    "age_band": ["18-20", "0-17", ""],
    "gender": ["female", "male", ""],
    "role": ["incident", "origin", "destination", ""],
    "origin": ["Benin City", "NG", "Nigeria", "Kano", ""],
    "transit": ["Agadez", "Agadez|Sabha", "Niger", ""],
    "destination": ["Tripoli, Libya", "IT", "Italy", "Rome", ""],
    "reliability": ["A", "C", "F", ""],
    "credibility": ["1", "3", "6", ""],
}
#: lat, lon pairs (towns of the route, and one at sea) given with or instead of ``place``.
POINTS = [
    ("6.34", "5.62"),
    ("16.97", "7.99"),
    ("27.03", "14.43"),
    ("12.0", "8.52"),
    ("35.5", "12.6"),
    ("", ""),
]
LOCATION = ("place", "lat/lon", "both", "none")
MOVEMENT: tuple[tuple[str, ...], ...] = (
    (),
    ("origin",),
    ("destination",),
    ("transit",),
    ("origin", "destination"),
    ("origin", "transit", "destination"),
)


@st.composite
def report_files(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """A header (``date`` and a random subset of the optional columns) and 3-30 rows."""
    location = draw(st.sampled_from(LOCATION))
    # the movement columns drawn apart, so that every combination of them comes up in a few examples
    movement = draw(st.sampled_from(MOVEMENT))
    others = draw(st.lists(st.sampled_from([c for c in OPTIONAL if c not in ("place", *MOVEMENT[-1])]),
                           unique=True, max_size=8))  # fmt: skip
    header = ["date", *(["place"] if location in ("place", "both") else []), *movement, *others]
    header += ["lat", "lon"] if location in ("lat/lon", "both") else []
    n = draw(st.integers(min_value=3, max_value=30))
    start = dt.date(2019, 1, 1)
    rows = []
    for _ in range(n):
        day = start + dt.timedelta(days=draw(st.integers(min_value=0, max_value=5 * 365)))
        row = {"date": day.isoformat()}
        for c in header[1:]:
            if c not in ("lat", "lon"):
                row[c] = draw(st.sampled_from(OPTIONAL[c]))
        if "lat" in header:
            row["lat"], row["lon"] = draw(st.sampled_from(POINTS))
        rows.append([row[c] for c in header])
    return header, rows


def _stage(*args: str) -> int:
    """One command: 0 when it worked, 2 when it said what is wrong; anything else raises."""
    code = main(list(args))
    assert code in (0, 2), f"counterflow {' '.join(args)} exited {code}"
    return code


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(report_files())
def test_every_stage_works_or_says_why_on_any_optional_columns(
    sqlite_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    file: tuple[list[str], list[list[str]]],
) -> None:
    header, rows = file
    run = tmp_path / uuid.uuid4().hex[:8]
    run.mkdir()
    monkeypatch.setenv("COUNTERFLOW_HOME", str(run / "home"))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", f"sqlite:///{run / 'store.db'}")
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    path = run / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    try:
        if _stage("ingest", str(path)) != 0:
            return  # the file as a whole was refused (no location column): said, with its fix
        _stage("users", "add", "ana", "--role", "campaign_manager")
        starts = dt.date.today() + dt.timedelta(days=30)
        ran = _stage("hotspots", "--route", ROUTE, "--top", "4") == 0
        _stage("hotspots", "--unit", "place")
        if ran:
            _stage(
                "plan", "--route", ROUTE, "--name", "Safe journeys", "--author", "ana", "--ages", "18-35",
                "--genders", "women", "--languages", "local", "--budget", "5000", "--starts", starts.isoformat(),
                "--ends", (starts + dt.timedelta(days=30)).isoformat(), "--top", "4",
            )  # fmt: skip
        _stage("evaluate", "store")
        for by in ("country", "town", "type", "month", "year"):
            _stage("histogram", "--by", by)
        _stage("histogram", "--by", "town", "--heat", "type")
        _stage("histogram", "--measure", "victims", "--type", "sexual")
        _stage("flows")
        _stage("flows", "--measure", "victims")
        _stage("flows", "--to", "Italy")
        _stage("flows", "--from", "NG")
    finally:
        get_settings.cache_clear()
