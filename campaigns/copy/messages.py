"""Campaign copy as gettext messages: the source of ``locales/messages.pot``.

Each message family is a gettext context (``msgctxt``): ``recruitment_fraud``,
``know_the_signs``, ``where_to_get_help``, and ``preview`` for the words the preview shows around
the copy. Extract with ``counterflow locales extract`` (Babel's extractor with its default
keywords: ``pgettext`` and ``npgettext`` are among them; passing ``-k`` alone would drop them).

Every message carries a translator note (``# TRANSLATORS:``): where it appears, who reads it, its
length limit ("at most N characters", which ``locales check`` enforces) and what must not change.
A note that says "addresses the reader" makes the extractor add gendered variants of the message
(contexts ``<family>/feminine`` and ``<family>/masculine``, see :data:`GENDERS`): a language that
speaks to a woman differently (French "inquiète", an Arabic feminine imperative) translates them;
the others leave them empty and the neutral message is used.

What the copy must not do (the reasons behind the wording): tell a person at risk to call "the
local emergency number" (in a transit country that can mean the police and detention: point to
the helpline instead); promise something the link does not give (every link opens the private
tip form, so the link text says "Tell us privately"); repeat the headline in the body; say
"confidential" where "private" is meant.

Placement limits (see ``campaigns.policy.COPY_LIMITS``): headline 40 characters, primary text
125 recommended, link description 30.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

FAMILIES: tuple[str, ...] = ("recruitment_fraud", "know_the_signs", "where_to_get_help")
"""Message families an asset can carry (``Asset.family``)."""
DEFAULT_DEADLINE_DAYS = 3
"""The ``n`` of the "{n} days left to apply" warning: the pressure a fake recruiter applies."""
GENDERS: tuple[str, ...] = ("feminine", "masculine")
"""Grammatical genders of the variants of a message that addresses the reader (neutral: none)."""
ADDRESSES_READER = "addresses the reader"
"""The words of a translator note that make the extractor add the gendered variants."""
VARIANT_SEP = "/"
"""Joins a family and a gender in a variant's context: ``recruitment_fraud/feminine``."""


class Translator(Protocol):
    def pgettext(self, context: str, message: str) -> Any: ...

    def npgettext(self, context: str, singular: str, plural: str, num: int) -> Any: ...


def audience_gender(audience: Mapping[str, Any] | None) -> str | None:
    """The grammatical gender to address a campaign's audience in (None: neutral).

    >>> audience_gender({"genders": ["women"]}), audience_gender({"genders": ["men"]})
    ('feminine', 'masculine')
    >>> audience_gender({"genders": []}) is None, audience_gender({"genders": ["men", "women"]}) is None
    (True, True)
    """
    genders = set((audience or {}).get("genders") or [])
    if genders == {"women"}:
        return "feminine"
    if genders == {"men"}:
        return "masculine"
    return None


def is_variant(context: str | None) -> bool:
    """Whether a message context is a gendered variant (``know_the_signs/feminine``; ``feminine``
    for a message without a family, as on the tip form)."""
    return (context or "").split(VARIANT_SEP)[-1] in GENDERS


def family_of(context: str | None) -> str:
    """The family of a message context (a gendered variant's context names its family first)."""
    return (context or "").split(VARIANT_SEP)[0]


class Gendered:
    """A translator that prefers a message's gendered variant and falls back to the neutral one.

    A catalog that has no translation for the variant (``recruitment_fraud/feminine``) gives the
    neutral message (``recruitment_fraud``), so languages without grammatical gender in the copy
    need no variants.
    """

    def __init__(self, t: Translator, gender: str | None) -> None:
        if gender is not None and gender not in GENDERS:
            raise ValueError(f"unknown grammatical gender {gender!r}; use one of {', '.join(GENDERS)}")
        self._t, self._gender = t, gender

    def pgettext(self, context: str, message: str) -> str:
        if self._gender:
            variant = VARIANT_SEP.join((context, self._gender))
            found = str(self._t.pgettext(variant, message))
            if found != message:
                return found
        return str(self._t.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, num: int) -> str:
        if self._gender:
            variant = VARIANT_SEP.join((context, self._gender))
            found = str(self._t.npgettext(variant, singular, plural, num))
            if found not in (singular, plural):
                return found
        return str(self._t.npgettext(context, singular, plural, num))


@dataclass(frozen=True)
class Copy:
    """The localised text of one asset, before placeholders are filled."""

    headline: str
    body: str
    description: str


