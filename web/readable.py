"""Stored values as words for the pages: a hotspot's reasons, an audit event's detail, paging.

Nothing on a page is a Python repr or a JSON blob: a dict becomes "key: value" pairs with the
keys as words, a hotspot's reasons a short sentence an analyst reads aloud.

>>> reasons_text({"count": 26, "victims": 79, "weight": 6.338, "z": 3.28, "p": 0.00105, "bin": 2,
...     "exploitation": {"sexual": 15, "forced_labour": 9}, "source_kinds": {"news": 9, "ngo_report": 6},
...     "first_seen": "2019-03-24", "last_seen": "2026-10-27", "extent_km": 26.1})
'26 reports (79 victims), weight 6.3; hot spot at 95 % (z 3.28, p 0.001); sexual 15, forced labour 9; sources: news 9, NGO report 6; seen 2019-03-24 to 2026-10-27; covers 26 km'
>>> detail_text({"author": "amara", "status": "approved", "moved": [3, 4], "note": None})
'author: amara · status: approved · moved: 3, 4'
>>> Page.of(list(range(60)), page=3, per_page=25).rows, Page.of([], page=1, per_page=25).pages
([50, 51, 52, 53, 54, 55, 56, 57, 58, 59], 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from intel.errors import CounterflowError

T = TypeVar("T")

#: Words for the codes that appear in reasons and details.
WORDS = {
    "ngo_report": "NGO report",
    "un_report": "UN report",
    "law_enforcement": "law enforcement",
    "app_tip": "app tip",
    "campaign_tip": "campaign tip",
}
CONFIDENCE = {3: "hot spot at 99 %", 2: "hot spot at 95 %", 1: "hot spot at 90 %"}


def word(code: object) -> str:
    """A stored code as words: ``forced_labour`` -> ``forced labour``, ``ngo_report`` -> ``NGO report``."""
    text = str(code)
    return WORDS.get(text, text.replace("_", " "))


def _counts(values: Any, top: int = 3) -> str:
    if not isinstance(values, dict):
        return ""
    items = sorted(values.items(), key=lambda kv: -kv[1] if isinstance(kv[1], int | float) else 0)[:top]
    return ", ".join(f"{word(k)} {v}" for k, v in items)


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return ", ".join(f"{word(k)} {_value(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


def detail_text(detail: Any) -> str:
    """A stored detail (a dict, a list or a value) as "key: value" pairs joined by " · "."""
    if not isinstance(detail, dict):
        return _value(detail)
    return " · ".join(f"{word(k)}: {_value(v)}" for k, v in detail.items() if _value(v) != "")


def reasons_text(reasons: Any) -> str:
    """Why a cell is where it is in the ranking, as a sentence (see the module's example)."""
    if not isinstance(reasons, dict) or not reasons:
        return ""
    parts: list[str] = []
    if reasons.get("count") is not None:
        n = reasons["count"]
        head = f"{n} report{'' if n == 1 else 's'}"
        if reasons.get("victims"):
            head += f" ({reasons['victims']} victims)"
        if reasons.get("weight") is not None:
            head += f", weight {float(reasons['weight']):.1f}"
        parts.append(head)
    b = reasons.get("bin")
    if isinstance(b, int) and b > 0:
        stats = (
            f" (z {float(reasons['z']):.2f}, p {float(reasons['p']):.2g})"
            if "z" in reasons and "p" in reasons
            else ""
        )
        parts.append(CONFIDENCE.get(b, "hot spot") + stats)
    elif b is not None:
        by = "its forecast" if reasons.get("method") == "forecast" else "its weight"
        parts.append(f"not significant after the FDR correction: listed for {by}")
    if reasons.get("forecast") is not None:
        iv = reasons.get("interval") or []
        around = f" (80 %: {iv[0]} to {iv[1]})" if len(iv) == 2 else ""
        parts.append(f"forecast {float(reasons['forecast']):.1f} reports next period{around}")
    if isinstance(reasons.get("top_exploitation"), str):
        parts.append(word(reasons["top_exploitation"]))
    for key, label in (("exploitation", ""), ("places", "places: "), ("source_kinds", "sources: ")):
        text = _counts(reasons.get(key))
        if text and not (key == "places" and len(reasons.get(key) or {}) < 2):
            parts.append(label + text)
    if reasons.get("first_seen") and reasons.get("last_seen"):
        parts.append(f"seen {reasons['first_seen']} to {reasons['last_seen']}")
    if reasons.get("extent_km") is not None:
        parts.append(f"covers {float(reasons['extent_km']):.0f} km")
    return "; ".join(parts)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list shown top first: its rows, its number, the number of pages and the total."""

    rows: Sequence[T]
    page: int
    pages: int
    total: int
    per_page: int

    @classmethod
    def of(cls, items: Sequence[T], *, page: int, per_page: int) -> Page[T]:
        if page < 1:
            raise CounterflowError(f"page was {page}", "use page 1 or more")
        pages = max(1, -(-len(items) // per_page))
        if page > pages:
            raise CounterflowError(
                f"page was {page}, and there {'is' if pages == 1 else 'are'} {pages}",
                f"use a page between 1 and {pages}",
                status=404,
            )
        start = (page - 1) * per_page
        return cls(items[start : start + per_page], page, pages, len(items), per_page)

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row (0 when the list is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)
