"""`counterflow` commands of the store: upgrade, keygen, keys, the users and their roles, login and logout."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import typer

from cli.app import app
from intel.errors import CommandHint
from intel.roles import role_names

if TYPE_CHECKING:
    from sqlmodel import Session

    from intel.models import User
    from intel.settings import Settings


@app.command()
def keygen() -> None:
    """Print a new key for COUNTERFLOW_TIP_KEY or a tip key file (encrypts tip text at rest)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


keys_app = typer.Typer(help="The keys that encrypt tips: rotate them, re-encrypt tips.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _reencrypt(settings: Settings) -> int:
    from sqlmodel import Session

    from campaigns.feedback.tips import reencrypt_tips
    from intel.db import get_engine

    with Session(get_engine(settings)) as session:
        count = reencrypt_tips(session, settings=settings)
        session.commit()
    return count


@keys_app.command("rotate")
def keys_rotate(
    reencrypt: bool = typer.Option(
        False, "--reencrypt", help="Also re-encrypt every stored tip under the new key."
    ),
) -> None:
    """Put a new key first in the tip key file; older keys stay, so older tips stay readable."""
    from intel.errors import CounterflowError
    from intel.settings import get_settings
    from intel.tipkeys import rotate

    settings = get_settings()
    if settings.tip_key is not None:
        raise CounterflowError(
            "the tip keys come from COUNTERFLOW_TIP_KEY, which this command cannot change",
            "put a new key first in COUNTERFLOW_TIP_KEY (comma-separated, the older keys after it), "
            "restart the server, then re-encrypt the tips",
            hint=CommandHint("keys reencrypt"),
        )
    path = settings.tip_key_path
    settings.tip_keys()  # checked (and made, outside production, when there is none yet)
    keys = rotate(path)
    typer.echo(f"new tip key first in {path} ({len(keys)} keys; new tips use the new one)")
    if reencrypt:
        typer.echo(f"re-encrypted {_reencrypt(settings)} tips under the new key")


@keys_app.command("reencrypt")
def keys_reencrypt() -> None:
    """Re-encrypt every stored tip under the newest tip key."""
    from intel.settings import get_settings

    typer.echo(f"re-encrypted {_reencrypt(get_settings())} tips under the newest key")


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


def _admin_present(session: Session) -> bool:
    from sqlmodel import select

    from intel.models import User
    from intel.roles import Role

    admins = session.exec(select(User).where(User.role == Role.ADMIN)).all()
    return any(u.password_hash for u in admins)


def _require_admin(session: Session, by: str | None, *, why: str) -> User | None:
    """The admin ``by``, proven by their credential; None while the store has no admin yet."""
    from cli.credentials import prove
    from intel.errors import CommandHint, CounterflowError, Forbidden
    from intel.roles import Role

    if not _admin_present(session):
        return None  # the first admin is made by whoever runs the store (it has no admin to ask)
    if not by:
        raise CounterflowError(
            "only an admin may do this, and no admin was named",
            "name the admin who does it; they confirm with their password or token",
            hint=CommandHint("users add", "NAME --role analyst --by ADMIN"),
        )
    admin = prove(session, by, why=why)
    if admin.role != Role.ADMIN:
        raise Forbidden(f"{admin.name} has the role {admin.role!r}, not admin", "ask an admin to do it")
    return admin


def _link(token: str) -> str:
    from intel.settings import get_settings

    return f"{get_settings().public_base_url.rstrip('/')}/set-password/{token}"


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., help=f"{role_names()}."),
    by: str | None = typer.Option(
        None, "--by", help="The admin who adds the user (confirms with their password or token)."
    ),
) -> None:
    """Add a user with a role and print a one-time link with which they set their password.

    The first admin of a store needs no --by; after that, only an admin adds users.
    """
    from intel.accounts import issue_password_link
    from intel.db import get_engine, session_scope
    from intel.users import add_user

    with session_scope(get_engine()) as s:
        admin = _require_admin(s, by, why="to add a user")
        user = add_user(s, name=name, role=role)
        link = (
            None
            if user.password_hash
            else issue_password_link(s, user=user, actor=admin.name if admin else name)
        )
        typer.echo(f"user {user.name} ({user.role})")
    if link is not None:
        typer.echo(
            f"one-time set-password link for {name} (give it to them only; valid 72 hours):\n  {_link(link)}\n"
            f"or let them type it at the command line: counterflow users set-password {name}"
        )


