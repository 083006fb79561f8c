"""A partner's transactions, read from its CSV or XLSX file, checked row by row, kept apart from the store.

Columns (header names are matched without case or surrounding spaces): ``id``, ``date``
(ISO ``YYYY-MM-DD``, a time after it is ignored), ``amount`` (a number, 0 or more),
``currency`` (an ISO 4217 code), and for each end, sender and receiver, a ``place`` (a town,
"District, Town" or "Town, Country") and/or a ``country``: ``sender_place``,
``sender_country``, ``receiver_place``, ``receiver_country``. A row that cannot be used is
rejected with its line and the reason, never dropped in silence and never a traceback.

Places are found in the packaged gazetteer exactly as partner sites are
(:meth:`intel.gazetteer.Gazetteer.resolve_place`, the row's country settling namesakes): an
ambiguous name is refused with its candidates, never guessed. An end given only by its country
has precision ``country`` and no point. Each distinct wording is resolved once, so a file of a
million transactions between a few hundred places costs a few hundred look-ups.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from intel.gazetteer import Gazetteer

from intel.countries import country_code, country_name
from intel.errors import CounterflowError
from intel.partner_sites import _number, read_records

#: Header names accepted for each field.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "transaction_id", "txn_id", "reference"),
    "date": ("date", "value_date", "booking_date"),
    "amount": ("amount", "value"),
    "currency": ("currency", "ccy"),
    "sender_place": ("sender_place", "sender_town", "sender_city", "from_place"),
    "sender_country": ("sender_country", "from_country"),
    "receiver_place": ("receiver_place", "receiver_town", "receiver_city", "to_place"),
    "receiver_country": ("receiver_country", "to_country"),
}
END_COLUMNS = ["lat", "lon", "country", "precision", "place"]
TRANSACTION_COLUMNS = [
    "id", "line", "date", "amount", "currency",
    *(f"sender_{c}" for c in END_COLUMNS), *(f"receiver_{c}" for c in END_COLUMNS),
]  # fmt: skip


@dataclass
class TransactionsRead:
    """The usable transactions (``TRANSACTION_COLUMNS``) and the rejected rows (line, id, reason)."""

    transactions: pd.DataFrame
    rejects: list[tuple[int, str, str]] = field(default_factory=list)

    def rejects_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rejects, columns=["line", "id", "reason"])


def _columns(header: list[str], name: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, names in ALIASES.items():
        for n in names:
            if n in header:
                found[key] = header.index(n)
                break
    missing = [k for k in ("id", "date", "amount", "currency") if k not in found]
    if missing:
        raise CounterflowError(
            f"{name} has no column {', '.join(repr(m) for m in missing)} (its columns: {', '.join(header)})",
            "a transactions file needs id, date, amount and currency columns",
        )
    for end in ("sender", "receiver"):
        if not {f"{end}_place", f"{end}_country"} & set(found):
            raise CounterflowError(
                f"{name} says nowhere where the {end} is (its columns: {', '.join(header)})",
                f"add a '{end}_place' or a '{end}_country' column",
            )
    return found


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"date {text!r} is not a date written YYYY-MM-DD") from None


def _currency(text: str) -> str:
    from babel.numbers import is_currency

    code = text.strip().upper()
    if not is_currency(code):
        raise ValueError(f"currency {text!r} is not an ISO 4217 code (e.g. EUR, USD, NGN)")
    return code


class _Ends:
    """Resolves one end's (place, country) wording once, however many rows repeat it."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[float, float, str, str, str] | str] = {}
        self._gaz: Gazetteer | None = None

    def __call__(self, place: str, country: str, end: str) -> tuple[float, float, str, str, str]:
        key = (place, country)
        if key not in self._known:
            try:
                self._known[key] = self._resolve(place, country)
            except ValueError as exc:
                self._known[key] = str(exc)
        got = self._known[key]
        if isinstance(got, str):
            raise ValueError(f"{end}: {got}")
        return got

    def _resolve(self, place: str, country: str) -> tuple[float, float, str, str, str]:
        from intel.gazetteer import get_gazetteer

        code = None
        if country:
            try:
                code = country_code(country)
            except CounterflowError as exc:
                raise ValueError(f"{exc.problem} ({exc.fix})") from None
        if not place:
            if code is None:
                raise ValueError("no place or country is given")
            return math.nan, math.nan, code, "country", ""
        self._gaz = self._gaz or get_gazetteer()
        try:
            match = self._gaz.resolve_place(place, hint_country=code, warn=False)
        except CounterflowError as exc:
            raise ValueError(f"{exc.problem} ({exc.fix})") from None
        if code is not None and match.place.country != code:
            raise ValueError(
                f"place {place!r} is {match.describe()}, not in {country_name(code)} as the country column says"
            )
        return match.place.lat, match.place.lon, match.place.country, match.precision, match.describe()


def read_transactions(path: Path) -> TransactionsRead:
    """The transactions of a partner's file, and the rows it could not use with their reasons."""
    ends = _Ends()

    def transaction(cell: Callable[[str], str]) -> tuple[object, ...]:
        day = _date(cell("date"))
        amount = _number(cell("amount"), "amount", 0, 1e15)
        currency = _currency(cell("currency"))
        sender = ends(cell("sender_place"), cell("sender_country"), "sender")
        receiver = ends(cell("receiver_place"), cell("receiver_country"), "receiver")
        return (day, amount, currency, *sender, *receiver)

    read, rejects = read_records(path, _columns, transaction)
    out = [(tid, line, *fields) for tid, line, fields in read]
    frame = pd.DataFrame(out, columns=TRANSACTION_COLUMNS)
    for c in ("amount", "sender_lat", "sender_lon", "receiver_lat", "receiver_lon"):
        frame[c] = frame[c].astype(float)
    return TransactionsRead(frame, rejects)
