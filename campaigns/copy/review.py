"""Copy review per campaign: a signed-in person records that they checked one locale's assets.

``counterflow locales review`` marks a whole catalog reviewed (it clears the fuzzy flags of the
``.po`` file, for every campaign). A campaign manager also reads the copy of *their* campaign,
locale by locale, next to the English: that review is recorded here, as an ``AuditEvent``
("campaign.copy_reviewed", who and when). It adds to the catalog's review and replaces none of
it: preflight still refuses unreviewed (fuzzy) catalogs on live channels, as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from campaigns import crud
from campaigns.copy.i18n import coverage, load_catalog, reviewer_of
from intel.errors import CounterflowError
from intel.models import Asset, AuditEvent, utcnow

REVIEWED = "campaign.copy_reviewed"


@dataclass(frozen=True)
class LocaleReview:
    """Where one locale of a campaign stands: its assets, its catalog and this campaign's review."""

    locale: str
    assets: int
    drafts: int  # assets rendered from fuzzy (unreviewed) catalog messages
    catalog_ready: bool  # every message translated and none fuzzy
    catalog_reviewer: str | None  # from the catalog's header (``counterflow locales review``)
    reviewed_by: str | None  # this campaign's copy review, latest
    reviewed_at: dt.datetime | None


def _catalog(locale: str) -> tuple[bool, str | None]:
    try:
        ready = all(c.ready for c in coverage(locale))
        return ready, reviewer_of(load_catalog(locale))
    except CounterflowError:
        return False, None


def reviews(session: Session, *, campaign_id: int) -> list[LocaleReview]:
    """Every locale of the campaign's assets with its review state, by locale code."""
    crud.get_campaign(session, campaign_id=campaign_id)
    assets = session.exec(select(Asset).where(Asset.campaign_id == campaign_id)).all()
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "campaign",
            AuditEvent.object_id == campaign_id,
            AuditEvent.action == REVIEWED,
        )
        .order_by(col(AuditEvent.id))
    ).all()
    latest = {str(e.detail.get("locale")): e for e in events}
    out = []
    for locale in sorted({a.locale for a in assets}):
        mine = [a for a in assets if a.locale == locale]
        ready, reviewer = _catalog(locale)
        event = latest.get(locale)
        out.append(
            LocaleReview(
                locale=locale,
                assets=len(mine),
                drafts=sum(a.fuzzy for a in mine),
                catalog_ready=ready,
                catalog_reviewer=reviewer,
                reviewed_by=event.actor if event else None,
                reviewed_at=event.at if event else None,
            )
        )
    return out


def record_review(
    session: Session, *, campaign_id: int, locale: str, reviewer: str, now: dt.datetime | None = None
) -> AuditEvent:
    """Record that ``reviewer`` (signed in) checked the campaign's copy in ``locale``.

    Refuses an empty reviewer and a locale the campaign has no assets in.
    """
    crud.get_campaign(session, campaign_id=campaign_id)
    if not reviewer.strip():
        raise CounterflowError("the reviewer's name was empty", "sign in as the person who read the copy")
    locales = sorted(set(session.exec(select(Asset.locale).where(Asset.campaign_id == campaign_id)).all()))
    if locale not in locales:
        raise CounterflowError(
            f"campaign {campaign_id} has no copy in locale {locale!r}",
            f"review one of its locales: {', '.join(locales) or '(none: it has no assets)'}",
            status=404,
        )
    event = AuditEvent(
        at=now or utcnow(),
        actor=reviewer.strip(),
        action=REVIEWED,
        object_type="campaign",
        object_id=campaign_id,
        detail={"locale": locale},
    )
    session.add(event)
    session.flush()
    return event
