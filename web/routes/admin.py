"""The admin page: users and roles, the tip keys, the channel and the scheduled flows.

Never a secret: a user shows whether a password is set and whether a one-time link is open, not
the hash or the token; the tip keys show how many there are, a short fingerprint of the newest
(the first 8 hex digits of its SHA-256, from which the key cannot be recovered) and whether any
stored tip is unreadable with them, not the keys; the channel shows the ad account and page, and
only whether an access token is set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.fernet import InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, func, select

from intel import tipkeys
from intel.models import Credential, StaffSession, Tip, User, utcnow
from intel.settings import Settings
from web.deps import SessionDep, SettingsDep, UserDep
from web.templating import render

router = APIRouter()

#: Tips whose encryption is checked against the keys (the newest first); older ones are counted.
TIPS_CHECKED = 5000
#: How long the page waits for a Prefect API before saying it is unreachable.
PREFECT_TIMEOUT = 1.5


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass
class UserRow:
    name: str
    role: str
    has_password: bool
    password_set_at: dt.datetime | None
    open_link: bool
    sessions: int
    tokens: int


def users_state(session: Session) -> list[UserRow]:
    """Every user with their role, whether a password is set, an open one-time link, live
    sessions and personal tokens (counts only)."""
    now = utcnow()
    creds: dict[tuple[int, str], int] = {}
    for row in session.exec(
        select(Credential.user_id, Credential.kind, Credential.expires_at).where(
            col(Credential.used_at).is_(None)
        )
    ).all():
        user_id, kind, expires = row
        expires_at = _aware(expires)
        if expires_at is not None and expires_at > now:
            creds[(user_id, kind)] = creds.get((user_id, kind), 0) + 1
    sessions: dict[int, int] = {}
    for user_id, expires in session.exec(select(StaffSession.user_id, StaffSession.expires_at)).all():
        expires_at = _aware(expires)
        if expires_at is not None and expires_at > now:
            sessions[user_id] = sessions.get(user_id, 0) + 1
    out = []
    for u in session.exec(select(User).order_by(col(User.role), col(User.name))).all():
        assert u.id is not None
        out.append(
            UserRow(
                name=u.name,
                role=u.role,
                has_password=u.password_hash is not None,
                password_set_at=u.password_set_at,
                open_link=creds.get((u.id, "set_password"), 0) > 0,
                sessions=sessions.get(u.id, 0),
                tokens=creds.get((u.id, "token"), 0),
            )
        )
    return out


@dataclass
class KeysState:
    source: str  # where the keys come from
    count: int = 0
    newest_fingerprint: str | None = None
    file_changed_at: dt.datetime | None = None
    problem: str | None = None
    tips: int = 0
    checked: int = 0
    unreadable: int = 0
    newest_tip_encrypted_at: dt.datetime | None = None


def fingerprint(key: bytes) -> str:
    """A short, one-way name of a key: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def keys_state(session: Session, settings: Settings) -> KeysState:
    """How many tip keys there are, the newest's fingerprint and whether every stored tip (the
    newest ``TIPS_CHECKED``) opens with them; nothing is created or decrypted."""
    keys: list[bytes] = []
    if settings.tip_key is not None:
        state = KeysState(source="the environment (COUNTERFLOW_TIP_KEY)")
    else:
        path = settings.tip_key_path
        state = KeysState(source=f"the key file {path}")
        if path.exists():
            state.file_changed_at = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    try:
        if settings.tip_key is not None:
            keys = tipkeys.parse_keys(settings.tip_key.get_secret_value(), where="COUNTERFLOW_TIP_KEY")
        elif settings.tip_key_path.exists():
            keys = tipkeys.read(settings.tip_key_path)
        else:
            state.problem = "no key file yet: one is made when the first tip arrives (outside production)"
    except tipkeys.TipKeyError as e:
        state.problem = e.problem
    state.count = len(keys)
    if keys:
        state.newest_fingerprint = fingerprint(keys[0])
    state.tips = session.exec(select(func.count()).select_from(Tip)).one()
    if keys and state.tips:
        fernet = tipkeys.multi(keys)
        rows = session.exec(select(Tip.text_encrypted).order_by(col(Tip.id).desc()).limit(TIPS_CHECKED)).all()
        newest: int | None = None
        for token in rows:
            try:
                # checks the signature under each key without decrypting the text
                at = fernet.extract_timestamp(bytes(token))
                newest = at if newest is None else max(newest, at)
            except InvalidToken:
                state.unreadable += 1
        state.checked = len(rows)
        if newest is not None:
            state.newest_tip_encrypted_at = dt.datetime.fromtimestamp(newest, dt.UTC)
    elif state.tips:
        state.unreadable = state.checked = min(state.tips, TIPS_CHECKED)
    return state


