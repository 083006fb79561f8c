"""``counterflow locales check``: mechanical checks of every catalog a reviewer should not have to make.

Each rule looks at the translated messages of one catalog (fuzzy drafts included: a draft is
checked before a reviewer reads it; untranslated messages are ``locales status``'s business):

``placeholder``  a ``{name}``, ``%(name)s`` or ``%s`` of the English text missing from the
                 translation, or one the English text does not have. For a plural message, a
                 form may leave out a placeholder (Arabic says "one day" without the 1), but
                 every placeholder must appear in some form and none may be added.
``plural``       the catalog's ``Plural-Forms`` count differs from the language's (Babel's
                 CLDR-derived table, else the CLDR plural categories), or a plural message has a
                 different number of forms than the header says. A language without CLDR data
                 (Edo) is not checked against CLDR.
``length``       longer than the limit its translator note gives ("at most 40 characters");
                 placeholders count as written (``{helpline}`` is 10 characters).
``bidi``         in a right-to-left language, a number or a URL written into the text outside
                 Unicode isolates (FSI/LRI/RLI ... PDI): the bidirectional algorithm reorders
                 "800 290 290" as "290 290 800". Placeholders are isolated when they are filled.
``untranslated`` the text is the English text (letters, not only placeholders), in a locale
                 other than English, unless the message carries the ``same-as-english`` flag.
``helpline``     (``locales/helplines.toml``) an entry with neither a number nor an address and
                 no ``needs_number = true`` mark (copy that says "call" with nothing to dial), or
                 one with no name in a language of its country's targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import PLURALS

from campaigns.copy.i18n import DOMAINS, LOCALES, direction, load_catalog, po_path

PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]")
LIMIT_NOTE = re.compile(r"at most (\d+) characters", re.IGNORECASE)
ISOLATED = re.compile("[\u2066\u2067\u2068][^\u2069]*\u2069")
NUMBER_OR_URL = re.compile(r"https?://\S+|www\.\S+|\d[\d\s.,/-]*\d|\d")
SAME_AS_ENGLISH = "same-as-english"
SOURCE = "en"
RULES = ("placeholder", "plural", "length", "bidi", "untranslated", "helpline")


@dataclass(frozen=True)
class Problem:
    """One problem of one message (``msgid`` empty for the catalog's header)."""

    locale: str
    domain: str
    context: str
    msgid: str
    rule: str
    reason: str
    fuzzy: bool = False

    def line(self) -> str:
        where = f"{self.context}|" if self.context else ""
        text = self.msgid if len(self.msgid) <= 50 else self.msgid[:47] + "..."
        draft = " (fuzzy draft)" if self.fuzzy else ""
        return f"{self.locale} {self.domain} {where}{text!r}{draft}: [{self.rule}] {self.reason}"


def expected_plurals(code: str) -> int | None:
    """How many plural forms the language has (Babel's gettext table, else CLDR); None: no data."""
    language = code.split("_")[0]
    if language in PLURALS:
        return PLURALS[language][0]
    try:
        return len(Locale.parse(code).plural_form.tags) + 1  # the tags leave out "other"
    except (UnknownLocaleError, ValueError):
        return None


def _forms(message: Message) -> list[str]:
    s = message.string
    return [str(x) for x in s] if isinstance(s, tuple | list) else [str(s or "")]


def _ids(message: Message) -> list[str]:
    i = message.id
    return [str(x) for x in i] if isinstance(i, tuple | list) else [str(i)]


def _limit(message: Message) -> int | None:
    found = LIMIT_NOTE.search(" ".join(message.auto_comments + message.user_comments))
    return int(found.group(1)) if found else None


def _placeholders(message: Message, forms: list[str]) -> list[str]:
    source = set().union(*(PLACEHOLDER.findall(i) for i in _ids(message)))
    out = []
    per_form = [set(PLACEHOLDER.findall(f)) for f in forms]
    extra = set().union(*per_form) - source
    if extra:
        out.append(f"placeholder {', '.join(sorted(extra))} is not in the English text")
    # a plural form may leave a placeholder out; a singular message may not
    missing = source - (set().union(*per_form) if message.pluralizable else per_form[0])
    if missing:
        out.append(f"placeholder {', '.join(sorted(missing))} of the English text is missing")
    return out


def check_catalog(code: str, *, domain: str = "messages", root: Path | None = None) -> list[Problem]:
    """The problems of one catalog (empty: none found by these rules)."""
    catalog: Catalog = load_catalog(code, root=root, domain=domain)
    problems: list[Problem] = []

    def add(message: Message | None, rule: str, reason: str) -> None:
        if message is None:
            problems.append(Problem(code, domain, "", "", rule, reason))
            return
        problems.append(
            Problem(code, domain, message.context or "", _ids(message)[0], rule, reason, message.fuzzy)
        )

    want = expected_plurals(code)
    if want is not None and catalog.num_plurals != want:
        add(None, "plural", f"Plural-Forms says {catalog.num_plurals} forms; the language has {want} (CLDR)")
    rtl = direction(code) == "rtl"
    for message in catalog:
        if not message.id:
            continue
        forms = _forms(message)
        if not any(forms):
            continue  # untranslated: see `locales status`
        for reason in _placeholders(message, forms):
            add(message, "placeholder", reason)
        if message.pluralizable and len(forms) != catalog.num_plurals:
            add(message, "plural", f"{len(forms)} plural forms; the header says {catalog.num_plurals}")
        limit = _limit(message)
        for form in forms:
            if limit is not None and len(form) > limit:
                add(message, "length", f"{len(form)} characters; the limit is {limit}")
                break
        if rtl:
            for form in forms:
                bare = NUMBER_OR_URL.findall(ISOLATED.sub("", PLACEHOLDER.sub("", form)))
                if bare:
                    shown = ", ".join(repr(b.strip()) for b in bare)
                    add(message, "bidi", f"{shown} outside Unicode isolates: wrap in FSI/LRI ... PDI")
                    break
        if code != SOURCE and SAME_AS_ENGLISH not in message.flags:
            ids = _ids(message)
            if any(
                form.strip() == i.strip() and re.search(r"[^\W\d_]", PLACEHOLDER.sub("", i))
                for form in forms
                for i in ids
            ):
                add(message, "untranslated", "the text is the English text")
    return problems


def check_all(
    codes: tuple[str, ...] = LOCALES, *, domains: tuple[str, ...] = DOMAINS, root: Path | None = None
) -> list[Problem]:
    """The problems of every catalog that exists under ``root`` (default: the packaged ones)."""
    out: list[Problem] = []
    for code in codes:
        for domain in domains:
            if po_path(code, root=root, domain=domain).exists():
                out.extend(check_catalog(code, domain=domain, root=root))
    return out


def check_helplines(data: dict[str, Any] | None = None) -> list[Problem]:
    """The problems of the helplines file (``data``: its parsed TOML; default the packaged one).

    Each entry needs a number (``phone``) or an address (``url``), or says ``needs_number =
    true`` (preflight then warns on every asset of that country), and a name (``[XX.names]``) in
    English and in every local language of its country.
    """
    from campaigns.copy.localedata import helplines_data, local_languages

    out: list[Problem] = []
    for country, entry in sorted((data if data is not None else helplines_data()).items()):
        label = f"helpline {country} {entry.get('name', '')!r}"
        reasons = []
        if not (entry.get("phone") or entry.get("url") or entry.get("needs_number")):
            reasons.append(
                "neither a number nor an address to reach: add `phone` or `url` with its source, "
                "or mark `needs_number = true`"
            )
        names = entry.get("names", {})
        missing = [code for code in dict.fromkeys(["en", *local_languages(country)]) if not names.get(code)]
        if missing:
            reasons.append(f"no name in {', '.join(missing)}: add them under [{country}.names]")
        out += [Problem("", "helplines", country, label, "helpline", reason) for reason in reasons]
    return out
