"""The US Department of Labor's list of goods produced by child labour or forced labour (2022).

``intel/data/dol_goods_2022.csv`` is the list as published (see ``intel/data/README.md``: source
https://www.dol.gov/agencies/ilab/reports/child-labor/list-of-goods, 2022 edition); its countries
are read through the exact country table of :mod:`intel.countries` (a name the table refuses
stops the load, never drops a row). Ten goods are listed for their inputs, not for their own
production ("Lithium-Ion Batteries" from China, made with cobalt ore from the DR Congo): they
count through the input, whose good ``intel/data/dol_goods_inputs.csv`` names.

A good matches when its words equal the listed good's, or the listed good's without its bracket
("Cobalt ore" for "Cobalt ore (heterogenite)"), under :func:`intel.names.normalise`.

>>> hit = listing("CN", "cotton")
>>> hit.forced_labor, hit.child_labor, hit.words
(True, True, 'Cotton from China is on the DoL 2022 list for forced labour and child labour')
>>> via = listing("CN", "Lithium-ion batteries")
>>> via.child_labor, via.forced_labor, via.through
(True, False, 'CD')
>>> listing("FR", "wine") is None
True
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from intel.countries import country_code, country_name
from intel.errors import CounterflowError
from intel.names import normalise

#: The edition of the list shipped as data, as the output names it.
EDITION = "DoL 2022 list"
SOURCE_URL = "https://www.dol.gov/agencies/ilab/reports/child-labor/list-of-goods"
_BRACKET = re.compile(r"\s*\([^()]*\)\s*")


@dataclass(frozen=True)
class Listed:
    """One listed good of one country (ISO-2), with its flags as published."""

    country: str
    good: str
    sector: str
    child_labor: bool
    forced_labor: bool
    forced_child_labor: bool
    input_country: str | None = None  # for a good listed for its inputs
    input_good: str | None = None


@dataclass(frozen=True)
class Listing:
    """Whether a country's good is listed, for what, and through which input."""

    country: str
    good: str  # the listed good's own name
    child_labor: bool
    forced_labor: bool
    through: str | None = None  # the input's country (ISO-2), for a good listed for its inputs
    input_good: str | None = None

    @property
    def words(self) -> str:
        kinds = " and ".join(
            k for k, on in (("forced labour", self.forced_labor), ("child labour", self.child_labor)) if on
        )
        head = f"{self.good} from {country_name(self.country)}"
        if self.through is not None:
            return (
                f"{head} is on the {EDITION} for its input {self.input_good} from "
                f"{country_name(self.through)}, listed for {kinds or 'no labour kind'}"
            )
        return f"{head} is on the {EDITION} for {kinds}"


def _read(name: str) -> list[dict[str, str]]:
    text = files("intel.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def unresolved_countries() -> list[str]:
    """Every country name of the shipped list (and of its inputs) the country table cannot
    resolve exactly, with its reason; empty when the list loads."""
    bad = []
    rows = _read("dol_goods_2022.csv") + _read("dol_goods_inputs.csv")
    names = {r["country"] for r in rows} | {r["input_country"] for r in rows if r.get("input_country")}
    for name in sorted(names):
        try:
            country_code(name)
        except CounterflowError as exc:
            bad.append(f"{name}: {exc.problem}")
    return bad


def good_keys(good: str) -> tuple[str, ...]:
    """The keys a listed good answers to: its words, and its words without the bracket."""
    whole = normalise(good)
    short = normalise(_BRACKET.sub(" ", good))
    return (whole,) if short == whole or not short else (whole, short)


@lru_cache(maxsize=1)
def goods() -> dict[tuple[str, str], Listed]:
    """(ISO-2, good key) -> the listed good; built once per process."""
    inputs = {
        (country_code(r["country"]), normalise(r["good"])): (
            country_code(r["input_country"]),
            r["input_good"],
        )
        for r in _read("dol_goods_inputs.csv")
    }
    out: dict[tuple[str, str], Listed] = {}
    for r in _read("dol_goods_2022.csv"):
        code = country_code(r["country"])
        via: tuple[str | None, str | None] = (None, None)
        if r["produced_with_inputs"] == "1":
            found = inputs.get((code, normalise(r["good"])))
            if found is None:
                raise CounterflowError(
                    f"{r['good']} from {r['country']} is listed for its inputs, but "
                    "dol_goods_inputs.csv does not name the input good",
                    "add the row to intel/data/dol_goods_inputs.csv",
                )
            via = found
        item = Listed(
            country=code,
            good=r["good"],
            sector=r["sector"],
            child_labor=r["child_labor"] == "1",
            forced_labor=r["forced_labor"] == "1",
            forced_child_labor=r["forced_child_labor"] == "1",
            input_country=via[0],
            input_good=via[1],
        )
        for k in good_keys(r["good"]):
            out.setdefault((code, k), item)
    return out


def listing(country: str, good: str) -> Listing | None:
    """The listing of ``good`` from ``country`` (ISO-2), or None when it is not on the list.

    A good listed for its inputs takes the flags of its input good in the input's country.
    """
    table = goods()
    item = table.get((country, normalise(good)))
    if item is None:
        return None
    if item.input_country is None:
        return Listing(item.country, item.good, item.child_labor, item.forced_labor)
    assert item.input_good is not None
    source = table.get((item.input_country, normalise(item.input_good)))
    if source is None:
        raise CounterflowError(
            f"{item.good} from {country_name(item.country)} is listed for its input "
            f"{item.input_good} from {country_name(item.input_country)}, which is not on the list",
            "correct intel/data/dol_goods_inputs.csv",
        )
    return Listing(
        item.country,
        item.good,
        source.child_labor,
        source.forced_labor,
        through=item.input_country,
        input_good=item.input_good,
    )


def listed_goods(country: str) -> list[str]:
    """The goods listed for ``country`` (ISO-2), sorted."""
    return sorted({v.good for (c, _), v in goods().items() if c == country})
