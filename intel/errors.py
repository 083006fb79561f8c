"""Errors that carry their own presentation.

Every error a user can meet names the bad value and the fix, in words that fit every face (the
command line, the web app and its API, the flows). The web app renders ``error.problem`` and
``error.fix`` as a page or as JSON with ``error.status``. The command line prints the same two
lines and, when the error carries a ``hint``, the command to run: the words ``counterflow
approve`` or ``--as`` live in a :class:`CommandHint` only, never in the fix.

>>> error = NotFound("campaign 12 does not exist", "list the campaigns to find its id",
...                  hint=CommandHint("campaigns"))
>>> str(error)
'campaign 12 does not exist; list the campaigns to find its id'
>>> str(error.hint)
'counterflow campaigns'
>>> error.to_dict()
{'error': 'campaign 12 does not exist', 'fix': 'list the campaigns to find its id', 'status': 404}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CommandHint:
    """The ``counterflow`` command line that helps with an error; the CLI prints it.

    ``command`` is the literal command path (``"approve"``, ``"users add"``, ``"locales
    review"``), ``args`` the rest of the line: arguments and options, with upper-case
    placeholders for what the user fills in. A test checks that every hint in the code names a
    command and options that exist.

    >>> str(CommandHint("approve", "12 --as NAME"))
    'counterflow approve 12 --as NAME'
    """

    command: str
    args: str = ""

    def __str__(self) -> str:
        return " ".join(part for part in ("counterflow", self.command, self.args) if part)


class CounterflowError(Exception):
    """A problem the user can fix.

    Parameters
    ----------
    problem
        What is wrong, naming the bad value: ``"radius_km was 900"``.
    fix
        What to do about it, in words that fit every face: ``"it must be between 1 and 80"``.
    status
        HTTP status for the web app and API.
    hint
        The command that helps, for the command line only: ``CommandHint("campaigns")``.
    """

    status: int = 400
    hint: CommandHint | None = None

    def __init__(
        self, problem: str, fix: str, *, status: int | None = None, hint: CommandHint | None = None
    ) -> None:
        self.problem = problem
        self.fix = fix
        if status is not None:
            self.status = status
        if hint is not None:
            self.hint = hint
        super().__init__(f"{problem}; {fix}")

    def to_dict(self) -> dict[str, str | int]:
        """Problem, fix and status for the web app and API (which show no command hint)."""
        return {"error": self.problem, "fix": self.fix, "status": self.status}

    def __reduce__(self) -> tuple[Any, ...]:
        # picklable, so that an error found in a worker process reaches the user whole; rebuilt
        # from its state, so that subclasses with their own __init__ travel as well
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type[CounterflowError], args: tuple[Any, ...], state: dict[str, Any]) -> CounterflowError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class NotFound(CounterflowError):
    status = 404


class Forbidden(CounterflowError):
    status = 403


class Conflict(CounterflowError):
    status = 409
