"""News articles and reports as plain text, HTML or RSS/Atom feeds -> reports.

Offline and deterministic: places come from the gazetteer (word n-grams matched against its
names and alternate spellings; a place counts only if it is populous enough or its country is
named in the same text), labels from the multilingual taxonomy (each with the words that
triggered it), the date from the feed or page metadata or the first date written in the text,
the language from stop words (en, fr, it) or the script (ar). The report's place is the place
mentioned most often (the first mentioned on a tie); every place found is kept in ``extra``.

>>> doc = Document(title="", text="Girls from Benin City were forced into prostitution in Sabha, Libya, on 3 March 2024.")
>>> r = document_report(doc)
>>> r["place"], r["exploitation"], str(r["observed_on"])
('Benin City', 'sexual', '2024-03-03')
>>> [p["name"] for p in r["extra"]["places"]]
['Benin City', 'Sabha']
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from intel.errors import CounterflowError, NotFound
from intel.gazetteer import Gazetteer, GeoPlace, countries_named, country_named, get_gazetteer, normalise
from intel.taxonomy import label_text

MIN_POPULATION = 15000
MAX_NGRAM = 3


@dataclass(frozen=True)
class Document:
    """One article or feed entry."""

    title: str
    text: str
    published: dt.date | None = None
    url: str | None = None


# --- reading ---------------------------------------------------------------------


class _Html(HTMLParser):
    SKIP = {"script", "style", "noscript", "nav", "footer", "header", "aside", "form"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            a = {k: v or "" for k, v in attrs}
            key = a.get("property") or a.get("name") or a.get("itemprop")
            if key and "content" in a:
                self.meta[key.lower()] = a["content"]
        elif tag == "time":
            a = {k: v or "" for k, v in attrs}
            if a.get("datetime"):
                self.meta.setdefault("time", a["datetime"])
        if tag in ("p", "br", "div", "h1", "h2", "h3", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def html_text(html: str) -> tuple[str, str, dict[str, str]]:
    """(title, visible text, meta tags) of an HTML page."""
    p = _Html()
    p.feed(html)
    p.close()
    text = re.sub(r"[ \t\r\f\v]+", " ", "".join(p.parts))
    text = re.sub(r"\n\s*\n+", "\n", text).strip()
    return p.title.strip(), text, p.meta


def _iso_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


#: A file where more than this share of characters are undecodable bytes or control characters
#: is not an article (random bytes, a binary file): refused whole, never read for place names.
NOT_TEXT_SHARE = 0.05
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def _not_text(text: str) -> bool:
    sample = text[:200_000]
    return bool(sample) and len(_CONTROL.findall(sample)) > NOT_TEXT_SHARE * len(sample)


def read_documents(path: Path) -> list[Document]:
    """The documents of a .txt, .html or RSS/Atom file."""
    if not path.is_file():
        raise NotFound(f"file {str(path)!r} does not exist", "check the path")
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    if _not_text(text):
        raise CounterflowError(
            f"{path.name} is not text: more than {NOT_TEXT_SHARE:.0%} of its characters are not "
            "UTF-8 letters, digits, punctuation or spaces",
            "give the article as UTF-8 text, HTML or an RSS/Atom feed (a binary file cannot be read)",
        )
    suffix = path.suffix.lower()
    head = text.lstrip()[:300].lower()
    if (
        suffix in (".xml", ".rss", ".atom")
        or head.startswith("<?xml")
        and ("<rss" in head or "<feed" in head)
    ):
        import feedparser

        feed = feedparser.parse(raw)
        if not feed.entries:
            raise CounterflowError(
                f"{path.name} has no feed entries"
                + (f" ({feed.bozo_exception})" if feed.get("bozo") else ""),
                "give an RSS or Atom file with <item> or <entry> elements",
            )
        docs = []
        for e in feed.entries:
            body = e.get("content", [{}])[0].get("value") if e.get("content") else e.get("summary", "")
            _, body_text, _ = html_text(body or "")
            stamp = e.get("published_parsed") or e.get("updated_parsed")
            published = dt.date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) if stamp else None
            docs.append(
                Document(title=e.get("title", ""), text=body_text, published=published, url=e.get("link"))
            )
        return docs
    if suffix in (".html", ".htm") or head.startswith(("<!doctype html", "<html")):
        title, body, meta = html_text(text)
        published = None
        for key in ("article:published_time", "datepublished", "date", "dc.date", "time"):
            published = published or _iso_date(meta.get(key))
        return [Document(title=title, text=body, published=published, url=meta.get("og:url"))]
    lines = text.strip().splitlines()
    return [Document(title=lines[0].strip() if lines else "", text=text.strip())]


# --- understanding ---------------------------------------------------------------

_STOP = {
    "en": {
        "the",
        "and",
        "of",
        "to",
        "in",
        "was",
        "were",
        "from",
        "with",
        "that",
        "for",
        "is",
        "by",
        "on",
        "they",
    },
    "fr": {
        "le",
        "la",
        "les",
        "et",
        "des",
        "du",
        "de",
        "en",
        "une",
        "un",
        "est",
        "dans",
        "pour",
        "qui",
        "ont",
        "sur",
    },
    "it": {
        "il",
        "la",
        "le",
        "di",
        "e",
        "che",
        "per",
        "una",
        "un",
        "sono",
        "nel",
        "della",
        "dei",
        "gli",
        "con",
        "è",
    },
}
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def detect_language(text: str) -> str | None:
    """en, fr, it or ar from stop words and script; None when the text gives no sign."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(1 for ch in letters if _ARABIC.match(ch)) / len(letters) > 0.3:
        return "ar"
    words = re.findall(r"\w+", text.casefold())
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOP.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 2 else None


