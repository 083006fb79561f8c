"""`counterflow` commands of the store: upgrade, keygen, and the users and their roles."""

from __future__ import annotations

import typer

from cli.app import app
from intel.roles import role_names


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


users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., help=f"{role_names()}."),
) -> None:
    """Add a user with a role."""
    from intel.db import get_engine, session_scope
    from intel.users import add_user

    with session_scope(get_engine()) as s:
        user = add_user(s, name=name, role=role)
        typer.echo(f"user {user.name} ({user.role})")


@users_app.command("list")
def users_list() -> None:
    """List the users."""
    from intel.db import get_engine, session_scope
    from intel.users import list_users

    with session_scope(get_engine()) as s:
        for u in list_users(s):
            typer.echo(f"{u.name:20} {u.role}")
