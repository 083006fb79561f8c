"""Build ``countries.csv``, the one table of country names, codes and adjectives.

Sources, in this order:

* ISO 3166-1 from ``pycountry``: alpha-2, alpha-3 and numeric codes, short name, official name
  and common name of each of its 249 entries (countries and territories);
* former countries of ISO 3166-3 (``pycountry.historic_countries``) whose land is in one
  country today (Dahomey -> BJ, East Timor -> TL, ...); the others (Czechoslovakia, Yugoslavia,
  the USSR, ...) are refused by rows of the curated list that name their successors;
* the Unicode CLDR territory names in English, French, Spanish, Italian, Portuguese and Arabic
  (through ``babel``), with CLDR's exceptional codes mapped to the ISO country they belong to;
* ``countries_curated.csv``, kept by hand: UN M49 / UNODC and World Bank spellings, common and
  former names, Kosovo (XK), English and French demonyms, a few Italian and Arabic names, and
  the refusals (``ambiguous``: several countries answer to the name; ``none``: not a country).

Run it again after editing the curated list or upgrading pycountry or babel:

    python -m intel.data.build_countries

It fails, naming them, when two rows give one name two different codes; settle each such clash
in the curated list (an ``ambiguous`` row) or in ``CLDR_SKIP`` below.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "countries.csv"
CURATED = HERE / "countries_curated.csv"

#: ISO 3166-3 former countries (by their alpha-3) whose territory is in one country today.
HISTORIC = {
    "AFI": "DJ",  # French Afars and Issas
    "ATB": "AQ",  # British Antarctic Territory
    "BUR": "MM",  # Burma
    "BYS": "BY",  # Byelorussian SSR
    "CTE": "KI",  # Canton and Enderbury Islands
    "DDR": "DE",  # German Democratic Republic
    "DHY": "BJ",  # Dahomey
    "FXX": "FR",  # France, Metropolitan
    "HVO": "BF",  # Upper Volta
    "JTN": "UM",  # Johnston Island
    "MID": "UM",  # Midway Islands
    "NHB": "VU",  # New Hebrides
    "ATN": "AQ",  # Dronning Maud Land
    "PUS": "UM",  # US Miscellaneous Pacific Islands
    "PCZ": "PA",  # Panama Canal Zone
    "RHO": "ZW",  # Southern Rhodesia
    "SKM": "IN",  # Sikkim
    "TMP": "TL",  # East Timor
    "VDR": "VN",  # Viet-Nam, Democratic Republic of
    "WAK": "UM",  # Wake Island
    "YMD": "YE",  # Yemen, Democratic
    "ZAR": "CD",  # Zaire, Republic of ("Zaire" alone is refused: also a province of Angola)
}
#: CLDR's exceptional codes -> the ISO country they are part of.
CLDR_CODES = {"IC": "ES", "EA": "ES", "AC": "SH", "TA": "SH", "DG": "IO"}
CLDR_LOCALES = ("en", "fr", "es", "it", "pt", "ar")
#: CLDR names left out (by matching key, in any locale): other-language names of a country that are,
#: accents aside, also the name of a town of 20,000 people or more elsewhere (French "Salvador" is
#: El Salvador, and Salvador, Brazil; Spanish and Portuguese "Granada" is Grenada).
CLDR_SKIP = {"salvador", "granada", "guadalupe", "santalucia", "sanmartin", "santaelena", "franca",
             "saomartinho"}  # fmt: skip


def iso_rows() -> list[tuple[str, str, str, str]]:
    import pycountry

    rows: list[tuple[str, str, str, str]] = []
    for c in pycountry.countries:
        code = str(c.alpha_2)
        rows += [(code, "alpha2", code, ""), (code, "alpha3", str(c.alpha_3), "")]
        if getattr(c, "numeric", None):
            rows.append((code, "numeric", str(c.numeric), ""))
        rows.append((code, "iso_name", str(c.name), ""))
        for attr, kind in (("official_name", "iso_official"), ("common_name", "iso_common")):
            if getattr(c, attr, None):
                rows.append((code, kind, str(getattr(c, attr)), ""))
    for h in pycountry.historic_countries:
        now = HISTORIC.get(str(h.alpha_3))
        if now:
            rows.append((now, "historic", str(h.name), f"former country (withdrawn {h.withdrawal_date})"))
    return rows


def cldr_rows(known: set[str]) -> list[tuple[str, str, str, str]]:
    from babel import Locale

    from intel.countries import key

    rows: list[tuple[str, str, str, str]] = []
    for loc in CLDR_LOCALES:
        for code, name in Locale(loc).territories.items():
            iso = CLDR_CODES.get(code, code)
            if iso in known and key(name) not in CLDR_SKIP:
                rows.append((iso, f"cldr_{loc}", name, ""))
    return rows


def curated_rows() -> list[tuple[str, str, str, str]]:
    with CURATED.open(encoding="utf-8", newline="") as fh:
        return [(r["code"], r["kind"], r["name"], r["note"]) for r in csv.DictReader(fh)]


def build() -> list[tuple[str, str, str, str]]:
    from intel.countries import build_index

    iso = iso_rows()
    known = {code for code, kind, _, _ in iso if kind == "alpha2"} | {"XK"}
    rows = iso + cldr_rows(known) + curated_rows()
    seen: set[tuple[str, str, str]] = set()
    out = []
    for code, kind, name, note in rows:
        if (code, kind, name) not in seen:
            seen.add((code, kind, name))
            out.append((code, kind, name, note))
    build_index([{"code": c, "kind": k, "name": n, "note": t} for c, k, n, t in out])  # raises on a clash
    return out


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "kind", "name", "note"])
        w.writerows(rows)
    print(f"{OUT}: {len(rows)} rows")  # noqa: T201


if __name__ == "__main__":
    main()
