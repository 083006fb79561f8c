"""The FastAPI application factory.

``create_app(settings)`` builds the app on the store of ``settings``: server-rendered pages per
role, the public tip form, the JSON API under ``/api``, vendored static files (no CDN) and one
error handler. Pages set no cookies.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from intel.db import get_engine
from intel.errors import Forbidden
from intel.settings import Settings, get_settings
from web import errors
from web.routes import api, campaigns, home, hotspots, outcomes, public, tips
from web.tipform import RateLimiter

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_POSTS = frozenset({"/tip", "/api/tips"})  # and every /t/<code>
STATIC = Path(__file__).parent / "static"

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
    trust_user_header: bool | None = None,
    tip_rate_limit: int = 30,
) -> FastAPI:
    """Build the web app.

    Parameters
    ----------
    settings
        Settings of the store and environment (default: from the environment).
    trust_user_header
        Accept user names from ``X-Counterflow-User`` / HTTP Basic (a placeholder for real
        auth). Default: yes, except in the ``production`` environment.
    tip_rate_limit
        Tips accepted per minute by this process (form and API together).
    """
    settings = settings or get_settings()
    header_auth = settings.environment != "production" if trust_user_header is None else trust_user_header
    app = FastAPI(title="counterflow", docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.engine = get_engine(settings)
    app.state.header_auth = header_auth
    app.state.tip_limiter = RateLimiter(limit=tip_rate_limit, window=60.0)
    if not header_auth:
        log.warning(
            "staff pages are closed: no trusted user header in the %s environment", settings.environment
        )

    @app.middleware("http")
    async def _same_origin(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Staff changes ride on HTTP Basic or a proxy's header, which a browser sends along with a
        # forged cross-site form: refuse state changes whose Origin is another site.
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
        if "set-cookie" in response.headers:  # nothing here sets cookies; keep it that way
            del response.headers["set-cookie"]
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (home, hotspots, campaigns, tips, outcomes, public, api):
        app.include_router(module.router)
    errors.install(app)
    return app
