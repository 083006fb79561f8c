"""A partner's sites, read from its CSV or XLSX file, checked row by row, kept apart from the store.

Columns (header names are matched without case or surrounding spaces): ``id`` (required),
where the site is: ``place`` (a town, "District, Town" or "Town, Country"), ``lat`` and ``lon``
(or ``latitude``/``longitude``), or ``country`` alone; what it makes: ``good`` or ``sector``.
A row that cannot be used is rejected with its line and the reason, never dropped in silence
and never a traceback. Nothing read here is written to the store: the rows live in memory for
one overlay and in the files the partner asks for.

A place is found in the packaged gazetteer (:meth:`intel.gazetteer.Gazetteer.resolve_place`),
with the row's country settling namesakes; a point without a country takes the country of the
nearest town of the gazetteer. A row placed only to its country has precision ``country``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd

from intel.countries import country_code, country_name
from intel.errors import CounterflowError, NotFound

T = TypeVar("T")

#: Header names accepted for each field.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "site_id", "site"),
    "place": ("place", "location", "town"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "country": ("country", "country_code"),
    "good": ("good", "product", "commodity"),
    "sector": ("sector",),
}
SITE_COLUMNS = ["id", "line", "lat", "lon", "country", "good", "sector", "precision", "place"]
#: The most rows one file may hold (the overlay keeps them in memory).
MAX_ROWS = 2_000_000


@dataclass
class SitesRead:
    """The usable sites (``SITE_COLUMNS``) and the rejected rows (line, id, reason)."""

    sites: pd.DataFrame
    rejects: list[tuple[int, str, str]] = field(default_factory=list)

    def rejects_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rejects, columns=["line", "id", "reason"])


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line, cells) of a CSV or XLSX file; line 1 is the header."""
    if not path.is_file():
        raise NotFound(
            f"file {str(path)!r} does not exist", "give the path of the partner's CSV or XLSX file"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise CounterflowError(
                f"{path.name} is not a readable XLSX workbook ({type(exc).__name__})",
                "save it again as .xlsx, or as CSV (UTF-8)",
            ) from exc
        sheet = book.worksheets[0]
        cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CounterflowError(
                f"{path.name} is not UTF-8 text (byte {exc.start} cannot be read)",
                "save it as CSV (UTF-8), or give the XLSX file",
            ) from exc
        try:
            cells = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise CounterflowError(
                f"{path.name} is not a readable CSV file ({exc})", "save it as CSV (UTF-8)"
            ) from exc
    if not cells:
        raise CounterflowError(f"{path.name} is empty", "give a file with a header row and one row per site")
    if len(cells) - 1 > MAX_ROWS:
        raise CounterflowError(
            f"{path.name} has {len(cells) - 1:,} rows; an overlay takes at most {MAX_ROWS:,}",
            "split the file",
        )
    return [h.strip().lower() for h in cells[0]], [(i + 2, r) for i, r in enumerate(cells[1:])]


def _columns(header: list[str], name: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, names in ALIASES.items():
        for n in names:
            if n in header:
                found[key] = header.index(n)
                break
    if "id" not in found:
        raise CounterflowError(
            f"{name} has no 'id' column (its columns: {', '.join(header)})", "add an id per site"
        )
    if not ({"place", "country"} & set(found) or {"lat", "lon"} <= set(found)):
        raise CounterflowError(
            f"{name} says nowhere where a site is (its columns: {', '.join(header)})",
            "add a 'place' column, 'lat' and 'lon' columns, or a 'country' column",
        )
    if ("lat" in found) != ("lon" in found):
        raise CounterflowError(f"{name} has only one of 'lat' and 'lon'", "give both, or neither")
    if not {"good", "sector"} & set(found):
        raise CounterflowError(
            f"{name} says nowhere what a site makes (its columns: {', '.join(header)})",
            "add a 'good' column (e.g. Cotton, Cocoa) or a 'sector' column",
        )
    return found


def _number(text: str, what: str, low: float, high: float) -> float:
    try:
        v = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not math.isfinite(v) or not low <= v <= high:
        raise ValueError(f"{what} {text!r} is outside {low:g}..{high:g}")
    return v


def read_records(
    path: Path,
    columns: Callable[[list[str], str], dict[str, int]],
    parse: Callable[[Callable[[str], str]], T],
) -> tuple[list[tuple[str, int, T]], list[tuple[int, str, str]]]:
    """Each row of a partner's file with something in it, as (id, line, ``parse``'s value):
    ``columns`` finds the file's columns from its header, ``parse`` reads one row through the
    cell getter it is given (the text of a named column, stripped). A row whose id is empty or
    repeats an earlier one, or whose ``parse`` raises ``ValueError``, is rejected with its line,
    id and reason; no row is dropped without one."""
    header, rows = _rows(path)
    cols = columns(header, path.name)
    seen: dict[str, int] = {}
    out: list[tuple[str, int, T]] = []
    rejects: list[tuple[int, str, str]] = []
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue  # a blank line is no record

        def cell(key: str, row: list[str] = row) -> str:
            i = cols.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        rid = cell("id")
        try:
            if not rid:
                raise ValueError("id is empty")
            if rid in seen:
                raise ValueError(f"id {rid!r} repeats line {seen[rid]}")
            value = parse(cell)
        except ValueError as exc:
            rejects.append((line, rid, str(exc)))
            continue
        seen[rid] = line
        out.append((rid, line, value))
    return out, rejects


def read_sites(path: Path) -> SitesRead:
    """The sites of a partner's file, and the rows it could not use with their reasons."""
    from intel.gazetteer import get_gazetteer

    gaz = None

    def site(cell: Callable[[str], str]) -> dict[str, object]:
        nonlocal gaz
        place, lat_t, lon_t, country_t = cell("place"), cell("lat"), cell("lon"), cell("country")
        good, sector = cell("good"), cell("sector")
        if not (good or sector):
            raise ValueError("neither a good nor a sector is given")
        code = None
        if country_t:
            try:
                code = country_code(country_t)
            except CounterflowError as exc:
                raise ValueError(f"{exc.problem} ({exc.fix})") from None
        lat = lon = math.nan
        precision = "country"
        if lat_t or lon_t:
            if not (lat_t and lon_t):
                raise ValueError("give both lat and lon, or neither")
            lat, lon = _number(lat_t, "lat", -90, 90), _number(lon_t, "lon", -180, 180)
            precision = "point"
            if code is None:
                gaz = gaz or get_gazetteer()
                code = gaz.nearest(lat, lon).country
        elif place:
            gaz = gaz or get_gazetteer()
            try:
                match = gaz.resolve_place(place, hint_country=code, warn=False)
            except CounterflowError as exc:
                raise ValueError(f"{exc.problem} ({exc.fix})") from None
            if code is not None and match.place.country != code:
                raise ValueError(
                    f"place {place!r} is {match.describe()}, not in {country_name(code)} as the country column says"
                )
            lat, lon, code = match.place.lat, match.place.lon, match.place.country
            precision = match.precision
            place = match.describe()
        elif code is None:
            raise ValueError("no place, lat/lon or country is given")
        return {"lat": lat, "lon": lon, "country": code, "good": good, "sector": sector,
                "precision": precision, "place": place}  # fmt: skip

    read, rejects = read_records(path, _columns, site)
    out = [{"id": sid, "line": line, **fields} for sid, line, fields in read]
    sites = pd.DataFrame(out, columns=SITE_COLUMNS)
    sites["lat"] = sites["lat"].astype(float)
    sites["lon"] = sites["lon"].astype(float)
    return SitesRead(sites, rejects)
