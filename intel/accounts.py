"""Accounts: passwords, staff sessions, one-time links, personal tokens and grants.

Every secret handed to a person (a session cookie, a set-password link, a personal token) is a
random token of 256 bits; the store keeps only its SHA-256, so a copy of the database signs no
one in. Passwords are hashed with Argon2 (pwdlib); a password is never stored, logged or echoed.

Who a person is gets proven in one of these ways, and only these:

- a **password** (``verify_password``): the web sign-in form and the command line's prompt;
- a **session** (``session_user``): the browser's cookie after sign-in, with an absolute expiry
  and an idle timeout;
- a **personal token** (``token_user``): made by ``counterflow login`` after the password, for
  scripts and for people who do not want to type it for every command;
- a **grant** (``spend_grant``): a one-use permission for one purpose (plan, approve, triage),
  made by a face after it checked the person's password or token, so that a flow run can act for
  that person without a secret among its parameters.

>>> len(new_token()) >= 43 and new_token() != new_token()
True
>>> token_hash("abc") == token_hash("abc") != token_hash("abd")
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Literal

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, col, delete, select

from intel.errors import CommandHint, CounterflowError, Forbidden
from intel.models import AuditEvent, Credential, StaffSession, User, utcnow

#: Argon2id with pwdlib's defaults (RFC 9106's second recommended option: 64 MiB, 3 passes).
HASHER = PasswordHash((Argon2Hasher(),))
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing a megabyte "password" is a cheap way to load the server
SESSION_LIFETIME = dt.timedelta(hours=12)
SESSION_IDLE = dt.timedelta(hours=2)
LINK_LIFETIME = dt.timedelta(hours=72)
TOKEN_LIFETIME = dt.timedelta(days=30)
GRANT_LIFETIME = dt.timedelta(hours=24)
Purpose = Literal["plan", "approve", "triage"]
PURPOSES: tuple[Purpose, ...] = ("plan", "approve", "triage")
# A hash of nothing anyone knows: an unknown user costs as much time as a wrong password.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(32))


class NotAuthenticated(CounterflowError):
    """The person could not be identified (401): no, a wrong or an expired credential."""

    status = 401


def new_token() -> str:
    """A random token for a cookie, a link or the command line (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _audit(session: Session, *, actor: str, action: str, user: User, **detail: object) -> None:
    session.add(AuditEvent(actor=actor, action=action, object_type="user", object_id=user.id, detail=detail))


def find_user(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name.strip())).first()


# --- passwords ------------------------------------------------------------------------------


def check_password_rules(password: str, *, name: str) -> None:
    """Refuse a password that is too short, too long or the user's own name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CounterflowError(
            f"the password has {len(password)} characters",
            f"choose one of at least {MIN_PASSWORD_LENGTH} characters (a few words make a good one)",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise CounterflowError(
            f"the password has {len(password)} characters", f"choose one of at most {MAX_PASSWORD_LENGTH}"
        )
    if name.strip().casefold() in password.casefold():
        raise CounterflowError("the password contains the user name", "choose one that does not")


def set_password(session: Session, *, user: User, password: str, actor: str | None = None) -> None:
    """Hash and store ``user``'s new password; every session and token of theirs ends."""
    check_password_rules(password, name=user.name)
    user.password_hash = HASHER.hash(password)
    user.password_set_at = utcnow()
    session.add(user)
    end_sessions(session, user=user)
    session.exec(delete(Credential).where(col(Credential.user_id) == user.id))  # type: ignore[call-overload]
    _audit(session, actor=actor or user.name, action="user.password_set", user=user)
    session.flush()


def verify_password(session: Session, *, name: str, password: str) -> User:
    """The user ``name`` if ``password`` is theirs; one refusal for every way it can fail."""
    user = find_user(session, name) if name.strip() else None
    stored = user.password_hash if user is not None else None
    ok = HASHER.verify(password[:MAX_PASSWORD_LENGTH], stored or _DUMMY_HASH)
    if user is None or stored is None or not ok or len(password) > MAX_PASSWORD_LENGTH:
        raise NotAuthenticated(
            "the user name or the password is wrong",
            "check both and try again; an admin can send you a new set-password link",
            hint=CommandHint("users set-password", "NAME"),
        )
    return user


# --- one-time set-password links ------------------------------------------------------------


def issue_password_link(session: Session, *, user: User, actor: str) -> str:
    """A one-time token with which ``user`` sets their password (valid ``LINK_LIFETIME``)."""
    token = new_token()
    session.add(
        Credential(
            secret_hash=token_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            kind="set_password",
            expires_at=utcnow() + LINK_LIFETIME,
        )
    )
    _audit(session, actor=actor, action="user.password_link", user=user)
    session.flush()
    return token


def _live_credential(session: Session, token: str, kind: str) -> Credential | None:
    row = session.exec(
        select(Credential).where(Credential.secret_hash == token_hash(token), Credential.kind == kind)
    ).first()
    if row is None or row.used_at is not None or _aware(row.expires_at) <= utcnow():
        return None
    return row


