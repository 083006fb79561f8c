"""Signing in and out, and setting a password through a one-time link.

The session cookie is set only here (as is single sign-on's short-lived pending cookie, see
``web.oidc``): HttpOnly, SameSite=Lax, Secure when the request came over https (or when the
settings say so). A failed sign-in says the same thing whether the name or the password was
wrong, and failures are throttled per account and per client (``web.auth.SignInThrottle``).
Single sign-on (``/signin/oidc``) ends in the same session as the password.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from intel.accounts import (
    SESSION_LIFETIME,
    NotAuthenticated,
    close_session,
    find_user,
    open_session,
    password_link_user,
    redeem_password_link,
    verify_password,
)
from intel.errors import CounterflowError, NotFound
from intel.models import User
from web import auth
from web.deps import OptionalUserDep, SessionDep, SettingsDep
from web.oidc import PENDING_COOKIE, PENDING_LIFETIME, PENDING_PATH, SignOnRefused, SingleSignOn
from web.templating import render

log = logging.getLogger(__name__)
router = APIRouter()
# Referrer-Policy stays the app's "same-origin": a set-password link's token then reaches no other
# site, and the browser still sends an Origin with the form (under "no-referrer" it sends "null",
# which the cross-site check refuses).
PRIVATE = {"Cache-Control": "no-store"}


def safe_next(value: str | None) -> str:
    """Only a path of this site: never ``//other.site`` or ``https://...`` (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    secure = settings.session_cookie_secure
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def start_session(request: Request, session: SessionDep, user: User, next_path: str) -> Response:
    token = open_session(session, user=user)
    session.commit()
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(request, response, token)
    response.headers.update(PRIVATE)
    return response


def _signin_page(
    request: Request, *, next_path: str, name: str = "", error: str | None = None, status: int = 200
) -> HTMLResponse:
    sso: SingleSignOn | None = request.app.state.sso
    response = render(
        request,
        "signin.html",
        status=status,
        next_path=safe_next(next_path),
        signin_name=name,
        error=error,
        sso_host=sso.host if sso else None,
    )
    response.headers.update(PRIVATE)
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, user: OptionalUserDep, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return _signin_page(request, next_path=next)


@router.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password; on success open a session and go on to ``next``."""
    if not settings.sign_in:
        raise CounterflowError(
            "sign-in with a password is turned off on this server",
            "sign in through your organisation's proxy, or ask an admin to turn sign-in on",
            status=403,
        )
    throttle: auth.SignInThrottle = request.app.state.signin_throttle
    client = request.client.host if request.client else None
    wait = throttle.wait(name, client)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return _signin_page(
            request,
            next_path=next,
            name=name,
            status=429,
            error=f"Too many failed sign-ins. Try again in {minutes} minutes.",
        )
    try:
        user = verify_password(session, name=name, password=password)
    except NotAuthenticated as err:
        throttle.failed(name, client)
        return _signin_page(
            request, next_path=next, name=name, status=401, error=err.problem.capitalize() + "."
        )
    throttle.succeeded(name)
    return start_session(request, session, user, next)


def _sso(request: Request) -> SingleSignOn:
    sso: SingleSignOn | None = request.app.state.sso
    settings = request.app.state.settings
    if sso is None:
        raise NotFound(
            "single sign-on is not configured on this server",
            "sign in with your user name and password",
        )
    if not settings.sign_in:
        raise CounterflowError(
            "sign-in is turned off on this server",
            "sign in through your organisation's proxy, or ask an admin to turn sign-in on",
            status=403,
        )
    return sso


def _refused(request: Request, err: CounterflowError, next_path: str) -> Response:
    response = _signin_page(
        request, next_path=next_path, status=err.status, error=f"{err.problem.capitalize()}. {err.fix.capitalize()}."
    )
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH, httponly=True, samesite="lax")
    return response


@router.get("/signin/oidc")
async def signin_oidc(request: Request, next: str = "/") -> Response:
    """Leave for the issuer's sign-in page (single sign-on), with state, nonce and PKCE."""
    sso = _sso(request)
    next_path = safe_next(next)
    try:
        url, sealed = await sso.start(
            redirect_uri=str(request.url_for("signin_oidc_callback")), next_path=next_path
        )
    except SignOnRefused as err:
        return _refused(request, err, next_path)
    response = RedirectResponse(url, status_code=303, headers=PRIVATE)
    secure = request.app.state.settings.session_cookie_secure
    response.set_cookie(
        PENDING_COOKIE,
        sealed,
        max_age=PENDING_LIFETIME,
        path=PENDING_PATH,
        httponly=True,
        samesite="lax",  # the issuer sends the browser back with a top-level GET: Lax lets it through
        secure=request.url.scheme == "https" if secure is None else secure,
    )
    return response


