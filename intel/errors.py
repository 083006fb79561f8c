"""Errors that carry their own presentation.

Every error a user can meet names the bad value and the fix. The CLI prints
``str(error)``; the web app renders ``error.problem`` and ``error.fix`` as a page
or as JSON with ``error.status``.
"""

from __future__ import annotations

from typing import Any


class CounterflowError(Exception):
    """A problem the user can fix.

    Parameters
    ----------
    problem
        What is wrong, naming the bad value: ``"radius_km was 900"``.
    fix
        What to do about it: ``"it must be between 1 and 80"``.
    status
        HTTP status for the web app and API.
    """

    status: int = 400

    def __init__(self, problem: str, fix: str, *, status: int | None = None) -> None:
        self.problem = problem
        self.fix = fix
        if status is not None:
            self.status = status
        super().__init__(f"{problem}; {fix}")

    def to_dict(self) -> dict[str, str | int]:
        return {"error": self.problem, "fix": self.fix, "status": self.status}

    def __reduce__(self) -> tuple[Any, ...]:
        # picklable, so that an error found in a worker process reaches the user whole
        return (_rebuild, (type(self), self.problem, self.fix, self.status))


def _rebuild(cls: type[CounterflowError], problem: str, fix: str, status: int) -> CounterflowError:
    return cls(problem, fix, status=status)


class NotFound(CounterflowError):
    status = 404


class Forbidden(CounterflowError):
    status = 403


class Conflict(CounterflowError):
    status = 409
