"""Campaign copy as gettext messages: the source of ``locales/messages.pot``.

Each message family is a gettext context (``msgctxt``): ``recruitment_fraud``,
``know_the_signs``, ``where_to_get_help``, and ``preview`` for the words the preview shows around
the copy. Extract with ``counterflow locales extract`` (Babel's extractor with its default
keywords: ``pgettext`` and ``npgettext`` are among them; passing ``-k`` alone would drop them).

Placement limits (see ``campaigns.policy.COPY_LIMITS``): headline 40 characters, primary text
125 recommended, link description 30.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

FAMILIES: tuple[str, ...] = ("recruitment_fraud", "know_the_signs", "where_to_get_help")
"""Message families an asset can carry (``Asset.family``)."""
DEFAULT_DEADLINE_DAYS = 3
"""The ``n`` of the "{n} days left to apply" warning: the pressure a fake recruiter applies."""


class Translator(Protocol):
    def pgettext(self, context: str, message: str) -> Any: ...

    def npgettext(self, context: str, singular: str, plural: str, num: int) -> Any: ...


@dataclass(frozen=True)
class Copy:
    """The localised text of one asset, before placeholders are filled."""

    headline: str
    body: str
    description: str


def family_copy(t: Translator, family: str, *, days: int = DEFAULT_DEADLINE_DAYS) -> Copy:
    """The messages of one family in ``t``'s language (placeholders ``{helpline}``, ``{n}`` unfilled)."""
    if family == "recruitment_fraud":
        return Copy(
            # TRANSLATORS: headline (at most 40 characters). A question a young person would ask
            # themselves; Europe can be replaced by the destination people talk about locally.
            t.pgettext("recruitment_fraud", "Offered a job in Europe?"),
            # TRANSLATORS: primary text (about 125 characters). Plain, calm, no blame. "Traffickers"
            # are people who recruit and move others to exploit them.
            t.pgettext(
                "recruitment_fraud",
                "Offered a job in Europe? Check before you travel. "
                "Traffickers promise work and take your passport.",
            ),
            # TRANSLATORS: link description under the headline (at most 30 characters).
            t.pgettext("recruitment_fraud", "Check before you travel"),
        )
    if family == "know_the_signs":
        return Copy(
            # TRANSLATORS: headline (at most 40 characters).
            t.pgettext("know_the_signs", "Know the signs of trafficking"),
            # TRANSLATORS: primary text. The quoted part is what a fake recruiter says to rush
            # people; {n} is a number of days, already formatted for your language.
            t.npgettext(
                "know_the_signs",
                "“Only {n} day left to apply”? Real jobs do not rush you. "
                "Never give your passport to an agent.",
                "“Only {n} days left to apply”? Real jobs do not rush you. "
                "Never give your passport to an agent.",
                days,
            ),
            # TRANSLATORS: link description (at most 30 characters).
            t.pgettext("know_the_signs", "Know the signs"),
        )
    if family == "where_to_get_help":
        return Copy(
            # TRANSLATORS: headline (at most 40 characters).
            t.pgettext("where_to_get_help", "Help is free and confidential"),
            # TRANSLATORS: primary text. {helpline} is the local helpline, e.g. "NAPTIP 627";
            # keep it exactly as {helpline}.
            t.pgettext(
                "where_to_get_help",
                "Worried about a job offer or a journey? Call {helpline}. It is free and confidential.",
            ),
            # TRANSLATORS: link description (at most 30 characters); {helpline} as above.
            t.pgettext("where_to_get_help", "Call {helpline}"),
        )
    raise ValueError(f"unknown message family {family!r}; use one of {', '.join(FAMILIES)}")


def preview_words(t: Translator) -> dict[str, str]:
    """Words the preview shows around the copy, as the platform shows them."""
    return {
        # TRANSLATORS: label the platform puts above an ad.
        "sponsored": t.pgettext("preview", "Sponsored"),
        # TRANSLATORS: the disclaimer of a social-issue ad; {name} is the organisation that pays.
        "paid_for_by": t.pgettext("preview", "Paid for by {name}"),
    }