def channel_state(settings: Settings) -> dict[str, Any]:
    """The configured channel: the dry-run outbox's folder, or the Graph API's account and page
    (and only whether a token and app secret are set)."""
    if settings.channel == "outbox":
        return {"channel": "outbox", "folder": str(settings.home / "outbox")}
    return {
        "channel": settings.channel,
        "ad_account_id": settings.facebook_ad_account_id,
        "page_id": settings.facebook_page_id,
        "app_id": settings.facebook_app_id,
        "api_version": settings.facebook_api_version,
        "graph_url": settings.facebook_graph_url or "https://graph.facebook.com",
        "token_set": settings.facebook_access_token is not None,
        "app_secret_set": settings.facebook_app_secret is not None,
    }


@dataclass
class FlowsState:
    api_url: str | None
    reachable: bool = False
    problem: str | None = None
    deployments: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)


def _safe_url(url: str) -> str:
    """A URL without any user:password it may carry."""
    parts = httpx.URL(url)
    return str(parts.copy_with(username=None, password=None)) if parts.userinfo else url


def flows_state(api_url: str | None = None, *, timeout: float = PREFECT_TIMEOUT) -> FlowsState:
    """The deployments and latest flow runs of the Prefect API at ``PREFECT_API_URL``."""
    url = api_url if api_url is not None else os.environ.get("PREFECT_API_URL")
    if not url:
        return FlowsState(api_url=None)
    state = FlowsState(api_url=_safe_url(url))
    base = url.rstrip("/")
    headers = {}
    if os.environ.get("PREFECT_API_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['PREFECT_API_KEY']}"
    try:
        with httpx.Client(timeout=timeout, headers=headers) as client:
            deps = client.post(f"{base}/deployments/filter", json={"limit": 50})
            deps.raise_for_status()
            runs = client.post(f"{base}/flow_runs/filter", json={"limit": 20, "sort": "START_TIME_DESC"})
            runs.raise_for_status()
    except (httpx.HTTPError, ValueError) as e:
        state.problem = f"{type(e).__name__}: the Prefect API did not answer as expected"
        return state
    state.reachable = True
    names = {}
    for d in deps.json():
        schedules = [
            (s.get("schedule") or {}).get("cron") or (s.get("schedule") or {}).get("interval")
            for s in d.get("schedules") or []
        ]
        names[d.get("id")] = d.get("name")
        state.deployments.append(
            {
                "name": d.get("name"),
                "schedule": ", ".join(str(s) for s in schedules if s) or "on demand",
                "paused": bool(d.get("paused")),
            }
        )
    for r in runs.json():
        state.runs.append(
            {
                "name": r.get("name"),
                "deployment": names.get(r.get("deployment_id"), "–"),
                "state": r.get("state_name") or (r.get("state") or {}).get("name"),
                "started": r.get("start_time") or r.get("expected_start_time"),
            }
        )
    return state


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, session: SessionDep, user: UserDep, settings: SettingsDep) -> HTMLResponse:
    """Users and roles, the tip keys, the channel and the scheduled flows (never a secret)."""
    from flows.deployments import SCHEDULES  # what counterflow serves (imports Prefect: on first use)

    return render(
        request,
        "admin.html",
        user=user,
        users=users_state(session),
        keys=keys_state(session, settings),
        channel=channel_state(settings),
        flows=flows_state(),
        schedules=[(flow, name, cron, text) for flow, (name, cron, text) in SCHEDULES.items()],
        settings_env=settings.environment,
    )
