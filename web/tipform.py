"""The public tip form's messages and its per-client rate limit.

Every user-visible string of the form is a gettext message of the ``tipform`` domain (see
``web.i18n``); this module is where they are extracted from. A message whose note says it
"addresses the reader" also has feminine and masculine variants (contexts ``feminine``,
``masculine``): a form reached from a campaign for women only speaks to a woman where the
catalog has the variant, and falls back to the neutral message where it has not.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from web.auth import ClientKeys


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated when the page renders."""
    return message


MESSAGES: dict[str, str] = {
    # TRANSLATORS: heading of the public tip form (the page every campaign link opens); read by
    # people at risk and those who worry about them. At most 40 characters. The ads' link text
    # says the same words: keep them the same as there. Addresses the reader.
    "title": N_("Tell us privately"),
    # TRANSLATORS: first paragraph of the tip form; read by people at risk and those who worry
    # about them. At most 250 characters. The reader may write about themselves or about others.
    # Addresses the reader.
    "intro": N_(
        "Tell us what is happening to you, or what you saw or heard about people being tricked, "
        "moved or forced to work. You do not have to give your name."
    ),
    # TRANSLATORS: a promise to the person sending the tip, under the intro; keep its meaning
    # exact (nothing stronger, nothing weaker). At most 250 characters. "IP address" may stay in
    # English if your readers know it so. Addresses the reader.
    "privacy": N_(
        "This form is private: it sets no cookies and does not record your IP address. "
        "Do not write your own name or phone number unless you want to be contacted."
    ),
    # TRANSLATORS: label of the tip's text box on the tip form. At most 40 characters.
    "what": N_("What happened?"),
    # TRANSLATORS: label of the optional place box on the tip form. At most 60 characters.
    "where": N_("Where did it happen? (town or area, optional)"),
    # TRANSLATORS: button that sends the tip. At most 20 characters.
    "send": N_("Send"),
    # TRANSLATORS: heading of the thank-you page after a tip is sent. At most 60 characters.
    "thanks": N_("Thank you. Your tip has been received."),
    # TRANSLATORS: on the thank-you page; read by the person who sent the tip, who may be in
    # danger. At most 160 characters. Do not add advice to call the police or an emergency
    # number: the helpline is named just below. Addresses the reader.
    "next": N_(
        "Trained staff will read it. If you or someone else is in danger now, contact the helpline below."
    ),
    # TRANSLATORS: link back to an empty tip form, on the thank-you page. At most 30 characters.
    "again": N_("Send another tip"),
    # TRANSLATORS: error on the tip form when the tip text is empty. At most 80 characters.
    "empty": N_("Please write what happened before sending."),
    # TRANSLATORS: error on the tip form; %(length)s and %(limit)s are numbers: keep both
    # exactly. At most 120 characters.
    "too_long": N_("Your tip is %(length)s characters long. Please keep it under %(limit)s characters."),
    # TRANSLATORS: error on the tip form when too many tips arrive at once. At most 120 characters.
    "busy": N_("Too many tips are arriving right now. Please wait a minute and send it again."),
    # TRANSLATORS: heading above an error on the tip form. At most 40 characters.
    "problem": N_("There is a problem with your tip"),
    # TRANSLATORS: label of the language menu of the tip form. At most 20 characters.
    "language": N_("Language"),
    # TRANSLATORS: error on the tip form when the place cannot be read. At most 100 characters.
    "bad_location": N_("The location is not valid. Leave it empty or give a town name."),
    # TRANSLATORS: under the tip form and on the thank-you page; %(org)s is the organisation that
    # receives tips: keep %(org)s exactly. At most 80 characters.
    "received_by": N_("Your tip goes to %(org)s."),
    # TRANSLATORS: under the tip form and on the thank-you page; %(helpline)s is the country's
    # anti-trafficking helpline with its number, e.g. "NAPTIP 627": keep %(helpline)s exactly and
    # never write a number yourself. At most 80 characters. Addresses the reader.
    "helpline": N_("To talk to someone now, contact %(helpline)s."),
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

    def html(self, key: str, **values: Any) -> Markup:
        """The message as escaped HTML with each value in ``<bdi>``: a phone number, a name or a
        count keeps its own direction inside right-to-left text ("800 290 290" stays in order)."""
        shown = {
            k: Markup("<bdi>%s</bdi>") % (self._number(v) if isinstance(v, int | float) else v)
            for k, v in values.items()
        }
        return Markup.escape(self._gettext(MESSAGES[key])) % shown


class TipLimiter:
    """Tips per client and for everyone together, in a sliding window; memory only.

    - A client may send ``per_client`` valid tips per ``window`` seconds; a client is known only
      by the keyed hash of ``web.auth.ClientKeys`` (no address is kept, stored or logged).
    - Invalid requests (empty text, a bad location) are counted apart, against their own client
      only (``invalid_per_client``): they never spend anyone else's budget, and a client that
      keeps sending them is refused before its request is looked at.
    - ``ceiling`` valid tips per window for the whole process is a backstop against many clients.

    >>> limiter = TipLimiter(per_client=2, ceiling=3, window=60.0)
    >>> [limiter.spend("a", now=t) for t in (0.0, 1.0, 2.0)]
    [True, True, False]
    >>> limiter.spend("b", now=3.0), limiter.spend("c", now=4.0), limiter.spend("a", now=60.5)
    (True, False, True)
    """

    def __init__(
        self,
        *,
        per_client: int = 10,
        invalid_per_client: int = 30,
        ceiling: int = 300,
        window: float = 60.0,
        keys: ClientKeys | None = None,
    ) -> None:
        self.per_client, self.invalid_per_client = per_client, invalid_per_client
        self.ceiling, self.window = ceiling, window
        self._keys = keys or ClientKeys()
        self._valid: dict[str, deque[float]] = {}
        self._invalid: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def _recent(self, events: deque[float] | None, now: float) -> int:
        if events is None:
            return 0
        while events and events[0] <= now - self.window:
            events.popleft()
        return len(events)

    def _prune(self, now: float) -> None:
        # bounded memory under a spray of addresses: forget clients with nothing recent
        for table in (self._valid, self._invalid):
            if len(table) > 50_000:
                for key in [k for k, v in table.items() if not self._recent(v, now)]:
                    del table[key]

    def admit(self, address: str | None, now: float | None = None) -> bool:
        """Whether a request from this client is worth reading (its own budgets are not spent)."""
        now = time.monotonic() if now is None else now
        key = self._keys(address)
        with self._lock:
            return (
                self._recent(self._valid.get(key), now) < self.per_client
                and self._recent(self._invalid.get(key), now) < self.invalid_per_client
                and self._recent(self._all, now) < self.ceiling
            )

    def spend(self, address: str | None, now: float | None = None) -> bool:
        """Count one valid tip of this client; False (and nothing counted) when a limit is reached."""
        now = time.monotonic() if now is None else now
        key = self._keys(address)
        with self._lock:
            self._prune(now)
            mine = self._valid.setdefault(key, deque())
            if self._recent(mine, now) >= self.per_client or self._recent(self._all, now) >= self.ceiling:
                return False
            mine.append(now)
            self._all.append(now)
            return True

    def invalid(self, address: str | None, now: float | None = None) -> None:
        """Count one invalid request against its own client only."""
        now = time.monotonic() if now is None else now
        key = self._keys(address)
        with self._lock:
            self._prune(now)
            mine = self._invalid.setdefault(key, deque())
            self._recent(mine, now)
            mine.append(now)
