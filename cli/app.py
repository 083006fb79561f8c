"""The Typer application that every command module of :mod:`cli.commands` adds its commands to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="counterflow",
    help="Turn trafficking intelligence into geo-targeted awareness campaigns, and learn from what comes back.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
