"""`counterflow web`: serve the web app (the only place outside tests that imports ``web``)."""

from __future__ import annotations

import ipaddress

import typer

from cli.app import app
from intel.errors import CounterflowError


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


@app.command()
def web(
    host: str = typer.Option(
        "127.0.0.1", help="Interface to listen on (beyond loopback only with sign-in on)."
    ),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the web app (sign-in, pages per role, the public tip form, the JSON API) with uvicorn.

    The access log is off: the tip form promises not to record IP addresses.
    """
    import uvicorn

    from intel.settings import get_settings
    from web.app import create_app

    if not 0 < port < 65536:
        raise CounterflowError(f"--port was {port}", "use a port between 1 and 65535, e.g. 8000")
    settings = get_settings()
    if not settings.sign_in and not _loopback(host):
        raise CounterflowError(
            f"sign-in is off, and --host {host} would open the staff pages beyond this machine",
            "turn sign-in on (COUNTERFLOW_SIGN_IN=true, the default), or listen on 127.0.0.1 only",
            status=403,
        )
    settings.tip_keys()  # a malformed, empty or missing key stops the server now, not at the first tip
    application = create_app(settings)
    typer.echo(f"counterflow web on http://{host}:{port}/ (store: {settings.home}); Ctrl+C stops it")
    uvicorn.run(application, host=host, port=port, access_log=False, log_level=settings.log_level.lower())