_MONTHS = {
    # en
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    # fr
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    # it
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
    "agosto": 8, "settembre": 9, "ottobre": 10, "dicembre": 12,
}  # fmt: skip


def find_date(text: str) -> dt.date | None:
    """The first date written in the text (ISO, '3 March 2024', 'March 3, 2024', '3 mars 2024')."""
    folded = normalise(text)
    candidates: list[tuple[int, dt.date]] = []
    for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        if d:
            candidates.append((m.start() / max(len(text), 1) * len(folded), d))  # type: ignore[arg-type]
    months = "|".join(_MONTHS)
    for m in re.finditer(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)? ({months}) (\d{{4}})\b", folded):
        d = _safe_date(int(m[3]), _MONTHS[m[2]], int(m[1]))
        if d:
            candidates.append((m.start(), d))
    for m in re.finditer(rf"\b({months}) (\d{{1,2}}) (\d{{4}})\b", folded):
        d = _safe_date(int(m[3]), _MONTHS[m[1]], int(m[2]))
        if d:
            candidates.append((m.start(), d))
    return min(candidates, key=lambda t: t[0])[1] if candidates else None


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


@dataclass(frozen=True)
class PlaceMention:
    text: str
    place: GeoPlace
    count: int
    first: int


_NOT_PLACES = (
    set().union(*_STOP.values())
    | set(_MONTHS)
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "police", "court",
       "president", "minister", "news", "government", "army", "mr", "mrs", "ms", "dr", "said", "says"}
)  # fmt: skip


