"""The public tip form's messages and its per-process rate limit.

Every user-visible string of the form is a gettext message of the ``tipform`` domain (see
``web.i18n``); this module is where they are extracted from.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated when the page renders."""
    return message


MESSAGES: dict[str, str] = {
    # TRANSLATORS: heading of the public anonymous tip form
    "title": N_("Report what you know"),
    "intro": N_(
        "Tell us what you saw or heard about people being tricked, moved or forced to work. "
        "You do not need to give your name."
    ),
    # TRANSLATORS: a promise to the person sending the tip; keep it exact
    "privacy": N_(
        "This form is anonymous: it sets no cookies and does not record your IP address. "
        "Do not write your own name or phone number unless you want to be contacted."
    ),
    # TRANSLATORS: label of the tip text box
    "what": N_("What happened?"),
    "where": N_("Where did it happen? (town or area, optional)"),
    # TRANSLATORS: button that sends the tip
    "send": N_("Send"),
    "thanks": N_("Thank you. Your tip has been received."),
    "next": N_("Trained staff will read it. If someone is in danger now, call the local emergency number."),
    "again": N_("Send another tip"),
    # TRANSLATORS: error when the tip text is empty
    "empty": N_("Please write what happened before sending."),
    # TRANSLATORS: error; %(length)s and %(limit)s are numbers
    "too_long": N_("Your tip is %(length)s characters long. Please keep it under %(limit)s characters."),
    "busy": N_("Too many tips are arriving right now. Please wait a minute and send it again."),
    # TRANSLATORS: heading above a form error
    "problem": N_("There is a problem with your tip"),
    # TRANSLATORS: label of the language switcher
    "language": N_("Language"),
    "bad_location": N_("The location is not valid. Leave it empty or give a town name."),
}


class Texts:
    """The form's messages translated for one locale: ``texts.title``, ``texts.fmt("too_long", ...)``."""

    def __init__(self, gettext: Callable[[str], str], number: Callable[[float], str]) -> None:
        self._gettext = gettext
        self._number = number

    def __getattr__(self, key: str) -> str:
        if key not in MESSAGES:
            raise AttributeError(key)
        return self._gettext(MESSAGES[key])

    def fmt(self, key: str, **values: Any) -> str:
        shown = {k: self._number(v) if isinstance(v, int | float) else v for k, v in values.items()}
        return self._gettext(MESSAGES[key]) % shown


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds in this process (no per-person state).

    The limit is global on purpose: keying it by client would mean keeping IP addresses,
    which the tip form promises not to do.

    >>> limiter = RateLimiter(limit=2, window=60.0)
    >>> [limiter.allow(now=t) for t in (0.0, 1.0, 2.0, 60.5)]
    [True, True, False, True]
    """

    def __init__(self, limit: int = 30, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._events: deque[float] = deque()
        self._lock = threading.Lock()

    def allow(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._events and self._events[0] <= now - self.window:
                self._events.popleft()
            if len(self._events) >= self.limit:
                return False
            self._events.append(now)
            return True