@router.get("/signin/oidc/callback")
async def signin_oidc_callback(request: Request, session: SessionDep) -> Response:
    """Back from the issuer: check its answer and the ID token, then sign in that user."""
    sso = _sso(request)
    throttle: auth.SignInThrottle = request.app.state.signin_throttle
    client = request.client.host if request.client else None
    next_path = "/"
    name: str | None = None
    if throttle.wait(None, client) > 0:
        error = CounterflowError(
            "too many failed sign-ins from this client", "try again in 15 minutes", status=429
        )
        return _refused(request, error, next_path)
    try:
        pending = sso.unseal(request.cookies.get(PENDING_COOKIE))
        next_path = pending.next_path
        params = {k: v for k, v in request.query_params.items() if k in ("state", "code", "error", "error_description")}
        name = await sso.finish(params=params, pending=pending)
        user = await run_in_threadpool(find_user, session, name)
        if user is None:
            raise SignOnRefused(
                f"{sso.host} signed you in as {name!r}, but no user of that name exists here",
                "ask an admin to add you with that name and your role (single sign-on never creates a user)",
                status=403,
            )
    except SignOnRefused as err:
        throttle.failed(name, client)
        log.info("single sign-on refused (%s)", err.status)
        return _refused(request, err, next_path)
    throttle.succeeded(user.name)
    response = await run_in_threadpool(start_session, request, session, user, next_path)
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH, httponly=True, samesite="lax")
    return response


@router.post("/signout")
async def signout(request: Request, session: SessionDep, user: OptionalUserDep) -> Response:
    """End the session (removed from the store) and clear the cookie."""
    token = getattr(request.state, "session_token", None)
    if token is not None:
        await auth.check_csrf(request)
        close_session(session, token=token)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/set-password/{token}", response_class=HTMLResponse)
def set_password_form(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    """The form behind a one-time set-password link."""
    user = password_link_user(session, token=token)
    if user is None:
        raise NotFound("this set-password link is unknown, used or expired", "ask an admin for a new link")
    response = render(
        request, "set_password.html", who=user.name, action=f"/set-password/{quote(token)}", error=None
    )
    response.headers.update(PRIVATE)
    return response


@router.post("/set-password/{token}")
def set_password(
    request: Request,
    session: SessionDep,
    token: str,
    password: Annotated[str, Form(max_length=4096)] = "",
    password2: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    """Set the password; the link is spent and the person signs in with it."""
    user = password_link_user(session, token=token)
    if user is None:
        raise NotFound("this set-password link is unknown, used or expired", "ask an admin for a new link")
    error = None
    if password != password2:
        error = "The two passwords differ."
    else:
        try:
            redeem_password_link(session, token=token, password=password)
        except CounterflowError as err:
            error = f"{err.problem.capitalize()}: {err.fix}."
    if error is not None:
        response: Response = render(
            request,
            "set_password.html",
            status=422,
            who=user.name,
            action=f"/set-password/{quote(token)}",
            error=error,
        )
        response.headers.update(PRIVATE)
        return response
    session.commit()
    response = RedirectResponse(f"/signin?next=/&name={quote(user.name)}", status_code=303)
    response.headers.update(PRIVATE)
    return response
