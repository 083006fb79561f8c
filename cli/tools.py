"""Small helpers shared by the command modules: dates from options, plain-text tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from intel.errors import CounterflowError


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An option's ``YYYY-MM-DD`` value (``None`` stays ``None``), or an error naming the option.

    >>> parse_date("2027-01-10", "--starts")
    datetime.date(2027, 1, 10)
    >>> parse_date("10/01/2027", "--starts")
    Traceback (most recent call last):
    ...
    intel.errors.CounterflowError: --starts was '10/01/2027'; write the date as YYYY-MM-DD, e.g. 2027-01-10
    """
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CounterflowError(
            f"{option} was {value!r}", "write the date as YYYY-MM-DD, e.g. 2027-01-10"
        ) from None


def require_date(value: str, option: str) -> dt.date:
    """Like :func:`parse_date` for an option that must be given."""
    parsed = parse_date(value, option)
    assert parsed is not None
    return parsed


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows as an aligned plain-text table with a rule under the headers (``None`` is blank).

    >>> print(table(["place", "reports"], [["Agadez", 156], ["Sabha", None]]))
    place   reports
    ------  -------
    Agadez  156
    Sabha
    """
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