def organic_text(headline: str, body: str) -> str:
    r"""The text of an organic Page post: the headline, then the body, unless the body already
    begins with the headline (a post has no headline slot, so it would print it twice).

    >>> organic_text("Help is free", "Help is free. Call 627.")
    'Help is free. Call 627.'
    >>> organic_text("Offered a job?", "Traffickers promise work.")
    'Offered a job?\n\nTraffickers promise work.'
    """
    if not headline.strip() or body.strip().startswith(headline.strip()):
        return body
    return f"{headline}\n\n{body}"


def family_copy(t: Translator, family: str, *, days: int = DEFAULT_DEADLINE_DAYS) -> Copy:
    """The messages of one family in ``t``'s language (placeholders ``{helpline}``, ``{n}`` unfilled)."""
    if family == "recruitment_fraud":
        return Copy(
            # TRANSLATORS: ad headline, in bold under the picture; read by young people (from 13)
            # who may be offered work abroad. At most 40 characters. A question the reader would
            # ask themselves; "Europe" may become the destination people talk about locally.
            # Addresses the reader.
            t.pgettext("recruitment_fraud", "Offered a job in Europe?"),
            # TRANSLATORS: ad primary text, above the picture; read by young people offered work
            # abroad and by their families. At most 200 characters (the platform folds text after
            # about 125 behind "See more"). Plain and calm, no blame. "Traffickers" are people who
            # recruit and move others to exploit them; "keep your passport" means hold on to it
            # and not give it back. Do not repeat the headline. Addresses the reader.
            t.pgettext(
                "recruitment_fraud",
                "Traffickers promise good work abroad, then keep your passport and say you owe them "
                "money. If an offer worries you, tell us privately.",
            ),
            # TRANSLATORS: link text under the headline; the link opens the private tip form, where
            # the reader can tell us about themselves or someone else. At most 30 characters.
            # Addresses the reader.
            t.pgettext("recruitment_fraud", "Tell us privately"),
        )
    if family == "know_the_signs":
        return Copy(
            # TRANSLATORS: ad headline, in bold under the picture; read by young people and their
            # families. At most 40 characters.
            t.pgettext("know_the_signs", "Know the signs of trafficking"),
            # TRANSLATORS: ad primary text, above the picture; read by young people offered work
            # abroad. At most 200 characters. The quoted part is what a fake recruiter says to rush
            # people; {n} is a number of days, already formatted for your language: keep {n}
            # exactly. An "agent" or "sponsor" is the person who arranges the job or the journey
            # (not a police officer); "keeps your passport" means does not give it back.
            # Addresses the reader.
            t.npgettext(
                "know_the_signs",
                "“Only {n} day left to apply”? Real jobs do not rush you. "
                "An agent or sponsor who keeps your passport is a warning sign.",
                "“Only {n} days left to apply”? Real jobs do not rush you. "
                "An agent or sponsor who keeps your passport is a warning sign.",
                days,
            ),
            # TRANSLATORS: link text under the headline; the link opens the private tip form.
            # At most 30 characters. Addresses the reader.
            t.pgettext("know_the_signs", "Tell us privately"),
        )
    if family == "where_to_get_help":
        return Copy(
            # TRANSLATORS: ad headline, in bold under the picture; read by people at risk, in
            # their country or on the way. At most 40 characters. "Private": nobody else learns
            # of the call (not "confidential", not "secret").
            t.pgettext("where_to_get_help", "Help is free and private"),
            # TRANSLATORS: ad primary text; read by people at risk, possibly already on the
            # journey, and by their families. At most 200 characters. {helpline} is the local
            # anti-trafficking helpline with its number, e.g. "NAPTIP 627": keep {helpline}
            # exactly, never write a phone number yourself. Do not add advice to call the police
            # or an emergency number. Addresses the reader.
            t.pgettext(
                "where_to_get_help",
                "Worried about a job offer or a journey, for yourself or for someone else? "
                "Contact {helpline}. It is free and private.",
            ),
            # TRANSLATORS: link text under the headline; the link opens the private tip form.
            # At most 30 characters. Addresses the reader.
            t.pgettext("where_to_get_help", "Tell us privately"),
        )
    raise ValueError(f"unknown message family {family!r}; use one of {', '.join(FAMILIES)}")


def preview_words(t: Translator) -> dict[str, str]:
    """Words the preview shows around the copy, as the platform shows them."""
    return {
        # TRANSLATORS: label above an ad in the campaign team's preview, as the platform shows
        # it; read by the campaign team. At most 20 characters.
        "sponsored": t.pgettext("preview", "Sponsored"),
        # TRANSLATORS: the disclaimer under a social-issue ad; read by everyone who sees the ad.
        # At most 60 characters. {name} is the organisation that pays: keep {name} exactly.
        "paid_for_by": t.pgettext("preview", "Paid for by {name}"),
    }