def find_places(
    text: str, *, gazetteer: Gazetteer | None = None, min_population: int = MIN_POPULATION
) -> list[PlaceMention]:
    """Gazetteer places named in a text, most mentioned first.

    A word n-gram (up to three words) that matches a place name or alternate spelling counts
    when the place has at least ``min_population`` people or its country is named in the same
    text; in Latin script it must start with a capital letter. A name shared by places in several
    countries is kept only if the text names one of those countries or one place dominates.
    """
    gaz = gazetteer or get_gazetteer()
    tokens = [(m.group(), m.start()) for m in re.finditer(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", text)]
    countries: set[str] = set()
    for n in (1, 2, 3, 4):
        for i in range(len(tokens) - n + 1):
            phrase = " ".join(t for t, _ in tokens[i : i + n])
            if phrase[:1].isupper() or _ARABIC.match(phrase[:1] or " "):
                code = _country_mention(phrase)
                if code:
                    countries.add(code)
    found: dict[tuple[str, str, float, float], list[int]] = {}
    labels: dict[tuple[str, str, float, float], tuple[str, GeoPlace]] = {}
    i = 0
    while i < len(tokens):
        matched = 0
        for n in range(MAX_NGRAM, 0, -1):
            if i + n > len(tokens):
                continue
            phrase = " ".join(t for t, _ in tokens[i : i + n])
            first = phrase[:1]
            if not (first.isupper() or _ARABIC.match(first)):
                continue
            if n == 1 and (len(phrase) < 3 or normalise(phrase) in _NOT_PLACES):
                continue
            cands = gaz.candidates(phrase)
            named = countries_named(phrase)
            if named:  # "Armenia" is the country, not Armenia (Colombia); Djibouti is both
                cands = [c for c in cands if c.country in named]
            if not cands:
                continue
            pick = _pick(cands, countries, min_population)
            if pick is None:
                continue
            key = (pick.name, pick.country, pick.lat, pick.lon)
            found.setdefault(key, []).append(tokens[i][1])
            labels[key] = (phrase, pick)
            matched = n
            break
        i += matched or 1
    mentions = [PlaceMention(labels[k][0], labels[k][1], len(v), v[0]) for k, v in found.items()]
    return sorted(mentions, key=lambda m: (-m.count, m.first))


def _country_mention(phrase: str) -> str | None:
    if len(phrase) < 4 and not _ARABIC.match(phrase[:1]):
        return None
    return country_named(phrase)


def _pick(cands: list[GeoPlace], countries: set[str], min_population: int) -> GeoPlace | None:
    in_named = [c for c in cands if c.country in countries]
    if in_named:
        return in_named[0]
    best = cands[0]
    others = [c for c in cands if c.country != best.country]
    if others and best.population < 10 * others[0].population:
        return None  # ambiguous and no country named: do not guess
    return best if best.population >= min_population else None


def document_report(
    doc: Document, *, gazetteer: Gazetteer | None = None, min_population: int = MIN_POPULATION
) -> dict[str, Any]:
    """One report (``Report`` fields plus ``extra``) from one document; ``place`` is None when no
    place was found."""
    full = f"{doc.title}\n{doc.text}".strip()
    labels = label_text(full)
    mentions = find_places(full, gazetteer=gazetteer, min_population=min_population)
    date = doc.published or find_date(full)
    main = mentions[0] if mentions else None
    facets: dict[str, list[str]] = {"exploitation": [], "recruitment": [], "control": [], "transport": []}
    for lab in labels:
        facets[lab.facet].append(lab.code)
    summary = (doc.title + " - " if doc.title and doc.title not in doc.text[:200] else "") + doc.text
    return {
        "observed_on": date,
        "summary": summary[:1000],
        "language": detect_language(full),
        "place": main.place.name if main else None,
        "country": main.place.country if main else None,
        "lat": main.place.lat if main else None,
        "lon": main.place.lon if main else None,
        **{k: "|".join(v) for k, v in facets.items()},
        "extra": {
            "labels": [
                {"facet": lab.facet, "code": lab.code, "triggers": list(lab.triggers)} for lab in labels
            ],
            "places": [
                {"text": m.text, "name": m.place.name, "country": m.place.country, "mentions": m.count}
                for m in mentions
            ],
            "title": doc.title[:300],
            "url": doc.url,
            "date_from": "metadata" if doc.published else ("text" if date else None),
            "text_sha256": hashlib.sha256(full.encode()).hexdigest(),
        },
    }


def ingest_text_file(
    session: Session,
    *,
    path: str | Path,
    source_kind: str = "news",
    source_name: str | None = None,
    settings: Any = None,
    min_population: int = MIN_POPULATION,
) -> Any:
    """Import an article or feed: one report per document; documents without a place or date are
    rejected with the reason (and kept in the rejects table and file)."""
    from intel.ingest.readers import RawBatch
    from intel.ingest.service import _run_batches, file_sha256, hold_file_digest
    from intel.settings import get_settings
    from intel.specs import load_spec

    settings = settings or get_settings()
    p = Path(path)
    docs = read_documents(p)
    reports = [document_report(d, min_population=min_population) for d in docs]
    for r in reports:
        if r["observed_on"] is None:  # no date anywhere: the file's date, said in extra
            r["observed_on"] = dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC).date()
            r["extra"]["date_from"] = "file"
    rows = []
    bad: list[tuple[int, str, str]] = []
    kept: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, r in enumerate(reports, start=1):
        if r["place"] and not r["extra"]["labels"]:
            # no trafficking term: whatever places it names, it is not intelligence on trafficking
            # (and a place found in noise would put a report where nothing happened)
            bad.append((number, "the text holds no trafficking term of the taxonomy (such as trafficking, "
                        "forced labour, prostitution), so it is not a report; import articles about "
                        "trafficking only", r["summary"][:200]))  # fmt: skip
            continue
        kept.append(r)
        lines.append(number)
        rows.append(
            {
                "date": r["observed_on"].isoformat() if r["observed_on"] else "",
                "place": r["place"] or "",
                "country": r["country"] or "",
                "lat": "" if r["lat"] is None else repr(r["lat"]),
                "lon": "" if r["lon"] is None else repr(r["lon"]),
                # the gazetteer's coordinates stand for the town the text names, not a point
                "place_precision": "town" if r["place"] else "",
                "summary": r["summary"],
                "language": r["language"] or "",
                **{k: r[k] for k in ("exploitation", "recruitment", "control", "transport")},
            }
        )
    frame = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame()
    raw = RawBatch(frame, lines, bad, len(reports))
    from sqlmodel import select

    from intel.models import ImportBatch

    sha = file_sha256(p)
    hold_file_digest(session, sha)
    done = session.exec(
        select(ImportBatch).where(ImportBatch.sha256 == sha, ImportBatch.status == "done")
    ).first()
    if done is not None and done.id is not None:
        from intel.ingest.service import ImportSummary

        return ImportSummary(import_id=done.id, file_name=p.name, spec="text", already_imported=True)
    spec = load_spec("reports", home=settings.home)
    return _run_batches(
        session, batches=iter([raw]), spec=spec, file_name=p.name, sha256=sha, source_kind=source_kind,
        source_name=source_name or p.name, settings=settings, dedup=None, radius_km=5.0, window_days=14,
        extras=[r["extra"] for r in kept], simulated=np.zeros(len(kept), dtype=bool),
    )  # fmt: skip


__all__ = [
    "Document",
    "detect_language",
    "document_report",
    "find_date",
    "find_places",
    "ingest_text_file",
    "read_documents",
]
