"""Country names, codes and adjectives: exact or refused, never another country.

``data/country_spellings.csv`` pins real spellings (ISO 3166, UN M49 / UNODC, World Bank, common
and former names, French, Italian and Arabic names, demonyms, and every distinct country string
of the real samples) to the ISO code they mean; ``data/country_refusals.csv`` pins names that
must be refused, with the candidates the refusal must name.
"""

from __future__ import annotations

import csv
import pickle
from collections.abc import Iterator
from pathlib import Path

import pycountry
import pytest

from intel.countries import (
    AmbiguousCountry,
    UnknownCountry,
    build_index,
    country_code,
    country_from_text,
    country_name,
    country_named,
    index,
)
from intel.errors import CounterflowError

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"


def _read(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


SPELLINGS = _read(DATA / "country_spellings.csv")
PINNED = {r["spelling"]: r["code"] for r in SPELLINGS}
REFUSALS = _read(DATA / "country_refusals.csv")
REFUSED = {r["spelling"] for r in REFUSALS}


def test_the_pinned_table_is_large_and_covers_issue_11():
    assert len(PINNED) == len(SPELLINGS) >= 300
    issue = {"Republic of Korea": "KR", "Curacao": "CW", "Kosovo": "XK", "Turkey": "TR",
             "Democratic Republic Of The Congo": "CD", "Swaziland": "SZ", "Cape Verde": "CV",
             "Venezuela (Bolivarian Republic of)": "VE"}  # fmt: skip
    assert {k: PINNED[k] for k in issue} == issue


@pytest.mark.parametrize(("spelling", "code"), [(r["spelling"], r["code"]) for r in SPELLINGS])
def test_pinned_spelling_resolves_to_its_code(spelling, code):
    assert country_code(spelling) == code
    assert country_from_text(spelling) == code


@pytest.mark.parametrize("row", REFUSALS, ids=[r["spelling"] for r in REFUSALS])
def test_refused_names_are_never_guessed(row):
    expected = {"ambiguous": AmbiguousCountry, "unknown": UnknownCountry, "none": UnknownCountry}
    with pytest.raises(expected[row["refusal"]]) as err:
        country_code(row["spelling"])
    codes = row["candidates"].split()
    for code in codes:
        assert f"({code})" in str(err.value), str(err.value)
    if row["refusal"] == "ambiguous":
        assert set(codes) <= set(err.value.candidates)
    elif row["refusal"] == "unknown":
        assert not codes or codes[0] == err.value.candidates[0][1]  # the nearest first
    else:
        assert "not a country" in str(err.value) or "continent" in str(err.value)
    assert country_from_text(row["spelling"]) is None
    assert country_named(row["spelling"]) is None


@pytest.mark.parametrize(
    ("name", "code", "not_"),
    [("Guinea", "GN", {"GW", "GQ", "PG"}), ("Sudan", "SD", {"SS"}), ("Niger", "NE", {"NG"}),
     ("Dominica", "DM", {"DO"}), ("Samoa", "WS", {"AS"}), ("Ireland", "IE", {"GB"}),
     ("Nigerien", "NE", {"NG"}), ("Nigerian", "NG", {"NE"}), ("Sudanese", "SD", {"SS"})],
)  # fmt: skip
def test_a_short_name_is_its_own_country_not_a_longer_namesake(name, code, not_):
    assert country_code(name) == code not in not_
    assert country_code(name.upper()) == code  # NIGER is Niger, not NG


def test_near_misses_name_the_nearest_with_codes():
    with pytest.raises(UnknownCountry) as err:
        country_code("Turky")
    assert err.value.candidates[0] == ("Turkey", "TR")
    assert "'Turkey' (TR)" in err.value.fix
    with pytest.raises(UnknownCountry, match=r"'Bosnia and Herzegovina' \(BA\)"):
        country_code("Bosnia and Herzegovi")  # a truncated cell of the IOM export


def test_errors_survive_a_worker_process():
    for value in ("Congo", "Turky"):
        with pytest.raises(CounterflowError) as err:
            country_code(value)
        back = pickle.loads(pickle.dumps(err.value))
        assert type(back) is type(err.value) and str(back) == str(err.value)


def test_normalisation_not_fuzziness():
    same = ["Congo, Democratic Republic of the", "Congo, Democratic Republic Of The", "congo (democratic republic)",
            "DEMOCRATIC REPUBLIC OF THE CONGO", "Democratic Republic of Congo", "République démocratique du Congo"]  # fmt: skip
    assert {country_code(v) for v in same} == {"CD"}
    assert (
        country_code("  Côte  d’Ivoire ")
        == country_code("COTE D'IVOIRE")
        == country_code("Cote dIvoire")
        == "CI"
    )
    assert country_code("St Kitts & Nevis") == country_code("Saint Kitts and Nevis") == "KN"
    with pytest.raises(UnknownCountry):
        country_code("Côte")  # a part of a name is not the name


def test_country_named_takes_names_only():
    assert (
        country_named("Nigeria") == "NG" and country_named("Libye") == "LY" and country_named("ليبيا") == "LY"
    )
    assert country_named("Nigerian") is None  # an adjective, not a mention of the country
    assert country_named("NG") is None and country_named("ARE") is None  # codes are not words of a text
    assert country_named("Congo") is None
    assert country_code("ARE") == "AE"


def test_country_name_is_everyday_english():
    assert [country_name(c) for c in ("KR", "TR", "XK", "CD", "ZZ")] == [
        "South Korea", "Türkiye", "Kosovo", "Congo, The Democratic Republic of the", "ZZ"
    ]  # fmt: skip


def test_the_packaged_table_is_consistent_and_up_to_date():
    rows = _read(Path(__file__).parents[2] / "intel" / "data" / "countries.csv")
    curated = _read(Path(__file__).parents[2] / "intel" / "data" / "countries_curated.csv")
    have = {(r["code"], r["kind"], r["name"]) for r in rows}
    missing = [r for r in curated if (r["code"], r["kind"], r["name"]) not in have]
    assert not missing, "run `python -m intel.data.build_countries` after editing countries_curated.csv"
    iso = {str(c.alpha_2) for c in pycountry.countries} | {"XK"}
    for r in rows:
        assert set(filter(None, r["code"].split("|"))) <= iso, r
    assert {r["code"] for r in rows if r["kind"] == "alpha2"} == iso
    assert len(index()) > 2500  # distinct matching keys


def test_a_table_that_gives_one_name_two_codes_is_refused():
    rows = [{"code": "NE", "kind": "alt", "name": "Niger", "note": ""},
            {"code": "NG", "kind": "alt", "name": "NIGER", "note": ""}]  # fmt: skip
    with pytest.raises(ValueError, match="'NIGER' -> NG but 'Niger' -> NE"):
        build_index(rows)
    amb = [*rows, {"code": "NE|NG", "kind": "ambiguous", "name": "niger", "note": "write which"}]
    assert build_index(amb)["niger"].codes == ("NE", "NG")


# --- the real files: every country string they carry resolves as pinned or is refused -------------


def _iom_tails(rows: list[dict[str, str]]) -> Iterator[str]:
    # the export has no country column: the country, when there is one, ends the free-text place
    for r in rows:
        yield r["Location Description"].rsplit(",", 1)[-1].strip()


def _strings(name: str, folder: Path) -> set[str]:
    path = folder / name
    if name.startswith("ctdc"):
        rows = _read(path, ";")
        got = [r[c] for r in rows for c in ("citizenship", "CountryOfExploitation")]
    elif name.startswith("unodc"):
        rows = _read(path)
        got = [r["Country"] for r in rows] + [r["Iso3_code"] for r in rows]
        got += [
            r["Category"] for r in rows if r["Dimension"] in ("by citizenship", "by country of repatriation")
        ]
    elif name.startswith("tip"):
        got = [r[c] for r in _read(path) for c in ("origin", "destination")]
    elif name.startswith("dol"):
        got = [r[c] for r in _read(path) for c in ("country", "input_country")]
    else:
        got = list(_iom_tails(_read(path)))
    return {s.strip() for s in got if s.strip()}


#: Two-letter tails of IOM places that are ISO codes of another country: "Calexico, CA" is in
#: California, and "CA" as a code is Canada. A code column gets the code; free text is not one.
IOM_NOT_CODES = {"CA"}


def _check_file(name: str, folder: Path) -> None:
    strings = _strings(name, folder)
    assert strings
    wrong = []
    for s in sorted(strings):
        if s in PINNED:
            if country_code(s) != PINNED[s]:
                wrong.append(f"{s!r}: {country_code(s)} instead of {PINNED[s]}")
        elif name.startswith("iom") and s in IOM_NOT_CODES:
            assert country_named(s) is None
        elif name.startswith("iom") or s in REFUSED:
            with pytest.raises(CounterflowError):
                country_code(s)  # free text that is not a country name: refused, with a reason
        else:
            wrong.append(f"{s!r} is neither pinned nor a pinned refusal")
    assert not wrong, wrong


IN_REPO = ["ctdc_k_anon_sample.csv", "unodc_glotip_sample.csv", "tip_report_edges_sample.csv",
           "iom_missing_migrants_sample.csv"]  # fmt: skip


@pytest.mark.parametrize("name", IN_REPO)
def test_country_strings_of_the_samples_in_the_repository(name):
    _check_file(name, DATA)


@pytest.mark.parametrize("name", [*IN_REPO, "dol_goods_list.csv", "iom_missing_migrants_dev.csv"])
def test_country_strings_of_the_shared_real_files(name):
    if not (SHARED / name).is_file():
        pytest.skip(f"{SHARED / name} is absent (the shared data folder sits beside a developer's clone)")
    _check_file(name, SHARED)


def test_the_ingest_mapping_reads_countries_exactly_and_explains_refusals():
    import pandas as pd

    from intel.ingest.mapping import apply_spec
    from intel.specs import load_spec

    countries = ["Turkey", "Republic of Korea", "Curacao", "Kosovo", "Congo", "Turky", "Unknown"]
    frame = pd.DataFrame({"date": "2020-01-01", "place": "", "country": countries,
                          "origin": ["Nigerian", "Congo", "Venezuela (Bolivarian Republic of)", "Rome", "", "", ""]})  # fmt: skip
    got = apply_spec(frame.astype(str), load_spec("reports"))
    assert got.values["country"].tolist()[:4] == ["TR", "KR", "CW", "XK"]
    assert got.values["origin"].tolist()[:4] == ["NG", "Congo", "VE", "Rome"]  # Congo and Rome stay text
    assert list(got.reasons[:4]) == [None] * 4
    assert "'Congo' is ambiguous" in got.reasons[4] and "(CD)" in got.reasons[4] and "(CG)" in got.reasons[4]
    assert "'Turkey' (TR)" in got.reasons[5]
    assert "not a country" in got.reasons[6]
