"""Who is at the keyboard: the command line records a person only with that person's credential.

A command that acts for a person (``plan --author``, ``approve --as``, ``triage --as``, ``tips
--show-text --as``, ``feedback --as``, ``loop --author/--approver/--analyst``, ``users add
--by``) proves who that person is with, in this order:

1. their **personal token**, from ``COUNTERFLOW_TOKEN`` or the token file that ``counterflow
   login`` wrote (``$XDG_CONFIG_HOME/counterflow/token``, mode 0600), if the token is theirs;
2. else their **password**, asked without echo (``getpass``) on a terminal, or read one line per
   prompt from standard input when it is not a terminal (as ``--password-stdin`` does elsewhere),
   so scripts and tests pass it through a pipe, never on the command line or in the environment.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from intel.errors import CommandHint

if TYPE_CHECKING:  # the store's modules load only when a command needs them (fast --help)
    from sqlmodel import Session

    from intel.models import User

TOKEN_ENV = "COUNTERFLOW_TOKEN"


def token_file() -> Path:
    """Where ``counterflow login`` keeps this OS user's personal token."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "counterflow" / "token"


def saved_token() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    path = token_file()
    if path.is_file():
        return path.read_text(encoding="utf-8").strip() or None
    return None


def read_password(label: str) -> str:
    """A password typed without echo, or one line of standard input when it is not a terminal."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"{label}: ")
    try:
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except OSError:  # standard input closed or not readable
        line = ""
    if not line:
        from intel.accounts import NotAuthenticated

        raise NotAuthenticated(
            f"no password was given ({label.lower()})",
            "type it at the prompt, pipe it on standard input, or sign in once for a personal token",
            hint=CommandHint("login", "NAME"),
        )
    return line.rstrip("\r\n")


def prove(session: Session, name: str, *, why: str) -> User:
    """The user ``name``, after their token or password proved it is them (``why``: for the prompt)."""
    from intel.accounts import token_user, verify_password

    name = name.strip()
    token = saved_token()
    if token:
        owner = token_user(session, token=token)
        if owner.name == name:
            return owner
    # an unknown name is asked for a password too, and refused as a wrong one: names are not confirmed
    return verify_password(session, name=name, password=read_password(f"Password of {name} ({why})"))
