"""The DoL 2022 list of goods, shipped as data and read through the exact country table."""

from __future__ import annotations

import csv
from importlib.resources import files

from intel.goods import goods, listed_goods, listing, unresolved_countries


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(files("intel.data").joinpath(name).open(encoding="utf-8")))


def test_every_country_of_the_list_resolves() -> None:
    assert unresolved_countries() == []


def test_the_list_is_the_published_one() -> None:
    rows = _rows("dol_goods_2022.csv")
    direct = [r for r in rows if r["produced_with_inputs"] == "0"]
    # the publisher's totals for 2022: 159 goods from 78 countries, and 10 goods listed for inputs
    assert len(rows) == 467 and len(direct) == 457
    assert len({r["good"] for r in direct}) == 159 and len({r["country"] for r in direct}) == 78
    assert {r["country"] for r in rows} <= {r["country"] for r in direct} | {"China", "Indonesia"}


def test_every_good_listed_for_inputs_names_an_input_on_the_list() -> None:
    inputs = _rows("dol_goods_inputs.csv")
    listed = {
        (r["country"], r["good"]) for r in _rows("dol_goods_2022.csv") if r["produced_with_inputs"] == "1"
    }
    assert {(r["country"], r["good"]) for r in inputs} == listed
    # the input's country is the list's own ``input_country``, and the input good is listed
    # there (directly, for forced or child labour); which of that country's goods is the input
    # the file does not say (the DR Congo has 7): that is the hand-kept part
    rows = _rows("dol_goods_2022.csv")
    said = {(r["country"], r["good"]): r["input_country"] for r in rows if r["produced_with_inputs"] == "1"}
    direct = {(r["country"], r["good"]) for r in rows if r["produced_with_inputs"] == "0"
              and "1" in (r["forced_labor"], r["child_labor"])}  # fmt: skip
    for r in inputs:
        assert r["input_country"] == said[(r["country"], r["good"])], r
        assert (r["input_country"], r["input_good"]) in direct, r
    for r in inputs:
        hit = listing("CN" if r["country"] == "China" else "ID", r["good"])
        assert hit is not None and hit.through is not None and (hit.forced_labor or hit.child_labor), r


def test_listings_as_published() -> None:
    cotton = listing("CN", "Cotton")
    assert cotton is not None and (cotton.forced_labor, cotton.child_labor) == (True, True)
    pk = listing("PK", "cotton")  # Pakistan's cotton: forced labour only
    assert pk is not None and (pk.forced_labor, pk.child_labor) == (True, False)
    assert pk.words == "Cotton from Pakistan is on the DoL 2022 list for forced labour"
    gh = listing("GH", "COCOA")  # Ghana's cocoa: child labour only
    assert gh is not None and (gh.forced_labor, gh.child_labor) == (False, True)
    assert listing("FR", "Wine") is None and listing("NG", "Textiles") is None


def test_a_good_listed_for_its_inputs_counts_through_the_input_country() -> None:
    batteries = listing("CN", "lithium-ion batteries")  # made with cobalt ore from the DR Congo
    assert (
        batteries is not None
        and batteries.through == "CD"
        and batteries.input_good == "Cobalt ore (heterogenite)"
    )
    assert (batteries.forced_labor, batteries.child_labor) == (False, True)
    modules = listing("CN", "Solar Modules")  # made with Chinese polysilicon: forced labour
    assert modules is not None and (modules.forced_labor, modules.child_labor) == (True, False)
    palm = listing("ID", "Refined Palm Oil")  # made with Indonesian palm fruit: both
    assert palm is not None and (palm.forced_labor, palm.child_labor) == (True, True)
    assert "for its input Palm Fruit from Indonesia" in palm.words


def test_a_bracket_is_optional() -> None:
    assert listing("CD", "cobalt ore") == listing("CD", "Cobalt ore (heterogenite)") is not None
    assert "Tilapia (fish)" in listed_goods("GH") and len(goods()) > 457
