"""The ``counterflow`` command line.

Each room of the house registers its commands from its own module; heavy
libraries are imported inside the commands so that ``--help`` stays fast.
Every error a user can fix is a ``CounterflowError``: printed as two lines
(the problem, the fix) with exit code 2, never as a traceback.
"""

from __future__ import annotations

import logging
import sys

import typer

from intel.errors import CounterflowError

app = typer.Typer(
    name="counterflow",
    help="Turn trafficking intelligence into geo-targeted awareness campaigns, and learn from what comes back.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def keygen() -> None:
    """Print a new key for COUNTERFLOW_TIP_KEY (encrypts tip text at rest)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@app.command()
def upgrade() -> None:
    """Create or migrate the store to the latest schema."""
    from intel.db import get_engine, table_names
    from intel.settings import get_settings

    settings = get_settings()
    engine = get_engine(settings)
    typer.echo(
        f"store ready: {engine.url.render_as_string(hide_password=True)} ({len(table_names(engine))} tables)"
    )


def _register() -> None:
    # Imported for their side effect: each module adds its commands to `app`.
    from flows import (  # noqa: F401
        cli_campaigns,
        cli_hotspots,
        cli_intel,
        cli_loop,
        cli_publish,
        cli_web,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register()
    try:
        app(args=argv, prog_name="counterflow")
    except CounterflowError as exc:
        typer.echo(f"error: {exc.problem}", err=True)
        typer.echo(f"  fix: {exc.fix}", err=True)
        return 2
    except OverflowError:  # an id larger than the store's integers: there is no such object
        typer.echo("error: a number given is too large to be an id in the store", err=True)
        typer.echo("  fix: use an id that a list command printed (e.g. counterflow campaigns)", err=True)
        return 2
    except SystemExit as exc:  # click's own usage errors, --help, typer.Exit
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """Console-script wrapper: exit with ``main``'s code."""
    sys.exit(main())
