"""Who may do what, and the states a tip goes through: each defined once, here.

The store keeps roles and tip statuses as plain strings (``User.role``, ``Tip.status``); these
are ``StrEnum`` members, so a member *is* its stored string and compares equal to it.

>>> Role.DIRECTOR == "director" and Role.DIRECTOR in APPROVING_ROLES
True
>>> "analyst" in TIP_READERS and "director" not in TIP_READERS
True
>>> TipStatus("referred") in ACTIONABLE_STATUSES
True
>>> Role.PARTNER in STAFF_ROLES
False
>>> ", ".join(TipStatus)
'new, actionable, not_actionable, referred'
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role (``User.role``)."""

    CAMPAIGN_MANAGER = "campaign_manager"
    ANALYST = "analyst"
    DIRECTOR = "director"
    ADMIN = "admin"
    #: A business or financial institution that overlays its own records on the hotspots and
    #: trends: it sees its overlay results only, never a report, a tip or a campaign.
    PARTNER = "partner"


#: The roles of the organisation's own people: every page of hotspots and campaigns is theirs.
STAFF_ROLES = frozenset({Role.CAMPAIGN_MANAGER, Role.ANALYST, Role.DIRECTOR, Role.ADMIN})
#: Who may overlay records on the hotspots and read the results: partners, analysts and admins.
OVERLAY_USERS = frozenset({Role.ANALYST, Role.ADMIN, Role.PARTNER})
#: Who may approve a campaign (never its own author): on the command line, the web and in flows.
APPROVING_ROLES = frozenset({Role.CAMPAIGN_MANAGER, Role.DIRECTOR, Role.ADMIN})
#: Who may read tip text, triage tips and refer them.
TIP_READERS = frozenset({Role.ANALYST, Role.ADMIN})
#: Who may read a campaign's outcome metrics.
OUTCOME_READERS = frozenset({Role.CAMPAIGN_MANAGER, Role.DIRECTOR, Role.ADMIN})
#: Who may read the aggregated tip counts of a campaign (no text, small counts suppressed).
TIP_COUNT_READERS = frozenset({Role.CAMPAIGN_MANAGER, Role.ANALYST, Role.DIRECTOR, Role.ADMIN})


class TipStatus(StrEnum):
    """Where a tip stands (``Tip.status``): new until an analyst triages it."""

    NEW = "new"
    ACTIONABLE = "actionable"
    NOT_ACTIONABLE = "not_actionable"
    REFERRED = "referred"


#: Statuses of a tip an analyst judged actionable (a referred tip was actionable first); such a
#: tip may be referred to a partner, and outcomes count it as an actionable tip.
ACTIONABLE_STATUSES = frozenset({TipStatus.ACTIONABLE, TipStatus.REFERRED})


def role_names(roles: frozenset[Role] | tuple[Role, ...] = tuple(Role)) -> str:
    """The roles as a person reads them, in the order of ``Role``: ``"analyst or admin"``.

    >>> role_names(APPROVING_ROLES)
    'campaign_manager, director or admin'
    """
    names = [str(r) for r in Role if r in roles]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
