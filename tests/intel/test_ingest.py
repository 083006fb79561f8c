"""Ingest: the generic CSV and the three real formats, rejects, re-ingest, incidents, rollback."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import select

from intel.db import session_scope
from intel.errors import CounterflowError
from intel.ingest import add_reports, ingest_file, ingest_frame, list_rejects
from intel.models import ImportBatch, Reject, Report, Source
from intel.store import load_reports

DATA = Path(__file__).parent / "data"

GOOD = """date,place,country,lat,lon,exploitation,source_kind,source,summary,victim_count
2023-01-05,Benin City,NG,,,sexual,news,Vanguard,Girls recruited for Italy,3
2023-01-09,Agadez,,,,forced_labour|sexual,ngo_report,Pathfinders,,
2023-02-01,,,31.6,-7.9,forced_labour,news,Le360,,
"""
BAD = """2023-02-01,Tripoli,,,,sexual,news,X,,
31/02/2023,Sabha,LY,,,sexual,news,X,,
2023-02-01,Nowhereville,,,,sexual,news,X,,
2023-02-01,Sebha,LY,,,sexx,news,X,,
2023-02-01,Sabha,LY,,,sexual,blog,X,,
2023-02-01,,,95,10,sexual,news,X,,
2023-02-01,Sabha,LY,,,sexual,news,X,,many
2023-02-01,Sabha,LY,,,sexual
"""


def _write(tmp_path: Path, text: str, name: str = "reports.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_generic_csv_stores_rejects_and_summarises(engine, settings, tmp_path):
    path = _write(tmp_path, GOOD + BAD)
    with session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings)
    assert (summary.rows_read, summary.rows_stored, summary.rows_rejected) == (11, 3, 8)
    assert summary.rejects_path is not None and summary.rejects_path.parent == settings.home / "rejects"
    with open(summary.rejects_path, encoding="utf-8") as fh:
        file_rows = list(csv.DictReader(fh))
    with session_scope(engine) as s:
        rejects = list_rejects(s, import_id=summary.import_id)
        reports = s.exec(select(Report).order_by(Report.id)).all()
        sources = {src.name: src for src in s.exec(select(Source)).all()}
    assert len(file_rows) == len(rejects) == 8
    reasons = dict(zip(rejects["line"], rejects["reason"], strict=True))
    # each reason names the bad value and says what to do
    assert "'Tripoli' is ambiguous" in reasons[5] and "Tripoli, Libya" in reasons[5]
    assert "'31/02/2023'" in reasons[6] and "YYYY-MM-DD" in reasons[6]
    assert "'Nowhereville' is not in the gazetteer" in reasons[7]
    assert "'sexx'" in reasons[8] and "forced_labour" in reasons[8]
    assert "'blog'" in reasons[9] and "ngo_report" in reasons[9]
    assert "'95'" in reasons[10] and "between -90 and 90" in reasons[10]
    assert "'many'" in reasons[11]
    assert "6 fields but the header has 10" in reasons[12]
    assert rejects.set_index("line").loc[5, "raw"] == "2023-02-01,Tripoli,,,,sexual,news,X,,"
    benin, agadez, point = reports
    assert (benin.place, benin.country, benin.admin1, benin.victim_count) == (
        "Benin City",
        "NG",
        "Edo State",
        3,
    )
    assert benin.reliability == "C" and benin.credibility == 3  # news defaults
    assert agadez.exploitation == "forced_labour|sexual" and agadez.reliability == "B"
    assert agadez.source_id == sources["Pathfinders"].id and sources["Pathfinders"].kind == "ngo_report"
    assert point.country == "MA" and point.place  # reverse-geocoded
    assert point.observed_on == dt.date(2023, 2, 1)


def test_reingest_adds_nothing_and_copies_are_skipped(engine, settings, tmp_path):
    path = _write(tmp_path, GOOD)
    with session_scope(engine) as s:
        first = ingest_file(s, path=path, settings=settings)
    with session_scope(engine) as s:
        again = ingest_file(s, path=path, settings=settings)
    assert first.rows_stored == 3 and again.already_imported and again.import_id == first.import_id
    # the same rows in another file (another sha256): every row is an exact copy
    copy = _write(tmp_path, GOOD + "\n", "copy.csv")
    with session_scope(engine) as s:
        third = ingest_file(s, path=copy, settings=settings)
        n = len(s.exec(select(Report)).all())
    assert (third.rows_stored, third.rows_skipped, n) == (0, 3, 3)


def test_identical_rows_in_one_file_are_distinct_reports(engine, settings, tmp_path):
    row = "2023-01-05,Benin City,NG,,,sexual,news,Vanguard,,\n"
    path = _write(tmp_path, GOOD.splitlines()[0] + "\n" + row * 3)
    with session_scope(engine) as s:
        assert ingest_file(s, path=path, settings=settings).rows_stored == 3
    with session_scope(engine) as s:
        assert (
            ingest_file(
                s, path=_write(tmp_path, GOOD.splitlines()[0] + "\n" + row * 4, "more.csv"), settings=settings
            ).rows_stored
            == 1
        )


def test_corroborating_reports_become_one_incident(engine, settings, tmp_path):
    header = "date,place,country,exploitation,source_kind,source,summary\n"
    first = _write(
        tmp_path,
        header + "2023-03-01,Sabha,LY,sexual,news,Libya Observer,women held in a house in Sabha\n",
        "a.csv",
    )
    second = _write(
        tmp_path,
        header
        + "2023-03-08,Sabha,LY,sexual,ngo_report,Alarm Phone,women held in a house near Sabha market\n"
        + "2023-03-09,Sabha,LY,forced_labour,ngo_report,Alarm Phone,\n"  # other type: another incident
        + "2023-05-01,Sabha,LY,sexual,law_enforcement,Police,\n"  # outside the window
        + "2023-03-02,Agadez,NE,sexual,law_enforcement,Police,\n",  # another place
        "b.csv",
    )
    with session_scope(engine) as s:
        ingest_file(s, path=first, settings=settings)
    with session_scope(engine) as s:
        summary = ingest_file(s, path=second, settings=settings)
    assert summary.rows_stored == 4 and summary.rows_duplicate == 1
    with session_scope(engine) as s:
        incidents = load_reports(s)
        everything = load_reports(s, include_duplicates=True)
        anchor = s.exec(select(Report).where(Report.summary == "women held in a house in Sabha")).one()
        dup = s.exec(select(Report).where(Report.duplicate_of.is_not(None))).one()  # type: ignore[union-attr]
    assert dup.duplicate_of == anchor.id
    assert len(incidents) == 4 and len(everything) == 5
    assert incidents.set_index("id").loc[anchor.id, "corroboration"] == 2


def test_incidents_within_one_file_and_same_source_not_merged(engine, settings, tmp_path):
    header = "date,place,country,exploitation,source_kind,source\n"
    path = _write(
        tmp_path,
        header
        + "2023-03-01,Agadez,NE,sexual,news,RFI\n"
        + "2023-03-02,Agadez,NE,sexual,news,RFI\n"  # same source: two incidents
        + "2023-03-03,Agadez,NE,,ngo_report,IOM\n",  # no type given: corroborates the first
    )
    with session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings)
        rows = s.exec(select(Report).order_by(Report.id)).all()
    assert summary.rows_duplicate == 1
    assert [r.duplicate_of for r in rows] == [None, None, rows[0].id]


def test_ctdc_sample_imports_unmodified(engine, settings):
    with session_scope(engine) as s:
        summary = ingest_file(s, path=DATA / "ctdc_k_anon_sample.csv", spec="ctdc", settings=settings)
        reports = s.exec(select(Report)).all()
        source = s.exec(select(Source)).one()
    assert (summary.rows_read, summary.rows_stored, summary.rows_rejected) == (64, 64, 0)
    assert source.kind == "ngo_report" and "CTDC" in source.name
    by_line = {r.line: r for r in reports}
    first = by_line[2]  # ;2002;Case Management;Female;18--20;Adult;;;CO;... isSexualExploit=1
    assert (first.observed_on, first.origin, first.gender, first.age_band) == (
        dt.date(2002, 1, 1),
        "CO",
        "female",
        "18-20",
    )
    assert "sexual" in first.exploitation.split("|") and first.date_precision == "year"
    # CTDC places a case only by its country of exploitation, when it gives one (not this one)
    assert first.country is None and first.place_precision == "unspecified"
    assert {(r.country is None, r.place_precision) for r in reports} == {(True, "unspecified"), (False, "country")}
    assert first.extra["datasource"] == "Case Management"
    assert first.lat is None and not first.is_aggregate
    assert any("debt_bondage" in r.control.split("|") for r in reports)
    assert {r.country for r in reports} >= {"LB", "US", None}
    assert all(r.duplicate_of is None for r in reports)


def test_unodc_sample_keeps_aggregates(engine, settings):
    with session_scope(engine) as s:
        summary = ingest_file(s, path=DATA / "unodc_glotip_sample.csv", spec="unodc", settings=settings)
        reports = s.exec(select(Report)).all()
        frame_default = load_reports(s)
        frame_all = load_reports(s, include_aggregates=True)
    assert (summary.rows_read, summary.rows_stored, summary.rows_rejected) == (80, 80, 0)
    assert all(r.is_aggregate for r in reports) and len(frame_default) == 0 and len(frame_all) == 80
    small = [r for r in reports if r.extra.get("figure_text") == "<5"]
    assert small and all((r.figure, r.figure_high) == (1, 4) for r in small)
    big = [r for r in reports if r.figure == 3857]
    assert len(big) == 1 and big[0].figure_high == 3857  # "3,857"
    # each row's indicator is its measure; no aggregate names individual victims
    measures = Counter(r.measure for r in reports)
    assert measures == {"victims_detected": 57, "victims_repatriated": 3, "suspected": 4, "prosecuted": 1,
                        "convicted": 11, "offences": 4}  # fmt: skip
    assert all(r.victim_count == 0 for r in reports)
    unknown_sex = next(r for r in reports if r.line == 18)  # THA 2018, Sex and Age "Unknown": not a total
    assert (unknown_sex.gender, unknown_sex.age_band, unknown_sex.measure) == (
        "unknown",
        "unknown",
        "victims_detected",
    )
    flow = next(r for r in reports if r.extra.get("category") == "Cambodian")
    assert (flow.origin, flow.destination, flow.country) == ("KH", "TH", "TH")
    assert next(r for r in reports if r.extra.get("category") == "Filippino").origin == "PH"
    by_form = [r for r in reports if r.extra.get("dimension") == "by form of exploitation"]
    assert by_form and all(r.exploitation in ("sexual", "forced_labour", "other") for r in by_form)


def test_iom_sample_geolocated_with_quality(engine, settings):
    with session_scope(engine) as s:
        summary = ingest_file(s, path=DATA / "iom_missing_migrants_sample.csv", spec="iom", settings=settings)
        reports = {r.extra["web_id"]: r for r in s.exec(select(Report)).all()}
    assert (summary.rows_read, summary.rows_stored, summary.rows_rejected) == (60, 60, 0)
    r = reports["40490"]  # "27.533862300000, -99.553539400000", quality 3, November 28, 2015
    assert (r.lat, r.lon, r.observed_on, r.credibility) == (27.5338623, -99.5535394, dt.date(2015, 11, 28), 3)
    assert r.country == "MX" and r.victim_count == 2 and "Drowning" in r.summary
    assert reports["45785"].credibility == 1  # source quality 5: official records


def test_tip_edges_sample(engine, settings):
    with session_scope(engine) as s:
        summary = ingest_file(
            s, path=DATA / "tip_report_edges_sample.csv", spec="tip_edges", settings=settings
        )
        first = s.exec(select(Report).where(Report.line == 2)).one()
    assert summary.rows_stored == 60 and summary.rows_rejected == 0
    assert (first.origin, first.destination, first.country, first.is_aggregate) == ("UA", "AL", "AL", True)
    assert (first.measure, first.figure, first.figure_high, first.victim_count) == ("mentions", 1, 1, 0)


def test_failure_mid_file_leaves_nothing_and_rerun_imports_once(engine, settings, tmp_path):
    rows = "".join(f"2023-01-{1 + i % 28:02d},Benin City,NG,,,sexual,news,S{i},,\n" for i in range(50))
    path = _write(tmp_path, GOOD.splitlines()[0] + "\n" + rows + "bad,Sabha,LY,,,sexual,news,X,,\n")
    calls = []

    def explode(summary):
        calls.append(summary.rows_stored)
        if len(calls) == 2:
            raise RuntimeError("killed mid-file")

    with pytest.raises(RuntimeError), session_scope(engine) as s:
        ingest_file(s, path=path, settings=settings, batch_size=20, on_batch=explode)
    assert calls == [20, 40]  # two batches were written before the crash
    with session_scope(engine) as s:
        assert s.exec(select(Report)).all() == []
        assert s.exec(select(ImportBatch)).all() == []
        assert s.exec(select(Reject)).all() == []
    assert not list((settings.home / "rejects").glob("*")) if (settings.home / "rejects").exists() else True
    with session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings, batch_size=20)
    with session_scope(engine) as s:
        again = ingest_file(s, path=path, settings=settings)
        n = len(s.exec(select(Report)).all())
    assert (summary.rows_stored, summary.rows_rejected, n) == (50, 1, 50) and again.already_imported


def test_xlsx_json_jsonl(engine, settings, tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(GOOD), dtype=str, keep_default_na=False)
    frame.to_excel(tmp_path / "r.xlsx", index=False)
    (tmp_path / "r.json").write_text(json.dumps({"reports": frame.to_dict("records")}))
    lines = [json.dumps(r) for r in frame.to_dict("records")] + ["{not json"]
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n")
    with session_scope(engine) as s:
        x = ingest_file(s, path=tmp_path / "r.xlsx", settings=settings)
        j = ingest_file(s, path=tmp_path / "r.json", settings=settings)
        jl = ingest_file(s, path=tmp_path / "r.jsonl", settings=settings)
        rej = list_rejects(s, import_id=jl.import_id)
    assert x.rows_stored == 3 and (j.rows_stored, j.rows_skipped) == (0, 3)
    assert jl.rows_rejected == 1 and rej["line"].tolist() == [4] and "not JSON" in rej["reason"].iloc[0]


def test_ingest_frame_and_bad_files(engine, settings, tmp_path):
    frame = pd.DataFrame(
        {"date": [dt.date(2022, 5, 1)], "place": ["Lampedusa"], "exploitation": [["sexual", "forced_labour"]]}
    )
    with session_scope(engine) as s:
        summary = ingest_frame(
            s, frame=frame, file_name="frame", source_kind="court", source_name="Tribunale di Agrigento"
        )
        report = s.exec(select(Report)).one()
    assert (
        summary.rows_stored == 1
        and report.exploitation == "sexual|forced_labour"
        and report.reliability == "A"
    )
    with pytest.raises(CounterflowError, match="'date'") as err, session_scope(engine) as s:
        ingest_file(s, path=_write(tmp_path, "when,place\n2023-01-01,Agadez\n"), settings=settings)
    assert "rename the column" in err.value.fix
    with pytest.raises(CounterflowError, match="looks like a 'iom' file"), session_scope(engine) as s:
        ingest_file(s, path=DATA / "iom_missing_migrants_sample.csv", settings=settings)
    with pytest.raises(CounterflowError, match="does not exist"), session_scope(engine) as s:
        ingest_file(s, path=tmp_path / "missing.csv", settings=settings)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("date,place\n2023-01-01,Agad\xe8s\n".encode("latin-1"))
    with pytest.raises(CounterflowError, match="not valid utf-8") as err, session_scope(engine) as s:
        ingest_file(s, path=latin, settings=settings)
    assert "latin-1" in err.value.fix


def test_add_reports_applies_fingerprint_and_incidents(engine, settings):
    tip = {"observed_on": dt.date(2024, 4, 2), "place": "Agadez", "country": "NE", "exploitation": "sexual",
           "summary": "actionable tip", "extra": {"tip_id": 7}}  # fmt: skip
    with session_scope(engine) as s:
        base = add_reports(
            s, rows=[{**tip, "summary": None}], source_kind="news", source_name="RFI", settings=settings
        )
        ids = add_reports(s, rows=[tip], source_kind="campaign_tip", source_name="tips", settings=settings)
        again = add_reports(s, rows=[tip], source_kind="campaign_tip", source_name="tips", settings=settings)
        report = s.get(Report, ids[0])
        assert report is not None
        assert report.duplicate_of == base[0] and report.extra["tip_id"] == 7 and report.reliability == "E"
    assert again == ids
    with pytest.raises(CounterflowError, match="Nowhereville"), session_scope(engine) as s:
        add_reports(
            s,
            rows=[{**tip, "place": "Nowhereville"}],
            source_kind="app_tip",
            source_name="app",
            settings=settings,
        )


def test_simulated_rows_are_labelled(engine, settings, tmp_path):
    path = _write(
        tmp_path,
        "date,place,country,exploitation,source_kind,simulated\n"
        "2023-01-05,Agadez,NE,sexual,news,true\n2023-01-06,Agadez,NE,sexual,news,\n2023-01-07,Agadez,NE,sexual,news,maybe\n",
    )
    with session_scope(engine) as s:
        summary = ingest_file(s, path=path, settings=settings)
        flags = [r.simulated for r in s.exec(select(Report).order_by(Report.id)).all()]
        reason = list_rejects(s)["reason"].iloc[0]
    assert flags == [True, False] and summary.rows_rejected == 1 and "'maybe' is not true or false" in reason
    generated = _write(tmp_path, "date,place,country\n2023-02-01,Sabha,LY\n", "demo.csv")
    with session_scope(engine) as s:
        ingest_file(s, path=generated, settings=settings, simulated=True)
        assert s.exec(select(Report).where(Report.place == "Sabha")).one().simulated


def test_incident_links_hold_when_the_store_has_gaps(engine, settings, tmp_path):
    """Ids given at insert (SQLite: after the largest; PostgreSQL: from the sequence) point at the
    right report."""
    header = "date,place,country,exploitation,source_kind,source\n"
    with session_scope(engine) as s:
        ingest_file(
            s,
            path=_write(tmp_path, header + "2020-01-01,Kano,NG,sexual,news,A\n" * 3, "old.csv"),
            settings=settings,
        )
        for r in s.exec(select(Report)).all():
            s.delete(r)
    later = _write(
        tmp_path,
        header + "2023-03-09,Agadez,NE,sexual,ngo_report,IOM\n2023-03-01,Agadez,NE,sexual,news,RFI\n",
        "new.csv",
    )
    with session_scope(engine) as s:
        ingest_file(s, path=later, settings=settings)
        first, second = s.exec(select(Report).order_by(Report.line)).all()
    # the earlier-dated report (second line) is the incident; the first line corroborates it
    assert second.duplicate_of is None and first.duplicate_of == second.id


def test_many_corroborations_link_to_their_incidents(engine, settings, tmp_path):
    """Several incidents, each corroborated by reports of other sources: every link set as the rows
    go in (ids given before the insert on both engines), no report updated afterwards."""
    header = "date,place,country,exploitation,source_kind,source\n"
    lines = [
        "2023-03-01,Agadez,NE,sexual,news,RFI",  # incident A
        "2023-03-02,Agadez,NE,sexual,ngo_report,IOM",  # corroborates A
        "2023-03-01,Kano,NG,forced_labour,news,RFI",  # incident B
        "2023-03-03,Agadez,NE,sexual,law_enforcement,Police",  # corroborates A
        "2023-03-02,Kano,NG,forced_labour,court,Kano High Court",  # corroborates B
        "2023-03-01,Sabha,LY,begging,news,RFI",  # incident C, alone
    ]
    with session_scope(engine) as s:
        summary = ingest_file(s, path=_write(tmp_path, header + "\n".join(lines) + "\n"), settings=settings)
        rows = s.exec(select(Report).order_by(Report.line)).all()
        if s.connection().dialect.name == "postgresql":  # this transaction's own row counts
            updated = s.connection().exec_driver_sql(
                "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'report'"
            )
            assert updated.scalar() == 0
    assert summary.rows_stored == 6 and summary.rows_duplicate == 3
    a, a1, b, a2, b1, c = rows
    assert [r.duplicate_of for r in rows] == [None, a.id, None, a.id, b.id, None]
