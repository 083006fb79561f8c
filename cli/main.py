"""The ``counterflow`` command line.

Each room of the house registers its commands from its own module; heavy
libraries are imported inside the commands so that ``--help`` stays fast.
Every error a user can fix is a ``CounterflowError``: printed as two lines
(the problem, the fix), a third with the command to run when the error carries a
``CommandHint``, and exit code 2; never as a traceback.
"""

from __future__ import annotations

import gc
import logging
import os
import sys

import typer

from cli.app import app
from intel.errors import CounterflowError


def _register() -> None:
    """Import every module of :mod:`cli.commands`: each adds its own commands to ``app``."""
    import importlib
    import pkgutil

    import cli.commands

    for info in pkgutil.iter_modules(cli.commands.__path__):
        importlib.import_module(f"cli.commands.{info.name}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register()
    try:
        app(args=argv, prog_name="counterflow")
    except CounterflowError as exc:
        typer.echo(f"error: {exc.problem}", err=True)
        typer.echo(f"  fix: {exc.fix}", err=True)
        if exc.hint is not None:
            typer.echo(f"  run: {exc.hint}", err=True)
        return 2
    except OverflowError:  # an id larger than the store's integers: there is no such object
        typer.echo("error: a number given is too large to be an id in the store", err=True)
        typer.echo("  fix: use an id that a list command printed (e.g. counterflow campaigns)", err=True)
        return 2
    except SystemExit as exc:  # click's own usage errors, --help, typer.Exit
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


#: The cyclic garbage collector's thresholds for a ``counterflow`` process: Python's first two
#: (young objects are collected as often as ever) and a full collection only after 1,000 of the
#: middle one's instead of 10. A command imports ~1,100 modules and may build a million rows of
#: objects; with the default the full collections scanned the same long-lived modules, classes
#: and tables again and again: 0.21 s of `counterflow hotspots` on a million reports (0.13 s of
#: its imports), 4 full collections, against none (measured with ``gc.callbacks``).
GC_THRESHOLDS = (700, 10, 1000)


def run() -> None:
    """Console-script wrapper: exit with ``main``'s code (the process's collector tuned first)."""
    gc.set_threshold(*GC_THRESHOLDS)
    # pydantic looks for plugins in the entry points of every installed distribution when the
    # first model is made (30 ms of every command); counterflow has none. PYDANTIC_DISABLE_PLUGINS
    # set to anything, even empty (then plugins load), is left as it is.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    sys.exit(main())


if __name__ == "__main__":
    run()
