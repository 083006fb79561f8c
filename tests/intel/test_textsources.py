"""Text sources: articles, HTML and feeds become reports with places, labels, date and language."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from intel.db import session_scope
from intel.models import Reject, Report
from intel.textsources import (
    Document,
    detect_language,
    document_report,
    find_date,
    find_places,
    read_documents,
)

FR = (
    "Des jeunes femmes recrutées à Agadès avec une fausse offre d'emploi ont été séquestrées à Tripoli, "
    "en Libye, le 12 mars 2023. Le camion a traversé le désert."
)
IT = "Un gommone partito da Zuara è naufragato al largo di Lampedusa, in Italia, il 5 maggio 2022."
AR = "تم احتجاز مهاجرين في سبها بعد عبور الصحراء ووعود كاذبة بالعمل في طرابلس، ليبيا"


def test_french_article():
    r = document_report(Document(title="", text=FR))
    assert (r["place"], r["country"], r["observed_on"], r["language"]) == (
        "Agadez",
        "NE",
        dt.date(2023, 3, 12),
        "fr",
    )
    assert (
        r["recruitment"] == "job_offer" and "restricts_movement" in r["control"] and r["transport"] == "truck"
    )
    triggers = {lab["code"]: lab["triggers"] for lab in r["extra"]["labels"]}
    assert triggers["job_offer"] == ["offre d'emploi"] and triggers["truck"] == ["camion"]
    assert [p["name"] for p in r["extra"]["places"]] == ["Agadez", "Tripoli"]
    assert r["extra"]["places"][1]["country"] == "LY"  # "en Libye" decides between the Tripolis


def test_italian_and_arabic():
    it = document_report(Document(title="", text=IT))
    assert it["language"] == "it" and it["transport"] == "boat"
    assert {p["name"] for p in it["extra"]["places"]} == {"Zuwarah", "Lampedusa"}
    ar = document_report(Document(title="", text=AR))
    assert ar["language"] == "ar" and ar["place"] == "Sabha" and "desert_crossing" in ar["transport"]


def test_no_false_places():
    assert find_places("May the army say no. Un jour, Will spoke to Victoria.") == []
    assert find_places("Survivors reached Lampedusa.") == []  # small and no country named
    assert [m.place.name for m in find_places("Survivors reached Lampedusa, Italy.")] == ["Lampedusa"]


def test_dates_and_languages():
    assert find_date("On March 3, 2024 and 2024-05-01") == dt.date(2024, 3, 3)
    assert find_date("Le 1er juin 2021") == dt.date(2021, 6, 1)
    assert find_date("no date here") is None
    assert detect_language("The girls were taken to the city") == "en"
    assert detect_language("xyz") is None


def test_html_and_feed_import(engine, settings, tmp_path):
    page = tmp_path / "article.html"
    page.write_text(
        "<html><head><title>Trafficking ring broken</title>"
        '<meta property="article:published_time" content="2024-02-10T08:00:00Z"></head>'
        "<body><script>var Paris = 1;</script><p>Police in Benin City arrested a trafficker who sent "
        "girls into prostitution in Italy.</p></body></html>",
        encoding="utf-8",
    )
    feed = tmp_path / "feed.xml"
    feed.write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Shipwreck off Lampedusa, Italy</title><description>A boat capsized.</description>
<pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate><link>https://example.org/1</link></item>
<item><title>Market news</title><description>Prices rose.</description>
<pubDate>Tue, 05 Mar 2024 11:00:00 GMT</pubDate></item></channel></rss>""",
        encoding="utf-8",
    )
    docs = read_documents(page)
    assert docs[0].title == "Trafficking ring broken" and "var Paris" not in docs[0].text
    from intel.textsources import ingest_text_file

    with session_scope(engine) as s:
        a = ingest_text_file(s, path=page, settings=settings)
        b = ingest_text_file(s, path=feed, settings=settings, source_name="Feed")
        again = ingest_text_file(s, path=feed, settings=settings)
        reports = s.exec(select(Report).order_by(Report.id)).all()
        rejects = s.exec(select(Reject)).all()
    assert (a.rows_stored, b.rows_stored, b.rows_rejected) == (1, 1, 1) and again.already_imported
    article, wreck = reports
    assert (article.place, article.observed_on, article.exploitation) == (
        "Benin City",
        dt.date(2024, 2, 10),
        "sexual",
    )
    assert article.extra["labels"][0]["triggers"] == ["prostitution"]
    assert (wreck.place, wreck.transport, wreck.observed_on) == ("Lampedusa", "boat", dt.date(2024, 3, 5))
    assert wreck.extra["url"] == "https://example.org/1"
    assert rejects[0].line == 2 and "no place" in rejects[0].reason


def test_a_country_named_in_text_is_not_a_namesake_town_abroad():
    assert find_places("They were taken from Armenia to Russia.") == []  # not Armenia, Colombia
    assert find_places("Benin and Togo border posts") == []  # not Benin City, Nigeria
    assert [m.place.country for m in find_places("They crossed to Djibouti.")] == ["DJ"]
