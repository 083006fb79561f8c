"""The campaign manager's forms as values: plan and edit fields read from a posted form, each bad
field with its error in words, so a page shows the form again instead of a traceback.

>>> f = read_plan({"name": " Safe roads ", "budget": "2,500", "starts": "2027-03-01",
...     "ends": "2027-03-31", "ages": "18-35", "keep": ["4", "7"]})
>>> f.errors, f.plan.name, f.plan.budget, f.plan.keep
({}, 'Safe roads', 2500.0, [4, 7])
>>> sorted(read_plan({"budget": "-5", "starts": "2027-03-31", "ends": "2027-03-01"}).errors)
['budget', 'ends', 'name']
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AGES = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")
GENDERS = ("all", "women", "men")


def _one(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return value.strip() if isinstance(value, str) else ""


def _many(form: Any, name: str) -> list[str]:
    if hasattr(form, "getlist"):
        return [v for v in form.getlist(name) if isinstance(v, str)]
    value = form.get(name)
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


def _date(text: str, label: str, errors: dict[str, str], key: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[key] = (
            f"{label} was {text!r}: give a date as YYYY-MM-DD, e.g. 2027-03-01"
            if text
            else f"give the {label}"
        )
        return None


def _budget(text: str, errors: dict[str, str]) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        errors["budget"] = (
            f"budget was {text!r}: give a positive amount, e.g. 5000" if text else "give the budget"
        )
        return None
    if not value > 0 or value != value or value == float("inf"):
        errors["budget"] = f"budget was {text}: give a positive amount, e.g. 5000"
        return None
    return value


def _ages(text: str, errors: dict[str, str]) -> str:
    m = AGES.match(text)
    if not m or not 13 <= int(m.group(1)) <= int(m.group(2)) <= 65:
        errors["ages"] = f"ages were {text!r}: give MIN-MAX within 13-65, e.g. 18-35"
    return text.replace(" ", "")


def _ids(values: list[str], label: str, errors: dict[str, str], key: str) -> list[int]:
    bad = [v for v in values if not v.isdigit() or len(v) > 9]
    if bad:
        errors[key] = f"{label} {', '.join(map(repr, bad))} are not ids from this page: reload it"
    return [int(v) for v in values if v.isdigit() and len(v) <= 9]


@dataclass
class Plan:
    """What ``flows.steps.plan`` needs, and which of the proposed targets to keep (hotspot ids)."""

    name: str = ""
    ages: str = "18-35"
    genders: str = "all"
    languages: str = "local"
    origins: str = ""
    budget: float = 0.0
    currency: str = "USD"
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    paid_for_by: str | None = None
    dsa_beneficiary: str | None = None
    dsa_payor: str | None = None
    allow_fuzzy: bool = False
    keep: list[int] = field(default_factory=list)
    add: list[tuple[str, float]] = field(default_factory=list)  # (place, radius_km)
    merge: list[tuple[int, int]] = field(default_factory=list)  # (keep, absorbed): hotspot ids
    languages_of: dict[int, list[str]] = field(default_factory=dict)  # hotspot id -> chosen by hand


@dataclass
class PlanForm:
    plan: Plan
    values: dict[str, Any]
    errors: dict[str, str]


def read_plan(form: Any) -> PlanForm:
    """The plan form's fields, checked: each bad field gets its error in ``errors``."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {k: _one(form, k) for k in FIELDS}
    values["keep"] = _many(form, "keep")
    values["allow_fuzzy"] = bool(_one(form, "allow_fuzzy"))
    if not values["name"]:
        errors["name"] = "give the campaign a name"
    budget = _budget(values["budget"], errors)
    starts = _date(values["starts"], "first day", errors, "starts")
    ends = _date(values["ends"], "last day", errors, "ends")
    if starts and ends and ends <= starts:
        errors["ends"] = f"the last day ({ends}) must come after the first ({starts})"
    ages = _ages(values["ages"] or "18-35", errors)
    if (values["genders"] or "all") not in GENDERS:
        errors["genders"] = f"genders was {values['genders']!r}: choose all, women or men"
    keep = _ids(values["keep"], "targets", errors, "keep")
    add, merge = _add_and_merge(form, values, errors)
    languages_of = _languages_of(form, values, errors)
    plan = Plan(
        name=values["name"],
        ages=ages,
        genders=values["genders"] or "all",
        languages=values["languages"] or "local",
        origins=values["origins"],
        budget=budget or 0.0,
        currency=(values["currency"] or "USD").upper(),
        starts_on=starts,
        ends_on=ends,
        paid_for_by=values["paid_for_by"] or None,
        dsa_beneficiary=values["dsa_beneficiary"] or None,
        dsa_payor=values["dsa_payor"] or None,
        allow_fuzzy=values["allow_fuzzy"],
        keep=keep,
        add=add,
        merge=merge,
        languages_of=languages_of,
    )
    return PlanForm(plan, values, errors)


def codes(text: str) -> list[str]:
    """Locale codes typed as ``en, pcm`` (commas or spaces), in order, without repeats.

    >>> codes(" en,pcm  bin, en")
    ['en', 'pcm', 'bin']
    """
    out: list[str] = []
    for code in re.split(r"[,\s]+", text.strip()):
        if code and code not in out:
            out.append(code)
    return out


