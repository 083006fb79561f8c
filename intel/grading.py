"""Source reliability (Admiralty scale A-F) and information credibility (1-6).

Every report carries both. They default per source kind (a court judgment is usually
reliable and confirmed; an anonymous tip cannot be judged yet) and an analyst can change
them for one report with ``grade_report``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intel.errors import CommandHint, CounterflowError, NotFound

if TYPE_CHECKING:  # the store is imported where it is used: the import worker needs none of it
    from sqlmodel import Session

    from intel.models import Report

RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}

SOURCE_KINDS = (
    "news",
    "court",
    "ngo_report",
    "un_report",
    "gov_report",
    "law_enforcement",
    "spreadsheet",
    "app_tip",
    "campaign_tip",
)

#: Default (reliability, credibility) per source kind.
DEFAULTS: dict[str, tuple[str, int]] = {
    "court": ("A", 2),
    "law_enforcement": ("B", 2),
    "un_report": ("B", 2),
    "gov_report": ("B", 3),
    "ngo_report": ("B", 3),
    "news": ("C", 3),
    "spreadsheet": ("C", 3),
    "app_tip": ("E", 4),
    "campaign_tip": ("E", 4),
}
UNKNOWN_DEFAULT = ("F", 6)


def check_source_kind(kind: str) -> str:
    """The kind, lower-cased, or an error naming the valid kinds."""
    value = kind.strip().lower()
    if value not in SOURCE_KINDS:
        raise CounterflowError(f"source kind {kind!r} is not known", f"use one of {', '.join(SOURCE_KINDS)}")
    return value


def default_grades(kind: str | None) -> tuple[str, int]:
    """(reliability, credibility) for a source kind; ``("F", 6)`` when unknown."""
    return DEFAULTS.get((kind or "").strip().lower(), UNKNOWN_DEFAULT)


def check_reliability(value: str) -> str:
    grade = value.strip().upper()
    if grade not in RELIABILITY:
        raise CounterflowError(
            f"reliability {value!r} is not a grade", "use a letter from A (completely reliable) to F"
        )
    return grade


def check_credibility(value: int | str) -> int:
    try:
        grade = int(str(value).strip())
    except ValueError:
        grade = 0
    if grade not in CREDIBILITY:
        raise CounterflowError(
            f"credibility {value!r} is not a grade", "use a number from 1 (confirmed) to 6 (cannot be judged)"
        )
    return grade


def grade_report(
    session: Session, *, report_id: int, reliability: str | None = None, credibility: int | None = None
) -> Report:
    """Change the grades of one report; returns the updated report (flushed, not committed)."""
    from intel.models import Report

    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"report {report_id} does not exist", "check the report's id")
    if reliability is None and credibility is None:
        raise CounterflowError(
            "no grade given",
            "give a reliability (A-F), a credibility (1-6), or both",
            hint=CommandHint("grade", f"{report_id} --reliability B --credibility 2"),
        )
    if reliability is not None:
        report.reliability = check_reliability(reliability)
    if credibility is not None:
        report.credibility = check_credibility(credibility)
    session.add(report)
    session.flush()
    return report
