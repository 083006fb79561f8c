"""A translator's pack: export a locale for a native reviewer, and import the reviewed file back.

``export_pack`` writes, for one locale, each catalog (``<code>-messages.po``, ``<code>-tipform.po``:
contexts, translator notes with their length limits, the previous English of changed messages)
or the same as XLIFF 1.1 (``--format xliff``, written by translate-toolkit's ``po2xliff`` with each
message's context added as an ``x-po-msgctxt`` context), plus ``<code>-preview.html``: every
message rendered in place (the ad as the platform shows it, the tip form as the public sees it),
right to left where the language is, with its English, its state and its length against its limit.

``import_pack`` takes a reviewed ``.po`` back (XLIFF is for reading and for tools; the returned
file is the ``.po``):

- it is refused, with every problem listed, when it does not parse, names no known locale or
  domain, holds messages the current template does not have (an old pack), or when an entry it
  changes or confirms fails ``locales check`` (placeholders, plural forms, length limits,
  numbers in right-to-left text, text left in English);
- **an entry the returned file does not mark fuzzy is confirmed by the reviewer**: its text is
  taken and its fuzzy flag cleared (an entry confirmed word for word as the English gets the
  ``same-as-english`` flag: the reviewer says so on purpose). An entry still fuzzy in the
  returned file keeps its flag (its text is taken as the reviewer's improved draft). An entry
  left empty changes nothing;
- the reviewer and the date go into the header (``Last-Translator``, ``PO-Revision-Date`` and a
  ``Reviewed-by:`` line once nothing is fuzzy, else ``Partly-reviewed-by:`` with the count);
- a catalog marked ``Needs-native-translation:`` keeps the mark unless the returned file's header
  comment no longer has it (the native translator deleted it).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

from campaigns.copy.check import LIMIT_NOTE, PLACEHOLDER, SAME_AS_ENGLISH, check_catalog
from campaigns.copy.i18n import (
    DOMAINS,
    LOCALES,
    NEEDS_NATIVE_MARK,
    REVIEW_MARK,
    _fuzzy_families,
    _translations,
    check_locale,
    direction,
    format_number,
    isolate,
    load_catalog,
    load_template,
    po_path,
    pot_path,
)
from campaigns.copy.messages import FAMILIES, GENDERS, VARIANT_SEP, is_variant
from intel.errors import CommandHint, CounterflowError

FORMATS = ("po", "xliff")
PARTLY_MARK = "Partly-reviewed-by:"
DOMAIN_MARK = "Counterflow-Domain:"


def _key(message: Message) -> tuple[str | None, str]:
    return (message.context, str(message.id if isinstance(message.id, str) else message.id[0]))


def _ids(message: Message) -> tuple[str, ...]:
    i = message.id
    return tuple(str(x) for x in i) if isinstance(i, tuple | list) else (str(i),)


def _text(message: Message) -> tuple[str, ...]:
    s = message.string
    return tuple(str(x) for x in s) if isinstance(s, tuple | list) else (str(s or ""),)


def _po_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, include_previous=True)
    return buf.getvalue()


def _xliff_bytes(po: bytes, name: str) -> bytes:
    """XLIFF 1.1 from a .po by translate-toolkit, each unit with its msgctxt (po2xliff drops it)."""
    from translate.convert.po2xliff import po2xliff
    from translate.storage import poxliff, pypo

    store = pypo.pofile(io.BytesIO(po))
    out: Any = poxliff.PoXliffFile(targetlanguage=store.parseheader().get("Language"))
    convert = po2xliff()
    for unit in store.units:
        if unit.isblank():
            continue
        xunit = convert.convertunit(out, unit, name)
        if unit.getcontext():
            xunit.createcontextgroup("po-entry", [("x-po-msgctxt", unit.getcontext())], purpose="information")
    return bytes(out)


def export_pack(code: str, *, out_dir: Path, fmt: str = "po", root: Path | None = None) -> list[Path]:
    """Write a reviewer's pack for one locale; returns the files written."""
    check_locale(code)
    if fmt not in FORMATS:
        raise CounterflowError(f"format {fmt!r} is not known", f"use one of {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for domain in DOMAINS:
        catalog = load_catalog(code, root=root, domain=domain)
        lines = [ln for ln in (catalog.header_comment or "").splitlines() if DOMAIN_MARK not in ln]
        catalog.header_comment = "\n".join([*lines, f"# {DOMAIN_MARK} {domain}"])
        po = _po_bytes(catalog)
        if fmt == "po":
            path = out_dir / f"{code}-{domain}.po"
            path.write_bytes(po)
        else:
            path = out_dir / f"{code}-{domain}.xlf"
            path.write_bytes(_xliff_bytes(po, f"{code}/LC_MESSAGES/{domain}.po"))
        written.append(path)
    preview = out_dir / f"{code}-preview.html"
    preview.write_text(preview_page(code, root=root), encoding="utf-8")
    written.append(preview)
    return written


# -- the preview ---------------------------------------------------------------------------------

PACK_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;background:#f0f2f5;color:#1c1e21;max-width:70rem}
.ad,.form{background:#fff;border-radius:8px;padding:12px;margin:1rem 0;box-shadow:0 1px 2px #0003}
.ad{width:340px;display:inline-block;vertical-align:top;margin-right:1rem}
.head{display:block;font-weight:700}.desc{display:block;font-size:.85rem;color:#65676b}
.link{display:block;background:#f0f2f5;padding:8px}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #ccd;padding:4px;vertical-align:top}
.fuzzy{background:#fde68a}.missing{background:#fecaca}.over{color:#b91c1c;font-weight:700}
"""

TIPFORM_PLACES = (
    ("h1", "Tell us privately"),
    ("p", "Tell us what is happening to you"),
    ("p", "This form is private"),
    ("label", "What happened?"),
    ("label", "Where did it happen?"),
    ("button", "Send"),
    ("h2", "Thank you."),
    ("p", "Trained staff will read it."),
    ("p", "To talk to someone now"),
    ("p", "Your tip goes to"),
)
"""Where each tip-form message stands on the page (by the start of its English), in page order."""


def _translated(catalog: Catalog, context: str | None, msgid: str) -> tuple[str, str]:
    """The message's text as shown (translation, fuzzy included; English when empty) and its state.

    A plural message shows its last form (the general one, "3 days").
    """
    found = catalog.get(msgid, context=context)
    if found is None or not any(_text(found)):
        return msgid, "missing"
    return _text(found)[-1], "fuzzy" if found.fuzzy else "ok"


def _example_values(code: str) -> dict[str, str]:
    """Values to fill the placeholders of the preview with, as the copy will show them: the
    helpline of a country whose targets read this language (named in it), a count of days."""
    from campaigns.copy.localedata import helpline_for, known_helpline_countries

    country = next(
        (c for c in known_helpline_countries() if (h := helpline_for(c)) and code in h.names and h.phone),
        "NG",
    )
    helpline = helpline_for(country)
    values = {
        "helpline": helpline.display_in(code) if helpline else "",
        "n": format_number(3, code),
        "name": "Partner NGO",
        "org": "Partner NGO",
        "length": format_number(6500, code),
        "limit": format_number(6000, code),
    }
    if direction(code) == "rtl":
        values = {k: isolate(v) for k, v in values.items()}
    return values


def _filled(text: str, values: dict[str, str]) -> str:
    """``text`` with its ``{name}`` and ``%(name)s`` placeholders filled from ``values``."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(0).strip("{}%()sdif"), m.group(0)), text)


def _ad_cards(code: str, catalog: Catalog) -> list[str]:
    parts = []
    values = _example_values(code)
    template = {(_key(m)): m for m in load_template() if m.id}
    for family in FAMILIES:
        ids = [m for (ctx, _), m in template.items() if ctx == family]
        for gender in (None, *GENDERS):
            ctx = family if gender is None else f"{family}{VARIANT_SEP}{gender}"
            cells = []
            translated_any = gender is None
            for m in ids:
                msgid = _key(m)[1]
                shown, state = _translated(catalog, ctx, msgid)
                if gender is not None:
                    if state == "missing":
                        shown, state = _translated(catalog, family, msgid)
                        state = f"{state} (neutral)"
                    else:
                        translated_any = True
                cells.append((_filled(shown, values), state))
            if not translated_any or len(cells) != 3:
                continue
            (head, hs), (body, bs), (desc, ds) = cells
            title = f"{family}" + (f" — {gender}" if gender else " — neutral")
            parts.append(
                f'<div class="ad" lang="{code}" dir="{direction(code)}"><small dir="ltr">{html.escape(title)}</small>'
                f'<p class="{bs.split()[0]}">{html.escape(body)}</p>'
                f'<span class="link"><span class="head {hs.split()[0]}">{html.escape(head)}</span>'
                f'<span class="desc {ds.split()[0]}">{html.escape(desc)}</span></span></div>'
            )
    return parts


def _form(code: str, catalog: Catalog) -> str:
    rows = []
    values = _example_values(code)
    messages = [m for m in load_template(domain="tipform") if m.id]
    for tag, start in TIPFORM_PLACES:
        for m in messages:
            if _key(m)[1].startswith(start):
                shown, state = _translated(catalog, None, _key(m)[1])
                rows.append(f'<{tag} class="{state}">{html.escape(_filled(shown, values))}</{tag}>')
    return f'<div class="form" lang="{code}" dir="{direction(code)}">{"".join(rows)}</div>'


def _table(code: str, catalog: Catalog, domain: str) -> str:
    rows = []
    for tmsg in load_template(domain=domain):
        if not tmsg.id:
            continue
        context, msgid = _key(tmsg)
        found = catalog.get(tmsg.id, context=context)
        text = _text(found) if found is not None else ("",)
        state = "missing" if not any(text) else ("fuzzy" if found is not None and found.fuzzy else "ok")
        if is_variant(context) and state == "missing":
            state = "optional (the neutral text is used)"
        limit = LIMIT_NOTE.search(" ".join(tmsg.auto_comments))
        lengths = ", ".join(str(len(t)) for t in text if t) or "-"
        over = limit is not None and any(len(t) > int(limit.group(1)) for t in text)
        notes = html.escape(" ".join(c.removeprefix("TRANSLATORS:").strip() for c in tmsg.auto_comments))
        shown = "<br>".join(html.escape(t) for t in text)
        rows.append(
            f'<tr class="{state.split()[0]}"><td>{html.escape(context or domain)}</td><td>{html.escape(msgid)}</td>'
            f'<td lang="{code}" dir="{direction(code)}">{shown}</td><td>{state}</td>'
            f'<td class="{"over" if over else ""}">{lengths} / {limit.group(1) if limit else "-"}</td>'
            f"<td>{notes}</td></tr>"
        )
    head = "<tr><th>context</th><th>English</th><th>translation</th><th>state</th><th>length / limit</th><th>note</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def preview_page(code: str, *, root: Path | None = None) -> str:
    """The HTML preview of a locale: the ads and the tip form in place, then every message."""
    messages = load_catalog(code, root=root)
    tipform = load_catalog(code, root=root, domain="tipform")
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{code}: copy to review</title>"
        f"<style>{PACK_CSS}</style></head><body><h1>{code}: copy to review</h1>"
        "<p>Yellow: a draft (fuzzy), not reviewed. Red: not translated (English shown). "
        "The ads and the form are shown with example values in their placeholders ({helpline}, {n}); "
        "the table shows the placeholders as written.</p>"
        "<h2>The ads</h2>"
        + "".join(_ad_cards(code, messages))
        + "<h2>The tip form</h2>"
        + _form(code, tipform)
        + "<h2>Every message: campaign copy</h2>"
        + _table(code, messages, "messages")
        + "<h2>Every message: tip form</h2>"
        + _table(code, tipform, "tipform")
        + "</body></html>"
    )


# -- import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """What an import changed in one catalog."""

    locale: str
    domain: str
    confirmed: int
    drafts: int
    still_fuzzy: int
    path: Path


def _domain_of(returned: Catalog) -> str:
    for line in (returned.header_comment or "").splitlines():
        text = line.lstrip("# ").strip()
        if text.startswith(DOMAIN_MARK):
            return text[len(DOMAIN_MARK) :].strip()
    ids = {_key(m) for m in returned if m.id}
    for domain in DOMAINS:
        if ids and ids <= {_key(m) for m in load_template(domain=domain) if m.id}:
            return domain
    raise CounterflowError(
        "the file names no catalog domain and its messages match no template",
        f"return the .po of a reviewer's pack (its header says '{DOMAIN_MARK} messages' or tipform)",
        hint=CommandHint("locales export", "LOCALE"),
    )


def _refuse(path: Path, problems: list[str]) -> CounterflowError:
    shown = "; ".join(problems[:12]) + (f"; and {len(problems) - 12} more" if len(problems) > 12 else "")
    return CounterflowError(
        f"{path.name} was not imported: {len(problems)} problems: {shown}",
        "fix them in the file (or ask the reviewer to) and import it again",
    )


def import_pack(
    path: Path, *, reviewer: str, on: dt.date | None = None, root: Path | None = None
) -> Imported:
    """Merge a reviewed ``.po`` into its catalog (see the module docstring for the rules)."""
    if not reviewer.strip():
        raise CounterflowError(
            "reviewer was empty",
            "give the full name of the person who reviewed the file",
            hint=CommandHint("locales import", "FILE --reviewer 'Full Name'"),
        )
    if not path.exists():
        raise CounterflowError(f"{path} does not exist", "give the path of the reviewed .po file")
    if path.suffix != ".po":
        raise CounterflowError(
            f"{path.name} is not a .po file",
            "return the .po of the pack (XLIFF is exported for reading and tools, not imported)",
        )
    try:
        with path.open("rb") as fh:
            returned = read_po(fh, abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        raise _refuse(path, [f"it does not parse as a .po file ({exc})"]) from exc
    code = str(returned.locale or dict(returned.mime_headers).get("Language") or "")
    if code not in LOCALES:
        raise _refuse(path, [f"its Language header is {code!r}, not one of {', '.join(LOCALES)}"])
    domain = _domain_of(returned)
    if domain not in DOMAINS:
        raise _refuse(path, [f"its domain {domain!r} is not one of {', '.join(DOMAINS)}"])
    current = load_catalog(code, root=root, domain=domain)
    known = {_key(m) for m in current if m.id}
    stale = [f"{ctx + '|' if ctx else ''}{mid[:40]!r} is not in the current catalog" for ctx, mid in
             (_key(m) for m in returned if m.id) if (ctx, mid) not in known]  # fmt: skip
    problems = list(stale)
    confirmed = drafts = 0
    touched: set[tuple[str, str]] = set()
    for message in current:
        if not message.id:
            continue
        back = returned.get(message.id, context=message.context)
        if back is None or not any(_text(back)):
            continue
        if len(_text(back)) != len(_text(message)) and message.pluralizable:
            problems.append(
                f"{_key(message)[1][:40]!r}: {len(_text(back))} plural forms, the catalog has {len(_text(message))}"
            )
            continue
        if _text(back) != _text(message) or not back.fuzzy:
            touched.add((message.context or "", _key(message)[1]))
        message.string = back.string
        if back.fuzzy:
            drafts += 1
            message.flags.add("fuzzy")
        else:
            confirmed += 1
            message.flags.discard("fuzzy")
            message.previous_id = []
            if _text(message) == _ids(message):  # confirmed as it is in English: on purpose
                message.flags.add(SAME_AS_ENGLISH)
    # the same checks as `locales check`, on the merged catalog in a scratch copy
    with tempfile.TemporaryDirectory() as scratch:
        scratch_root = Path(scratch)
        target = po_path(code, root=scratch_root, domain=domain)
        target.parent.mkdir(parents=True)
        target.write_bytes(_po_bytes(current))
        shutil.copy(pot_path(root=root, domain=domain), pot_path(root=scratch_root, domain=domain))
        found = check_catalog(code, domain=domain, root=scratch_root)
    # the reviewer answers for what the file changed or confirmed (and the header), not for the
    # drafts they left alone
    problems += [p.line() for p in found if not p.msgid or (p.context, p.msgid) in touched]
    if problems:
        raise _refuse(path, problems)
    still = sum(1 for m in current if m.id and m.fuzzy and not is_variant(m.context))
    day = (on or dt.date.today()).isoformat()
    lines = [
        ln
        for ln in (current.header_comment or "").splitlines()
        if REVIEW_MARK not in ln and PARTLY_MARK not in ln
    ]
    if NEEDS_NATIVE_MARK not in (returned.header_comment or ""):
        lines = [ln for ln in lines if NEEDS_NATIVE_MARK not in ln]
    total = sum(1 for m in current if m.id and not is_variant(m.context))
    if still:
        lines.append(f"# {PARTLY_MARK} {reviewer.strip()} ({day}): {total - still} of {total} messages")
    else:
        lines.append(f"# {REVIEW_MARK} {reviewer.strip()} ({day})")
        current.fuzzy = False
    current.header_comment = "\n".join(lines)
    current.last_translator = reviewer.strip()
    current.revision_date = dt.datetime.combine(on or dt.date.today(), dt.time(), tzinfo=dt.UTC)
    out = po_path(code, root=root, domain=domain)
    out.write_bytes(_po_bytes(current))
    _translations.cache_clear()
    _fuzzy_families.cache_clear()
    return Imported(code, domain, confirmed, drafts, still, out)