def _languages_of(form: Any, values: dict[str, Any], errors: dict[str, str]) -> dict[int, list[str]]:
    """The languages typed for a target (``lang-<id>``) where they differ from those the page
    proposed (``lang-default-<id>``): chosen by hand. Unknown codes are the field's error."""
    from campaigns.copy.i18n import LOCALES

    keys = form.keys() if hasattr(form, "keys") else []
    chosen: dict[int, list[str]] = {}
    values["langs"] = {}
    for key in keys:
        if not key.startswith("lang-") or key.startswith("lang-default-"):
            continue
        tid = key[len("lang-") :]
        if not tid.isdigit() or len(tid) > 9:
            continue
        typed = codes(_one(form, key))
        values["langs"][tid] = ", ".join(typed)
        if typed == codes(_one(form, f"lang-default-{tid}")):
            continue
        unknown = [c for c in typed if c not in LOCALES]
        if unknown or not typed:
            errors[key] = (
                f"languages were {', '.join(typed) or '(none)'}: use codes among {', '.join(LOCALES)}"
            )
            continue
        chosen[int(tid)] = typed
    return chosen


def _add_and_merge(
    form: Any, values: dict[str, Any], errors: dict[str, str]
) -> tuple[list[tuple[str, float]], list[tuple[int, int]]]:
    """The target to add (a place and a radius) and the two targets to merge, if given."""
    for name in ("add_place", "add_radius", "merge_a", "merge_b"):
        values[name] = _one(form, name)
    add: list[tuple[str, float]] = []
    if values["add_place"]:
        try:
            radius = float(values["add_radius"] or "10")
        except ValueError:
            radius = -1.0
        if not 1 <= radius <= 80:
            errors["add_radius"] = f"radius was {values['add_radius']!r}: give km between 1 and 80, e.g. 10"
        add.append((values["add_place"], radius))
    merge: list[tuple[int, int]] = []
    pair = [values["merge_a"], values["merge_b"]]
    if any(pair):
        ids = _ids([p for p in pair if p], "targets", errors, "merge")
        if len(ids) != 2 or ids[0] == ids[1]:
            errors.setdefault("merge", "choose two different targets to merge")
        else:
            merge.append((ids[0], ids[1]))
    return add, merge


FIELDS = (
    "name",
    "ages",
    "genders",
    "languages",
    "origins",
    "budget",
    "currency",
    "starts",
    "ends",
    "paid_for_by",
    "dsa_beneficiary",
    "dsa_payor",
)
EDIT_FIELDS = (
    "paid_for_by",
    "dsa_beneficiary",
    "dsa_payor",
    "budget",
    "starts",
    "ends",
    "languages",
    "ages",
    "genders",
)


@dataclass
class EditForm:
    changes: dict[str, Any]  # keyword arguments of ``flows.steps.edit``: only what differs
    values: dict[str, Any]
    errors: dict[str, str]


def current_values(campaign: Any) -> dict[str, Any]:
    """The edit form's fields as the campaign has them now."""
    audience = campaign.audience or {}
    genders = [g for g in audience.get("genders", []) if g in GENDERS]
    languages = audience.get("languages", "local")
    return {
        "paid_for_by": campaign.paid_for_by or "",
        "dsa_beneficiary": campaign.dsa_beneficiary or "",
        "dsa_payor": campaign.dsa_payor or "",
        "budget": f"{campaign.budget:g}",
        "starts": campaign.starts_on.isoformat() if campaign.starts_on else "",
        "ends": campaign.ends_on.isoformat() if campaign.ends_on else "",
        "languages": languages if isinstance(languages, str) else ",".join(languages),
        "ages": f"{audience.get('age_min', 18)}-{audience.get('age_max', 35)}",
        "genders": genders[0] if len(genders) == 1 else "all",
        "drop": [],
        "add_place": "",
        "add_radius": "10",
        "merge_a": "",
        "merge_b": "",
    }


def read_edit(form: Any, campaign: Any) -> EditForm:
    """The edit form's fields, checked, and what differs from ``campaign`` (the step's arguments)."""
    errors: dict[str, str] = {}
    now = current_values(campaign)
    values: dict[str, Any] = {k: _one(form, k) for k in EDIT_FIELDS}
    values["drop"] = _many(form, "drop")
    changes: dict[str, Any] = {}
    for name in ("paid_for_by", "dsa_beneficiary", "dsa_payor"):
        if values[name] != now[name]:
            if not values[name]:
                errors[name] = "give the organisation's full name (it cannot be removed)"
            changes[name] = values[name]
    if values["budget"] != now["budget"]:
        changes["budget"] = _budget(values["budget"], errors)
    for key, arg, label in (("starts", "starts_on", "first day"), ("ends", "ends_on", "last day")):
        if values[key] != now[key]:
            changes[arg] = _date(values[key], label, errors, key)
    starts = changes.get("starts_on") or campaign.starts_on
    ends = changes.get("ends_on") or campaign.ends_on
    if "starts" not in errors and "ends" not in errors and starts and ends and ends <= starts:
        errors["ends"] = f"the last day ({ends}) must come after the first ({starts})"
    if values["ages"] != now["ages"]:
        changes["ages"] = _ages(values["ages"], errors)
    if values["genders"] != now["genders"]:
        if values["genders"] not in GENDERS:
            errors["genders"] = f"genders was {values['genders']!r}: choose all, women or men"
        changes["genders"] = values["genders"]
    if values["languages"] != now["languages"]:
        changes["languages"] = values["languages"] or "local"
    drop = _ids(values["drop"], "targets", errors, "drop")
    if drop:
        changes["drop_targets"] = drop
    add, merge = _add_and_merge(form, values, errors)
    languages_of = _languages_of(form, values, errors)
    if languages_of:
        changes["target_languages"] = languages_of
    if add:
        changes["add_targets"] = add
    if merge:
        changes["merge_targets"] = merge
    if not changes and not errors:
        errors["form"] = "nothing changed: change a field, then save"
    return EditForm(changes, values, errors)
