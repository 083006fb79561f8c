"""Users and their roles (the roles, and what each may do, are defined in ``intel.roles``)."""

from __future__ import annotations

from sqlmodel import Session, select

from intel.errors import CommandHint, Conflict, CounterflowError
from intel.models import User
from intel.roles import Role, role_names


def add_user(session: Session, *, name: str, role: str) -> User:
    """Add a user; adding the same name with the same role again is a no-op."""
    name = name.strip()
    if not name:
        raise CounterflowError(
            "the user name is empty",
            "give the user a name, e.g. amara",
            hint=CommandHint("users add", "amara --role analyst"),
        )
    if role not in tuple(Role):
        raise CounterflowError(f"role was {role!r}", f"use {role_names()}")
    role = Role(role).value  # the plain string the store keeps
    existing = session.exec(select(User).where(User.name == name)).first()
    if existing is not None:
        if existing.role != role:
            raise Conflict(
                f"user {name!r} already exists with the role {existing.role!r}",
                "pick another name or keep the role",
            )
        return existing
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)).all())
