"""Dependencies of the routes: settings, the request's session, the current user and roles.

Authentication here is a **placeholder for real auth**: the user name comes from the
``X-Counterflow-User`` header or from HTTP Basic (the user name; the password is ignored), and
the role from the ``User`` table. It trusts whatever sits in front of the app, so it is refused
in the ``production`` environment unless the app was created with ``trust_user_header=True``
(``counterflow web --trust-user-header``) behind a proxy that authenticates people and sets the
header. The public pages (the tip form, ``POST /api/tips``) need no user.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session, select

from intel.db import session_scope
from intel.errors import CommandHint, CounterflowError, Forbidden
from intel.models import User
from intel.roles import (
    APPROVING_ROLES,
    OUTCOME_READERS,
    TIP_COUNT_READERS,
    TIP_READERS,
    Role,
    role_names,
)
from intel.settings import Settings

USER_HEADER = "X-Counterflow-User"


class NotAuthenticated(CounterflowError):
    status = 401


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """The request owns the session: committed when the route returns, rolled back on error."""
    with session_scope(request.app.state.engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]


def _user_name(request: Request) -> str | None:
    name = request.headers.get(USER_HEADER)
    if name:
        return name.strip()
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0].strip() or None
    return None


def get_optional_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in user, or None (the public)."""
    name = _user_name(request)
    if name is None:
        return None
    if not request.app.state.header_auth:
        raise Forbidden(
            "user names from headers are not trusted in production",
            "put an authenticating proxy in front, and start the web app trusting the user header it sets",
            hint=CommandHint("web", "--trust-user-header"),
        )
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise Forbidden(f"user {name!r} is not known", "ask an admin to add you to the User table")
    # A plain copy, so that an error page (after the session rolled back) still shows who is signed in.
    request.state.user = SimpleNamespace(name=user.name, role=user.role)
    return user


OptionalUserDep = Annotated[User | None, Depends(get_optional_user)]


def get_user(user: OptionalUserDep) -> User:
    """The signed-in user; 401 (with a Basic challenge) for the public."""
    if user is None:
        raise NotAuthenticated(
            "this page is for staff and you are not signed in",
            f"sign in with your user name (HTTP Basic) or send the {USER_HEADER} header",
        )
    return user


UserDep = Annotated[User, Depends(get_user)]


def require(roles: frozenset[Role]) -> Callable[[User], User]:
    """A dependency that lets only users with one of ``roles`` through (the sets of ``intel.roles``)."""

    def check(user: UserDep) -> User:
        if user.role not in roles:
            raise Forbidden(
                f"user {user.name!r} has the role {user.role!r}, and this page is for {role_names(roles)}",
                "ask a colleague with that role, or an admin to change your role",
            )
        return user

    return check


TipReaderDep = Annotated[User, Depends(require(TIP_READERS))]
ApproverDep = Annotated[User, Depends(require(APPROVING_ROLES))]
OutcomesReaderDep = Annotated[User, Depends(require(OUTCOME_READERS))]
TipCountReaderDep = Annotated[User, Depends(require(TIP_COUNT_READERS))]
