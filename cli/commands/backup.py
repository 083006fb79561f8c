"""`counterflow backup` and `counterflow restore`: a consistent copy of the store, and putting one back.

These are operator commands, like ``upgrade`` and ``keys rotate``: they ask for no counterflow
credential. Whoever can run them already holds what they copy or replace (the store's file, or
the database URL and its password), so a password checked against the store would add nothing,
and a restore must work when the store is empty or lost (there is then no admin to ask). Both
are recorded in the store's audit trail (actor ``operator``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cli.app import app
from intel.errors import CommandHint


def _size(n: int) -> str:
    """A file size for people.

    >>> _size(512), _size(3 * 1024 * 1024 + 1)
    ('512 bytes', '3.0 MiB')
    """
    if n < 1024:
        return f"{n:,} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:,.1f} {unit}"


def _where_the_key_is() -> str:
    from intel.settings import get_settings

    settings = get_settings()
    if settings.tip_key is not None:
        return "COUNTERFLOW_TIP_KEY"
    return str(settings.tip_key_path)


@app.command()
def backup(
    dest: Path = typer.Argument(..., help="The backup file to write (its folder must exist)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace DEST if it exists."),
) -> None:
    """Write a consistent copy of the store (SQLite online backup, or pg_dump) to DEST, mode 0600.

    The store may be in use meanwhile. Tips stay encrypted in the copy; the tip key is not in
    it: keep the key separately.
    """
    from intel.backup import backup_store
    from intel.settings import get_settings

    done = backup_store(get_settings(), dest, overwrite=overwrite)
    engine = "SQLite" if done.engine == "sqlite" else "PostgreSQL custom-format dump"
    typer.echo(
        f"backup written: {done.path} ({engine}, {_size(done.size)}, readable by you only; "
        f"schema revision {done.revision}; {done.tips:,} tips)"
    )
    typer.echo(
        f"tips are still encrypted in it, and the tip key is NOT in the backup: keep the key "
        f"({_where_the_key_is()}) in a separate safe place. Without it no tip of this backup can be "
        "read; with it, anyone holding the backup can read them all."
    )


@app.command()
def restore(
    src: Path = typer.Argument(..., help="A backup file written by `counterflow backup`."),
    yes: bool = typer.Option(False, "--yes", help="Replace a store that is not empty without asking."),
) -> None:
    """Replace the store with a backup, after checking it is a counterflow store of this engine
    at a known schema revision; an older backup is upgraded to the current schema.

    A store that holds anything is replaced only with --yes or a confirmation at the terminal.
    """
    from intel.backup import check_backup, restore_store, store_label, store_rows
    from intel.errors import CounterflowError
    from intel.settings import get_settings

    settings = get_settings()
    info = check_backup(settings, src)  # a damaged or foreign file is refused before anything is asked
    rows = store_rows(settings)
    if rows and not yes:
        question = (
            f"The store ({store_label(settings)}) holds {rows:,} rows; replace all of it with {info.path}?"
        )
        if not (sys.stdin is not None and sys.stdin.isatty() and typer.confirm(question, default=False)):
            raise CounterflowError(
                f"the store is not empty ({rows:,} rows), and a restore replaces all of it",
                "back it up first if you may need it, then confirm the restore",
                hint=CommandHint("restore", "SRC --yes"),
            )
    done = restore_store(settings, src, replace=True)
    upgraded = f", upgraded to {done.revision}" if done.backup_revision != done.revision else ""
    typer.echo(
        f"store restored from {done.source} (schema revision {done.backup_revision}{upgraded}; "
        f"{done.tips:,} tips, still encrypted)"
    )
    if not done.tips:
        pass  # no tip to read: nothing to say about the key
    elif done.readable_tips is None:
        typer.echo(
            f"no tip key is configured here: give every process the key that was in use when the "
            f"backup was made ({_where_the_key_is()}), or its tips cannot be read"
        )
    elif done.readable_tips < done.tips:
        typer.echo(
            f"warning: the configured tip key reads {done.readable_tips:,} of {done.tips:,} tips; "
            f"put the key that was in use when the backup was made in {_where_the_key_is()} "
            "(older keys after the newest)"
        )
    else:
        typer.echo(f"the configured tip key reads all {done.tips:,} tips")
