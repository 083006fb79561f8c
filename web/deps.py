"""Dependencies of the routes: settings, the request's session and the signed-in user.

Who may use which route is decided in one place, the permission table of ``web.permissions``,
checked by ``authorize`` before every route (``web.auth``); a route only asks for the user.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import Session

from intel.accounts import NotAuthenticated
from intel.db import session_scope
from intel.models import User
from intel.settings import Settings
from web import auth


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """The request owns the session: committed when the route returns, rolled back on error."""
    with session_scope(request.app.state.engine) as session:
        yield session


#: The store's ids are integers (PostgreSQL ``integer``): a larger number names no row, and must
#: be refused before it reaches a query (PostgreSQL would fail it, not find nothing).
MAX_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="the id of a row, from a list page")]

SettingsDep = Annotated[Settings, Depends(get_settings)]
#: ``scope="function"``: the session commits when the route returns, before the response goes
#: out. With FastAPI's default for ``yield`` dependencies it committed after the response was
#: sent, so a browser that followed a post's redirect at once could read the store before the
#: commit (an import's result page answered 404, a review not yet recorded).
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def get_optional_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in user, or None (the public)."""
    return auth.current_user(request, session)


OptionalUserDep = Annotated[User | None, Depends(get_optional_user)]


async def authorize(request: Request, session: SessionDep) -> None:
    """The permission table's verdict on this request (every route of the app depends on it)."""
    await auth.authorize(request, session)


def get_user(user: OptionalUserDep) -> User:
    """The signed-in user (the permission table already refused the public on staff routes)."""
    if user is None:
        raise NotAuthenticated(
            "this page is for staff and you are not signed in", "sign in with your user name and password"
        )
    return user


UserDep = Annotated[User, Depends(get_user)]
