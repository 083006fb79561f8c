"""Who may use each page and action of the web app: one table, built on ``intel.roles``.

Every route has exactly one entry, ``"METHOD /path/{param}"`` -> who may use it: ``PUBLIC``
(anyone, signed in or not), ``STAFF`` (any signed-in member of staff: every role but
``partner``) or a set of roles. The app checks the
table before every route runs (``web.auth.authorize``); a route missing from the table answers
500 rather than guessing, and ``tests/web/test_permissions.py`` walks every route of the app
against this table as the public and as each role.

>>> allowed("GET /tips", None), allowed("GET /tips", "analyst"), allowed("GET /tips", "director")
(False, True, False)
>>> allowed("POST /api/tips", None), allowed("GET /hotspots", "partner")
(True, False)
"""

from __future__ import annotations

from typing import Any, Final

from intel.roles import (
    APPROVING_ROLES,
    OUTCOME_READERS,
    OVERLAY_USERS,
    STAFF_ROLES,
    TIP_COUNT_READERS,
    TIP_READERS,
    Role,
)


class _Public:
    def __repr__(self) -> str:
        return "PUBLIC"


#: Anyone, signed in or not (the tip form, the sign-in pages, the home page).
PUBLIC: Final = _Public()
#: Every signed-in member of staff: every role but ``partner``, who sees overlay results only.
STAFF: Final = STAFF_ROLES

Access = _Public | frozenset[Role]
#: Who imports files and runs hotspots: analysts and admins.
ANALYSTS: Final = frozenset({Role.ANALYST, Role.ADMIN})

#: Who plans, edits, reviews copy, submits and publishes campaigns: campaign managers and admins.
MANAGERS: Final = frozenset({Role.CAMPAIGN_MANAGER, Role.ADMIN})

TABLE: dict[str, Access] = {
    # public: home, the tip form and its API, signing in and out, setting a password
    "GET /": PUBLIC,
    "GET /welcome": PUBLIC,  # first steps: how to sign in, what each role does next
    "GET /tip": PUBLIC,
    "POST /tip": PUBLIC,
    "GET /tip/thanks": PUBLIC,
    "GET /t/{code}": PUBLIC,
    "POST /t/{code}": PUBLIC,
    "GET /t/{code}/thanks": PUBLIC,
    "POST /api/tips": PUBLIC,
    "GET /signin": PUBLIC,
    "POST /signin": PUBLIC,
    "GET /signin/oidc": PUBLIC,  # single sign-on: off to the issuer, and back
    "GET /signin/oidc/callback": PUBLIC,
    "POST /signout": PUBLIC,  # without a session it only clears the cookie
    "GET /set-password/{token}": PUBLIC,
    "POST /set-password/{token}": PUBLIC,
    # the documentation of the API (no data in it): Swagger UI from local files, /docs points there
    "GET /api/openapi.json": PUBLIC,
    "GET /api/docs": PUBLIC,
    "GET /docs": PUBLIC,
    # hotspots and campaigns: every member of staff
    "GET /hotspots": STAFF,
    "GET /hotspots/{run_id}": STAFF,
    "GET /hotspots/{run_id}/map": STAFF,
    "GET /campaigns": STAFF,
    "GET /campaigns/{campaign_id}": STAFF,
    "GET /campaigns/{campaign_id}/map": STAFF,
    # the analyst's work: running hotspots and importing files
    "GET /hotspots/new": ANALYSTS,
    "POST /hotspots": ANALYSTS,
    "GET /imports": ANALYSTS,
    "POST /imports": ANALYSTS,
    "GET /imports/{import_id}": ANALYSTS,
    "GET /imports/{import_id}/rejects.csv": ANALYSTS,
    "GET /imports/jobs/{job_id}": ANALYSTS,
    "GET /imports/jobs/{job_id}/status": ANALYSTS,
    "GET /figures": ANALYSTS,
    "GET /api/hotspots": STAFF,
    "GET /api/hotspots/{run_id}": STAFF,
    "GET /api/campaigns": STAFF,
    "GET /api/campaigns/{campaign_id}": STAFF,
    # the campaign manager's work: plan, edit, review copy, submit, publish (the steps check the rest)
    "GET /campaigns/new": MANAGERS,
    "POST /campaigns": MANAGERS,
    "POST /campaigns/preflight": MANAGERS,  # findings of a form as it stands; nothing saved
    "GET /campaigns/{campaign_id}/edit": MANAGERS,
    "POST /campaigns/{campaign_id}/edit": MANAGERS,
    "POST /campaigns/{campaign_id}/preflight": MANAGERS,
    "GET /campaigns/{campaign_id}/copy": STAFF,
    "GET /campaigns/{campaign_id}/copy/{locale}": STAFF,
    "POST /campaigns/{campaign_id}/copy/{locale}/review": MANAGERS,
    "GET /campaigns/{campaign_id}/schedule": STAFF,
    "GET /campaigns/{campaign_id}/schedule.ics": STAFF,
    "POST /campaigns/{campaign_id}/submit": MANAGERS,
    "POST /campaigns/{campaign_id}/publish": MANAGERS,
    # approving (never one's own campaign: checked by the approval itself)
    "POST /campaigns/{campaign_id}/approve": APPROVING_ROLES,
    # tips: text and triage for tip readers, aggregated counts for more
    "GET /tips": TIP_READERS,
    "GET /tips/{tip_id}": TIP_READERS,
    "POST /tips/{tip_id}/triage": TIP_READERS,
    "POST /tips/{tip_id}/refer": TIP_READERS,
    "GET /api/tips": TIP_READERS,
    "GET /api/campaigns/{campaign_id}/tips": TIP_COUNT_READERS,
    # outcomes
    "GET /outcomes/{campaign_id}": OUTCOME_READERS,
    "GET /api/outcomes/{campaign_id}": OUTCOME_READERS,
    "GET /portfolio": frozenset({Role.DIRECTOR, Role.ADMIN}),  # every campaign's outcomes
    "GET /admin": frozenset({Role.ADMIN}),  # users, keys, channels, flows: never a secret
    # partner overlays: a partner's only pages; a result is its owner's alone (checked by the route)
    "GET /overlay": OVERLAY_USERS,
    "POST /overlay": OVERLAY_USERS,
    "GET /overlay/{key}": OVERLAY_USERS,
    "GET /overlay/{key}/ranked.csv": OVERLAY_USERS,
    "GET /overlay/{key}/ranked.xlsx": OVERLAY_USERS,
    "GET /overlay/{key}/summary.csv": OVERLAY_USERS,
    "GET /overlay/{key}/map": OVERLAY_USERS,
    "GET /overlay/{key}/map.png": OVERLAY_USERS,
    "POST /overlay/{key}/delete": OVERLAY_USERS,
}


def routes(app: Any) -> list[tuple[str, str]]:
    """Every ``(METHOD, path)`` the app answers, from its own routes (mounts such as static excepted)."""
    found: list[tuple[str, str]] = []

    def walk(items: Any) -> None:
        for route in items:
            inner = getattr(route, "original_router", None)  # a router included into the app
            if inner is not None:
                walk(inner.routes)
            elif getattr(route, "methods", None):
                found.extend((m, route.path) for m in sorted(route.methods) if m != "HEAD")

    walk(app.routes)
    return found


def key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def allowed(entry: str, role: str | None) -> bool:
    """Whether a user of ``role`` (None: not signed in) may use the route ``entry``."""
    access = TABLE[entry]
    if access is PUBLIC:
        return True
    assert isinstance(access, frozenset)
    return role is not None and role in access
