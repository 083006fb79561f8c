"""Places named in tips: the public's typed place and the analyst's place at triage.

Both resolve through the gazetteer like any other place ("Town", "Town, Region", "Town,
Country", "District, Town"; ``intel.gazetteer.Gazetteer.resolve_place``). The campaign
target's country is never a filter: a Nigerian town named in a tip attributed to a target in
Niger is the Nigerian town. Only the tipster's own country (the country of the location the
tip came with, or of the town the tipster named) may settle a name that is ambiguous, and the
match then says so.

A typed place is as sensitive as the tip's text: it is stored only inside the encrypted text
(``with_place_given``), never logged (the gazetteer is asked not to log its choice), and an
error naming it is shown only to the person who typed it or to an analyst.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from intel.errors import CommandHint, CounterflowError

if TYPE_CHECKING:
    from intel.gazetteer import GeoPlace, PlaceMatch

#: Label of the place the person gave, inside the encrypted text.
PLACE_GIVEN = "place given"
#: At most this many candidates are named in a refusal.
MAX_CANDIDATES = 10
#: A campaign target whose radius is at most this stands for its town; a wider one for a region.
TARGET_TOWN_KM = 25.0


class PlaceNotResolved(CounterflowError):
    """A place that names no place or several: ``candidates`` are the places to choose from.

    Its fix names each candidate in a wording that resolves to it alone (``place_label``).
    """

    status = 422

    def __init__(self, problem: str, fix: str, candidates: list[GeoPlace], **kwargs: object) -> None:
        super().__init__(problem, fix, **kwargs)  # type: ignore[arg-type]
        self.candidates = list(candidates)


def place_label(place: GeoPlace) -> str:
    """The wording that names one gazetteer place: "Town, Admin area, Country".

    >>> from intel.gazetteer import get_gazetteer
    >>> place_label(get_gazetteer().resolve("Ekpoma"))
    'Ekpoma, Edo State, Nigeria'
    """
    parts = [place.name, place.admin1, place.country_name]
    return ", ".join(p for p in parts if p)


def with_place_given(text: str, place: str | None) -> str:
    """The text to encrypt: the tip's words and, after them, the place the person gave."""
    return text if not place else f"{text}\n\n[{PLACE_GIVEN}: {place}]"


def split_place_given(stored: str) -> tuple[str, str | None]:
    """The tip's words and the place the person gave, from a decrypted tip.

    >>> split_place_given("girls kept in a house\\n\\n[place given: Uselu, Benin City]")
    ('girls kept in a house', 'Uselu, Benin City')
    >>> split_place_given("no place")
    ('no place', None)
    """
    marker = f"\n\n[{PLACE_GIVEN}: "
    words, found, place = stored.rpartition(marker)
    if not found or not place.endswith("]"):
        return stored, None
    return words, place[:-1]


def resolve_named_place(
    text: str, *, tip_id: int | None = None, hint: Callable[[], tuple[str | None, str]] | None = None
) -> PlaceMatch:
    """The place a person named, resolved like any other place; ``PlaceNotResolved`` otherwise.

    ``hint`` returns the tipster's own country (ISO-2) and what it comes from ("the tip's
    location"); it is asked only when the name is ambiguous, and a match it settles says so.
    The candidates of a refusal are the ambiguous places, or the nearest spellings of an unknown
    name. ``tip_id`` only shapes the command hint of the refusal.
    """
    from intel.gazetteer import AmbiguousPlace, get_gazetteer

    gazetteer = get_gazetteer()
    try:
        return gazetteer.resolve_place(text, warn=False)
    except AmbiguousPlace as exc:
        country, why = hint() if hint is not None else (None, "")
        if country:
            try:
                match = gazetteer.resolve_place(text, hint_country=country, warn=False)
            except CounterflowError:
                pass
            else:
                return _with_reason(match, why)
        raise _refusal(exc, tip_id) from None
    except CounterflowError as exc:
        raise _refusal(exc, tip_id) from None


def _with_reason(match: PlaceMatch, why: str) -> PlaceMatch:
    from dataclasses import replace

    return replace(match, hint_reason=why) if why else match


def _refusal(exc: CounterflowError, tip_id: int | None) -> PlaceNotResolved:
    candidates: list[GeoPlace] = list(getattr(exc, "candidates", []) or [])[:MAX_CANDIDATES]
    more = len(getattr(exc, "candidates", []) or []) - len(candidates)
    if candidates:
        listed = "; ".join(f"'{place_label(c)}'" for c in candidates)
        fix = f"name one of these places: {listed}" + (f" (and {more} more)" if more > 0 else "")
        fix += "; or the town where it happened, written as the gazetteer knows it"
    else:
        fix = "check the spelling and name the nearest town the gazetteer knows"
    fix += ", or use the campaign target's area"
    first = f"'{place_label(candidates[0])}'" if candidates else "TOWN"
    hint = CommandHint("triage", f"{tip_id if tip_id else 'TIP'} --actionable --as NAME --place {first}")
    return PlaceNotResolved(exc.problem, fix, candidates, hint=hint)


def target_precision(radius_km: float | None) -> str:
    """The place precision of a report placed at a campaign target's centre: town or region."""
    return "town" if radius_km is not None and radius_km <= TARGET_TOWN_KM else "region"
