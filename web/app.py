"""The FastAPI application factory.

``create_app(settings)`` builds the app on the store of ``settings``: server-rendered pages per
role, the public tip form, the JSON API under ``/api``, vendored static files (no CDN) and one
error handler. Only the sign-in pages set a cookie (the staff session's); the public pages none.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from intel.db import get_engine
from intel.errors import CounterflowError, Forbidden
from intel.settings import Settings, get_settings
from web import errors
from web.auth import SESSION_COOKIE, SignInThrottle
from web.bodylimit import MAX_BODY, MAX_UPLOAD, BodyLimit
from web.deps import authorize
from web.oidc import PENDING_COOKIE, SingleSignOn
from web.routes import (
    admin,
    analysis,
    api,
    campaigns,
    docs,
    figures,
    home,
    hotspots,
    imports,
    manage,
    outcomes,
    overlay,
    portfolio,
    public,
    signin,
    tips,
)
from web.tipform import TipLimiter

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_POSTS = frozenset({"/tip", "/api/tips"})  # and every /t/<code>
STATIC = Path(__file__).parent / "static"
COOKIES = (f"{SESSION_COOKIE}=", f"{PENDING_COOKIE}=")

#: Everything is served from this origin; inline script/style only for folium's map page.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)


def _public_post(path: str) -> bool:
    return path in PUBLIC_POSTS or (path.startswith("/t/") and path.count("/") == 2)


def create_app(
    settings: Settings | None = None,
    *,
    tip_rate_limit: int = 10,
    tip_ceiling: int = 300,
    max_body: int = MAX_BODY,
    max_upload: int = MAX_UPLOAD,
) -> FastAPI:
    """Build the web app.

    Parameters
    ----------
    settings
        Settings of the store and environment (default: from the environment); who may sign in
        and how (``sign_in``, ``trust_user_header``, ``trusted_proxies``, ``oidc_*``).
    tip_rate_limit
        Tips accepted per minute from one client (form and API together); a client is known
        only by a keyed hash of its address, held in memory.
    tip_ceiling
        Tips accepted per minute by this process from all clients together (a backstop).
    max_body
        Largest request body accepted, in bytes; checked before the body is read (413).
    max_upload
        Largest file upload accepted (``POST /imports``), in bytes, checked the same way.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="counterflow",
        docs_url=None,  # served by web.routes.docs from local files: the CDN default breaks the CSP
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(authorize)],  # the permission table, before every route
    )
    app.state.settings = settings
    app.state.max_upload = max_upload
    app.state.engine = get_engine(settings)
    app.state.tip_limiter = TipLimiter(per_client=tip_rate_limit, ceiling=tip_ceiling, window=60.0)
    app.state.signin_throttle = SignInThrottle()
    app.state.sso = SingleSignOn(settings) if settings.oidc_enabled else None
    app.state.csrf_secret = secrets.token_urlsafe(32)  # CSRF tokens of header users, per process
    if not settings.sign_in and not settings.trust_user_header:
        log.warning("staff pages are closed: sign-in is off and no proxy's user header is trusted")

    # Added first, so it runs inside the header middleware (its 413 carries the usual headers)
    # and before anything reads a body.
    app.add_middleware(BodyLimit, max_bytes=max_body, larger={"/imports": max_upload, "/overlay": max_upload})

    @app.middleware("http")
    async def _no_nul(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # No address or query holds a NUL byte for a reason, and PostgreSQL cannot compare text
        # with one (the query fails): refused here, the same on every store.
        if "\x00" in request.url.path or "%00" in request.url.query:
            error = CounterflowError(
                "the address holds a NUL byte (%00)", "remove it from the address and try again", status=400
            )
            return errors.render_error(request, error)
        return await call_next(request)

    @app.middleware("http")
    async def _same_origin(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # A browser sends the session cookie (or passes through a proxy that adds the user header)
        # along with a forged cross-site form: besides the CSRF token, refuse state changes whose
        # Origin is another site.
        if request.method not in SAFE_METHODS and not _public_post(request.url.path):
            origin = request.headers.get("origin")
            fetch_site = request.headers.get("sec-fetch-site")
            host = request.headers.get("host", "")
            if (origin and urlsplit(origin).netloc != host) or fetch_site == "cross-site":
                error = Forbidden(
                    f"a {request.method} to {request.url.path} came from another site ({origin or fetch_site})",
                    "use the form on this site's own page",
                )
                return errors.render_error(request, error)
        return await call_next(request)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # The staff session cookie (and single sign-on's pending one) are the only cookies, set
        # only by the sign-in pages; the public tip form and its API never set one.
        cookies = response.headers.getlist("set-cookie")
        keep = [c for c in cookies if c.startswith(COOKIES) and not _public_post(request.url.path)]
        if len(keep) != len(cookies):
            del response.headers["set-cookie"]
            for cookie in keep:
                response.headers.append("set-cookie", cookie)
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        home,
        signin,
        analysis,
        hotspots,
        imports,
        figures,
        manage,  # before campaigns: /campaigns/new is not a campaign id
        campaigns,
        tips,
        outcomes,
        overlay,
        portfolio,
        admin,
        public,
        api,
        docs,
    ):
        app.include_router(module.router)
    errors.install(app)
    return app