@users_app.command("link")
def users_link(
    name: str = typer.Argument(..., help="User name."),
    by: str | None = typer.Option(None, "--by", help="The admin who makes the link."),
) -> None:
    """Make a new one-time set-password link for a user (a forgotten password; the old one stays
    valid until the link is used)."""
    from intel.accounts import find_user, issue_password_link
    from intel.db import get_engine, session_scope
    from intel.errors import NotFound

    with session_scope(get_engine()) as s:
        admin = _require_admin(s, by, why="to make a set-password link")
        user = find_user(s, name)
        if user is None:
            raise NotFound(f"user {name!r} is not known", "check the name in the list of users")
        link = issue_password_link(s, user=user, actor=admin.name if admin else name)
    typer.echo(f"one-time set-password link for {name} (valid 72 hours):\n  {_link(link)}")


@users_app.command("set-password")
def users_set_password(
    name: str = typer.Argument(..., help="User name."),
    by: str | None = typer.Option(
        None,
        "--by",
        help="An admin who sets it for the user (default: the user, with their current password).",
    ),
) -> None:
    """Set a password, typed twice without echo (read from standard input when it is not a terminal).

    A user changes their own (proving the current one, if any); an admin sets anyone's with --by.
    """
    from cli.credentials import prove, read_password
    from intel.accounts import find_user, set_password
    from intel.db import get_engine, session_scope
    from intel.errors import CounterflowError, NotFound

    with session_scope(get_engine()) as s:
        user = find_user(s, name)
        if user is None:
            raise NotFound(f"user {name!r} is not known", "check the name in the list of users")
        actor = None
        if by:
            actor = _require_admin(s, by, why="to set another user's password")
        elif user.password_hash:
            actor = prove(s, name, why="your current password")
        elif _admin_present(s):
            raise CounterflowError(
                f"{name} has no password yet",
                "use the one-time link an admin made for you, or ask an admin to set it",
                hint=CommandHint("users set-password", f"{name} --by ADMIN"),
            )
        first = read_password(f"New password of {name}")
        if read_password("The same password again") != first:
            raise CounterflowError("the two passwords differ", "type the same password twice")
        set_password(s, user=user, password=first, actor=actor.name if actor else name)
    typer.echo(f"password of {name} set; their sessions and tokens have ended")


@app.command()
def login(name: str = typer.Argument(..., help="Your user name.")) -> None:
    """Check your password once and keep a personal token (30 days) for the commands that act for you."""
    from cli.credentials import read_password, token_file
    from intel.accounts import issue_token, verify_password
    from intel.db import get_engine, session_scope

    with session_scope(get_engine()) as s:
        user = verify_password(s, name=name, password=read_password(f"Password of {name}"))
        token = issue_token(s, user=user)
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    typer.echo(f"signed in as {user.name}; personal token kept in {path} (readable by you only, 30 days)")


@app.command()
def logout() -> None:
    """Revoke your personal token and delete its file."""
    from cli.credentials import saved_token, token_file
    from intel.accounts import revoke_token
    from intel.db import get_engine, session_scope

    token = saved_token()
    if token:
        with session_scope(get_engine()) as s:
            revoke_token(s, token=token)
    token_file().unlink(missing_ok=True)
    typer.echo("signed out: the personal token is revoked")


@users_app.command("list")
def users_list() -> None:
    """List the users."""
    from intel.db import get_engine, session_scope
    from intel.users import list_users

    with session_scope(get_engine()) as s:
        for u in list_users(s):
            typer.echo(f"{u.name:20} {u.role}")
