"""Who is asking: the staff session, a trusted proxy's header, CSRF tokens and the sign-in throttle.

- A **session** begins at the sign-in form (or single sign-on, ``web.routes.signin``): the
  cookie ``counterflow_session`` holds a random token (HttpOnly, SameSite=Lax, Secure over
  https); the store keeps its hash, with an expiry (``intel.accounts``).
- A **trusted header** ``X-Counterflow-User`` names the user only when the settings trust it
  *and* the request comes from one of ``trusted_proxies``; from anywhere else it is refused.
- Every state-changing staff request carries a **CSRF token** (a form field ``csrf_token`` or
  the header ``X-CSRF-Token``) derived from the session; the Origin check of ``web.app`` stays.
- Sign-in failures are **throttled** per account and per client; the client is known only by
  a keyed hash of its address, kept in this process's memory (never stored or logged).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from types import SimpleNamespace

from fastapi import Request
from sqlmodel import Session

from intel.accounts import NotAuthenticated, find_user, session_user
from intel.errors import CounterflowError, Forbidden
from intel.models import User
from intel.roles import role_names
from intel.settings import Settings
from web import permissions

USER_HEADER = "X-Counterflow-User"
SESSION_COOKIE = "counterflow_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Public pages that still show who is signed in (the tip form and its API never look).
USER_AWARE_PUBLIC = frozenset({"GET /", "GET /welcome", "GET /signin", "POST /signout"})


def csrf_for(secret: str) -> str:
    """The CSRF token of a session (or of a header user), derived so that nothing is stored."""
    return hmac.new(secret.encode(), b"counterflow csrf", hashlib.sha256).hexdigest()


def route_key(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return permissions.key(request.method, path)


def _from_trusted_proxy(request: Request, settings: Settings) -> bool:
    if not (settings.trust_user_header and settings.trusted_proxies and request.client):
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies)


def _header_user(request: Request, session: Session, name: str) -> User:
    settings: Settings = request.app.state.settings
    if not _from_trusted_proxy(request, settings):
        raise Forbidden(
            f"the {USER_HEADER} header is accepted only from a trusted proxy",
            "sign in with your user name and password on the sign-in page",
        )
    user = find_user(session, name)
    if user is None:
        raise Forbidden(f"user {name.strip()!r} is not known", "ask an admin to add you as a user")
    request.state.csrf = csrf_for(request.app.state.csrf_secret + "\0" + user.name)
    return user


def current_user(request: Request, session: Session) -> User | None:
    """The signed-in user of this request, or None; resolved once per request."""
    if hasattr(request.state, "user_row"):
        user: User | None = request.state.user_row
        return user
    user = None
    key = route_key(request)
    if permissions.TABLE.get(key) is not permissions.PUBLIC or key in USER_AWARE_PUBLIC:
        header = request.headers.get(USER_HEADER)
        token = request.cookies.get(SESSION_COOKIE)
        if header is not None:
            user = _header_user(request, session, header)
        elif token:
            user = session_user(session, token=token)
            if user is None:
                session.commit()  # an expired session is removed, even though this request fails
            else:
                request.state.csrf = csrf_for(token)
                request.state.session_token = token
    request.state.user_row = user
    if user is not None:
        # A plain copy, so that an error page (after the session rolled back) still shows who it is.
        request.state.user = SimpleNamespace(name=user.name, role=user.role)
    return user


async def check_csrf(request: Request) -> None:
    expected = getattr(request.state, "csrf", None)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden(
            "the form's security token is missing or out of date",
            "reload the page and send the form again",
        )


async def authorize(request: Request, session: Session) -> None:
    """Check the permission table (and the CSRF token of a change) before the route runs."""
    key = route_key(request)
    if key not in permissions.TABLE:
        raise CounterflowError(
            f"{key} has no entry in the permission table",
            "an admin must add it to the web app's permission table before it can be used",
            status=500,
        )
    access = permissions.TABLE[key]
    user = current_user(request, session)
    if access is permissions.PUBLIC:
        return
    if user is None:
        raise NotAuthenticated(
            "this page is for staff and you are not signed in", "sign in with your user name and password"
        )
    if not permissions.allowed(key, user.role):
        assert isinstance(access, frozenset)
        raise Forbidden(
            f"user {user.name!r} has the role {user.role!r}, and this page is for {role_names(access)}",
            "ask a colleague with that role, or an admin to change your role",
        )
    if request.method not in SAFE_METHODS:
        await check_csrf(request)


class ClientKeys:
    """Who a client is, without knowing its address: ``HMAC(process key, address)``.

    The key is random per process and held only in its memory, so a client key cannot be turned
    back into an address, and nothing survives a restart. Every per-client limit uses this.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __call__(self, address: str | None) -> str:
        return "c:" + hmac.new(self._key, (address or "").encode(), hashlib.sha256).hexdigest()


class SignInThrottle:
    """Failed sign-ins per account and per client within a window; memory only, never stored.

    A client is known only by its ``ClientKeys`` hash.
    """

    def __init__(self, *, per_account: int = 5, per_client: int = 20, window: float = 900.0) -> None:
        self.per_account, self.per_client, self.window = per_account, per_client, window
        self._client = ClientKeys()
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, name: str | None, address: str | None) -> list[tuple[str, int]]:
        client = (self._client(address), self.per_client)
        if name is None:  # single sign-on before the issuer named anyone: the client only
            return [client]
        return [("a:" + name.strip().casefold(), self.per_account), client]

    def wait(self, name: str | None, address: str | None) -> float:
        """Seconds until this account (None: any) and client may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            longest = 0.0
            for k, limit in self._keys(name, address):
                recent = [t for t in self._failures.get(k, []) if now - t < self.window]
                if len(recent) >= limit:
                    longest = max(longest, self.window - (now - recent[-limit]))
            return longest

    def failed(self, name: str | None, address: str | None) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 100_000:  # bounded memory under a spray of names
                self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < self.window}
            for k, limit in self._keys(name, address):
                recent = [t for t in self._failures.get(k, []) if now - t < self.window]
                self._failures[k] = [*recent, now][-limit:]

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(name, None)[0][0], None)
