"""The API's documentation: Swagger UI from this server's own static files (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse

router = APIRouter()

SWAGGER = "/static/vendor/swagger-ui"


@router.get("/api/docs", include_in_schema=False)
def api_docs() -> HTMLResponse:
    """Swagger UI on ``/api/openapi.json``; its script, stylesheet and icon come from this server,
    and its validator badge (which would fetch from a public server) is off."""
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="counterflow API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/docs", include_in_schema=False)
def docs() -> RedirectResponse:
    """Where people look first: the API's documentation."""
    return RedirectResponse("/api/docs", status_code=307)
