"""`counterflow web`: serve the web app (the only place outside tests that imports ``web``)."""

from __future__ import annotations

import typer

from cli.app import app
from intel.errors import CounterflowError


@app.command()
def web(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    trust_user_header: bool = typer.Option(
        False,
        "--trust-user-header",
        help="In production, accept user names from X-Counterflow-User / HTTP Basic (only behind an authenticating proxy).",
    ),
) -> None:
    """Serve the web app (pages per role, the public tip form, the JSON API) with uvicorn.

    The access log is off: the tip form promises not to record IP addresses.
    """
    import uvicorn

    from intel.settings import get_settings
    from web.app import create_app

    if not 0 < port < 65536:
        raise CounterflowError(f"--port was {port}", "use a port between 1 and 65535, e.g. 8000")
    settings = get_settings()
    application = create_app(settings, trust_user_header=True if trust_user_header else None)
    typer.echo(f"counterflow web on http://{host}:{port}/ (store: {settings.home}); Ctrl+C stops it")
    uvicorn.run(application, host=host, port=port, access_log=False, log_level=settings.log_level.lower())
