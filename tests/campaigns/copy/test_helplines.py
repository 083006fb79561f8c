"""Each helpline has a name per language and a number or address to reach, or says it needs one."""

from __future__ import annotations

from typing import Any

from campaigns.copy.check import check_helplines
from campaigns.copy.i18n import LRI, PDI
from campaigns.copy.localedata import helpline_for


def test_the_packaged_helplines_pass() -> None:
    assert check_helplines() == []


def test_a_helpline_with_nothing_to_dial_or_a_missing_name_is_flagged() -> None:
    data: dict[str, Any] = {
        "NE": {"name": "IOM Niger", "names": {"en": "IOM Niger", "fr": "OIM Niger", "ha": "OIM Nijar"}},
        "LY": {"name": "IOM Libya", "needs_number": True, "names": {"en": "IOM Libya"}},
        "IT": {
            "name": "Numero Verde",
            "phone": "800 290 290",
            "names": {"en": "x", "it": "x", "fr": "x", "ar": "x"},
        },
    }
    found = {(p.context, p.reason.split(":")[0]) for p in check_helplines(data)}
    assert found == {("NE", "neither a number nor an address to reach"), ("LY", "no name in ar")}


def test_a_helpline_is_named_in_the_language_of_the_copy() -> None:
    libya = helpline_for("LY")
    assert libya is not None
    assert libya.display_in("ar") == "المنظمة الدولية للهجرة في ليبيا"  # not "IOM Libya" in Latin letters
    assert libya.display_in("en") == "IOM Libya"
    niger = helpline_for("NE")
    assert niger is not None and niger.display_in("fr") == "OIM Niger"
    assert "needs a number" in niger.unverified_because  # preflight warns on every Niger asset
    tunisia = helpline_for("TN")
    assert tunisia is not None
    assert tunisia.display_in("ar") == f"الهيئة الوطنية لمكافحة الاتجار بالأشخاص {LRI}80 104 748{PDI}"
    assert tunisia.display_in("fr") == "INLTP 80 104 748"
