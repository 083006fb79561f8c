"""`counterflow` commands of the store: keygen, upgrade."""

from __future__ import annotations

import typer

from cli.app import app


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
