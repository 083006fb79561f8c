"""Keep secrets out of logs and error texts.

The facebook-business SDK sends ``access_token`` and ``appsecret_proof`` in the query string of
every request, so any URL that reaches a log line or an exception message (``requests`` puts the
URL in its connection errors) carries the token. :func:`redact` scrubs a text;
:class:`RedactSecretsFilter` scrubs every record that passes a handler.
"""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("access_token", "appsecret_proof", "client_secret", "fb_exchange_token", "input_token")
_QUERY = re.compile(r"(?i)\b(" + "|".join(SECRET_PARAMS) + r")(=|%3D)(?!\[redacted\])[^&\s'\"<>)\]]+")
_JSON = re.compile(
    r"(?i)(['\"](?:" + "|".join(SECRET_PARAMS) + r")['\"]\s*:\s*)(['\"])(?!\[redacted\])[^'\"]*\2"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every secret query parameter or JSON field replaced by ``[redacted]``.

    >>> redact("GET /v24.0/act_1/campaigns?access_token=EAAB123&limit=5")
    'GET /v24.0/act_1/campaigns?access_token=[redacted]&limit=5'
    """
    text = _QUERY.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _JSON.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)


class RedactSecretsFilter(logging.Filter):
    """A logging filter that redacts secrets in the message and in the formatted traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactSecretsFilter()
NOISY_LOGGERS = ("urllib3", "urllib3.connectionpool", "requests", "facebook_business")


def install_redaction(logger: logging.Logger | None = None) -> RedactSecretsFilter:
    """Attach the redacting filter to ``logger``'s handlers (default: the root logger's) and to
    the HTTP libraries' loggers; safe to call more than once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    for name in NOISY_LOGGERS:
        lg = logging.getLogger(name)
        if _FILTER not in lg.filters:
            lg.addFilter(_FILTER)
    return _FILTER
