"""The Prefect ingest flow imports what ``counterflow ingest`` imports: files of reports, and
articles and feeds (read by their suffix)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import select

from flows.loop import ingest_flow
from intel.db import get_engine, session_scope
from intel.models import Report, Source
from intel.settings import Settings

ARTICLE = (
    "<html><head><title>Trafficking ring broken</title>"
    '<meta property="article:published_time" content="2024-02-10T08:00:00Z"></head>'
    "<body><p>Police in Benin City arrested a trafficker who sent girls into prostitution in Italy."
    "</p></body></html>"
)
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Shipwreck off Lampedusa, Italy</title><description>A boat capsized.</description>
<pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate><link>https://example.org/1</link></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id>
<updated>2024-04-02T09:00:00Z</updated>
<entry><title>Migrants held in Sabha, Libya</title><id>urn:t:1</id>
<updated>2024-04-02T09:00:00Z</updated><link href="https://example.org/2"/>
<summary>Migrants were held for ransom after crossing the desert by truck.</summary></entry>
</feed>"""


def _run(settings: Settings, path: Path, **kw: str) -> dict:
    return ingest_flow(path=str(path), home=str(settings.home), database_url=settings.db_url, **kw)


def test_the_ingest_flow_imports_an_article_and_feeds(
    prefect_harness: None, sqlite_settings: Settings, tmp_path: Path
) -> None:
    article, rss, atom = tmp_path / "article.html", tmp_path / "news.rss", tmp_path / "alerts.atom"
    article.write_text(ARTICLE, encoding="utf-8")
    rss.write_text(RSS, encoding="utf-8")
    atom.write_text(ATOM, encoding="utf-8")

    a = _run(sqlite_settings, article)
    b = _run(sqlite_settings, rss, kind="ngo_report", source="Sea watch")
    c = _run(sqlite_settings, atom)
    assert (a["rows_stored"], b["rows_stored"], c["rows_stored"]) == (1, 1, 1)
    assert a["lines"][0].startswith("import #") and "article.html" in a["lines"][0]

    with session_scope(get_engine(sqlite_settings)) as s:
        rows = s.exec(select(Report, Source).join(Source).order_by(Report.id)).all()
        found = [(r.place, r.observed_on, src.kind, src.name) for r, src in rows]
    assert found == [
        ("Benin City", dt.date(2024, 2, 10), "news", "article.html"),
        ("Lampedusa", dt.date(2024, 3, 5), "ngo_report", "Sea watch"),
        ("Sabha", dt.date(2024, 4, 2), "news", "alerts.atom"),
    ]
    assert rows[0][0].exploitation == "sexual" and rows[1][0].transport == "boat"

    again = _run(sqlite_settings, rss)
    assert again["already_imported"] and again["rows_stored"] == 0
