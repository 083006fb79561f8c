"""A partner's file of sites: usable rows placed, every other row rejected with its line and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from intel.errors import CounterflowError
from intel.partner_sites import read_sites

GOOD_AND_BAD = """\
id,place,lat,lon,country,good,sector
farm-1,Benin City,,,,Cocoa,
farm-2,,6.30,5.60,,Gold,
farm-3,,,,Côte d'Ivoire,Coffee,
farm-4,Tripoli,,,LY,,Construction
farm-5,Atlantisville,,,,Cocoa,
farm-6,,95,5.6,NG,Cocoa,
farm-7,,,,Narnia,Cocoa,
farm-8,Benin City,,,,,
farm-1,Agadez,,,,Cotton,
,Agadez,,,,Cotton,
farm-9,Benin City,,,Ghana,Cocoa,
farm-10,,,,,Cocoa,
farm-11,,6.3,,NG,Cocoa,

farm-12,Tripoli,,,,Cocoa,
"""


def test_usable_rows_are_placed_and_the_rest_rejected_with_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(GOOD_AND_BAD, encoding="utf-8")
    read = read_sites(path)
    sites = read.sites.set_index("id")
    assert list(sites.index) == ["farm-1", "farm-2", "farm-3", "farm-4"]
    assert sites.loc["farm-1", ["country", "precision", "line"]].tolist() == ["NG", "town", 2]
    assert sites.loc["farm-1", "lat"] == pytest.approx(6.338, abs=0.001)  # the gazetteer's Benin City
    assert sites.loc["farm-2", ["country", "precision"]].tolist() == ["NG", "point"]  # nearest town's country
    assert sites.loc["farm-3", ["country", "precision"]].tolist() == ["CI", "country"]
    assert sites.loc["farm-4", ["country", "sector", "good"]].tolist() == [
        "LY",
        "Construction",
        "",
    ]  # country settles it
    rejects = {line: (sid, reason) for line, sid, reason in read.rejects}
    assert sorted(rejects) == [6, 7, 8, 9, 10, 11, 12, 13, 14, 16]  # line 15 is blank: no site
    assert rejects[6][0] == "farm-5" and "'Atlantisville' is not in the gazetteer" in rejects[6][1]
    assert "lat '95' is outside -90..90" in rejects[7][1]
    assert "'Narnia' is not a known country" in rejects[8][1]
    assert rejects[9][1] == "neither a good nor a sector is given"
    assert rejects[10][1] == "id 'farm-1' repeats line 2"
    assert rejects[11] == ("", "id is empty")
    assert "not in Ghana as the country column says" in rejects[12][1]
    assert rejects[13][1] == "no place, lat/lon or country is given"
    assert rejects[14][1] == "give both lat and lon, or neither"
    assert "'Tripoli' is ambiguous" in rejects[16][1]
    assert list(read.rejects_frame().columns) == ["line", "id", "reason"]


def test_an_xlsx_file_reads_like_a_csv(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID", "Latitude", "Longitude", "Good"])
    sheet.append(["a", 6.3, 5.6, "Cocoa"])
    sheet.append(["b", "north", 5.6, "Cocoa"])
    book.save(tmp_path / "sites.xlsx")
    read = read_sites(tmp_path / "sites.xlsx")
    assert read.sites["id"].tolist() == ["a"] and read.rejects == [(3, "b", "lat 'north' is not a number")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("place,good\nBenin City,Cocoa\n", "has no 'id' column"),
        ("id,good\n1,Cocoa\n", "says nowhere where a site is"),
        ("id,place\n1,Benin City\n", "says nowhere what a site makes"),
        ("id,lat,good\n1,6.3,Cocoa\n", "says nowhere where a site is"),
        ("", "is empty"),
    ],
)
def test_a_file_without_the_columns_is_refused_as_a_whole(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CounterflowError, match=message):
        read_sites(path)


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes(b"id,place,good\n1,\xff\xfe,Cocoa\n")
    with pytest.raises(CounterflowError, match="is not UTF-8 text"):
        read_sites(path)
    with pytest.raises(CounterflowError, match="does not exist"):
        read_sites(tmp_path / "missing.csv")