def password_link_user(session: Session, *, token: str) -> User | None:
    """Whose link ``token`` is, while it is unused and unexpired."""
    row = _live_credential(session, token, "set_password")
    return session.get(User, row.user_id) if row else None


def redeem_password_link(session: Session, *, token: str, password: str) -> User:
    """Set the password of the link's user; the link then is spent."""
    row = _live_credential(session, token, "set_password")
    user = session.get(User, row.user_id) if row else None
    if row is None or user is None:
        raise NotAuthenticated(
            "this set-password link is unknown, used or expired", "ask an admin for a new link"
        )
    set_password(session, user=user, password=password)  # deletes the user's credentials, this one too
    return user


# --- staff sessions -------------------------------------------------------------------------


def open_session(session: Session, *, user: User, now: dt.datetime | None = None) -> str:
    """A new browser session for ``user``; returns the token for the cookie."""
    now = now or utcnow()
    token = new_token()
    session.add(
        StaffSession(
            id=token_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    _audit(session, actor=user.name, action="user.signed_in", user=user)
    session.flush()
    return token


def session_user(session: Session, *, token: str, now: dt.datetime | None = None) -> User | None:
    """The user of a live session (and the session is seen now), else None (and it is removed)."""
    now = now or utcnow()
    row = session.get(StaffSession, token_hash(token))
    if row is None:
        return None
    if _aware(row.expires_at) <= now or _aware(row.last_seen_at) + SESSION_IDLE <= now:
        session.delete(row)
        return None
    if now - _aware(row.last_seen_at) > dt.timedelta(minutes=1):  # one write a minute at most
        row.last_seen_at = now
        session.add(row)
    return session.get(User, row.user_id)


def close_session(session: Session, *, token: str) -> None:
    """Sign out: the session is removed from the store."""
    row = session.get(StaffSession, token_hash(token))
    if row is not None:
        user = session.get(User, row.user_id)
        session.delete(row)
        if user is not None:
            _audit(session, actor=user.name, action="user.signed_out", user=user)


def end_sessions(session: Session, *, user: User) -> None:
    session.exec(delete(StaffSession).where(col(StaffSession.user_id) == user.id))  # type: ignore[call-overload]


# --- personal tokens and grants -------------------------------------------------------------


def issue_token(session: Session, *, user: User) -> str:
    """A personal token for the command line (valid ``TOKEN_LIFETIME``); returns it once."""
    token = new_token()
    session.add(
        Credential(
            secret_hash=token_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            kind="token",
            expires_at=utcnow() + TOKEN_LIFETIME,
        )
    )
    _audit(session, actor=user.name, action="user.token_issued", user=user)
    session.flush()
    return token


def token_user(session: Session, *, token: str) -> User:
    """The owner of a live personal token."""
    row = _live_credential(session, token.strip(), "token")
    user = session.get(User, row.user_id) if row else None
    if user is None:
        raise NotAuthenticated(
            "the personal token is unknown or expired",
            "sign in again to get a new token, or unset the token to type your password",
            hint=CommandHint("login", "NAME"),
        )
    return user


def revoke_token(session: Session, *, token: str) -> None:
    session.exec(delete(Credential).where(col(Credential.secret_hash) == token_hash(token.strip())))  # type: ignore[call-overload]


def issue_grant(session: Session, *, user: User, purpose: Purpose) -> int:
    """A one-use permission for a flow run to ``purpose`` as ``user`` (who proved who they are).

    The grant's id is not a secret: it can be spent only once, only for ``purpose``, only as
    ``user`` and only within ``GRANT_LIFETIME``.
    """
    if purpose not in PURPOSES:
        raise CounterflowError(f"purpose was {purpose!r}", f"use one of {', '.join(PURPOSES)}")
    row = Credential(
        user_id=user.id,  # type: ignore[arg-type]
        kind="grant",
        purpose=purpose,
        expires_at=utcnow() + GRANT_LIFETIME,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def spend_grant(session: Session, *, grant_id: int, purpose: Purpose, name: str | None = None) -> User:
    """The user of grant ``grant_id`` for ``purpose`` (and ``name``, if given); the grant is spent.

    The row is locked while it is spent (PostgreSQL), so two runs cannot spend one grant.
    """
    row = session.exec(
        select(Credential).where(Credential.id == grant_id, Credential.kind == "grant").with_for_update()
    ).first()
    user = session.get(User, row.user_id) if row else None
    if (
        row is None
        or user is None
        or row.purpose != purpose
        or row.used_at is not None
        or _aware(row.expires_at) <= utcnow()
    ):
        raise Forbidden(
            f"grant {grant_id} does not allow to {purpose} (unknown, spent, expired or for another purpose)",
            "start the run again: the person it acts for proves who they are when it starts",
        )
    if name is not None and not hmac.compare_digest(user.name.encode(), name.strip().encode()):
        raise Forbidden(
            f"grant {grant_id} is for {user.name}, not for {name}",
            "start the run as the person who acts, with their own password or token",
        )
    row.used_at = utcnow()
    session.add(row)
    session.flush()
    return user
