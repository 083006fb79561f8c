"""What the triage form suggests for one tip, for an analyst to confirm or correct.

The suggestions come from the tip itself: the place the tipster typed (decrypted, so only an
analyst or admin gets them, and the reading is audited like any reading of the tip), the town
it resolves to with the other places of that name, or the candidates when it resolves to no
place or several; the tip's locale; the exploitation types its words name (``intel.taxonomy``).
Nothing here changes the tip: ``campaigns.feedback.tips.triage_tip`` does, with what the analyst
confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlmodel import Session

from campaigns.feedback.places import PlaceNotResolved, place_label, resolve_named_place, split_place_given
from campaigns.feedback.tips import read_tip_text, tipster_country
from intel.models import Target, Tip, User
from intel.settings import Settings

if TYPE_CHECKING:
    from intel.gazetteer import GeoPlace


@dataclass(frozen=True)
class Candidate:
    """A place the analyst may choose: its wording (which resolves to it alone) and its parts."""

    label: str
    name: str
    admin1: str | None
    country: str


@dataclass
class TriageForm:
    """The triage form of one tip, prefilled.

    ``place`` is the wording of the town the typed place resolved to ("" when it did not);
    ``place_note`` says how it resolved, or why it did not; ``candidates`` are the places to
    choose from; ``exploitation`` the tip's types, else those its words suggest, which
    ``suggested`` lists with the words that suggested them.
    """

    text: str
    place_given: str | None
    place: str = ""
    place_note: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    language: str = ""
    exploitation: str = ""
    suggested: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    target: Target | None = None


def _candidates(places: list[GeoPlace] | tuple[GeoPlace, ...]) -> list[Candidate]:
    out: dict[str, Candidate] = {}
    for p in places:
        label = place_label(p)
        out.setdefault(label, Candidate(label, p.name, p.admin1, p.country_name))
    return list(out.values())


def triage_form(session: Session, *, tip_id: int, actor: User | str, settings: Settings) -> TriageForm:
    """The prefilled triage form of a tip; reading it is an audited reading of the tip."""
    from intel.taxonomy import label_text

    stored = read_tip_text(session, tip_id=tip_id, actor=actor, settings=settings)
    tip = session.get(Tip, tip_id)
    assert tip is not None  # read_tip_text raised NotFound otherwise
    words, given = split_place_given(stored)
    form = TriageForm(text=words, place_given=given, language=tip.locale or "")
    if given:
        try:
            match = resolve_named_place(given, tip_id=tip_id, hint=lambda: tipster_country(tip))
        except PlaceNotResolved as exc:
            form.place_note, form.candidates = exc.problem, _candidates(exc.candidates)
        else:
            form.place, form.place_note = place_label(match.place), match.describe()
            others = [p for p in match.alternatives if place_label(p) != form.place]
            form.candidates = _candidates([match.place, *others]) if others else []
    if tip.exploitation:
        form.exploitation = tip.exploitation
    else:
        labels = label_text(words, ("exploitation",))
        form.suggested = [(label.code, label.triggers) for label in labels]
        form.exploitation = "|".join(code for code, _ in form.suggested)
    if tip.target_id is not None:
        form.target = session.get(Target, tip.target_id)
    return form
