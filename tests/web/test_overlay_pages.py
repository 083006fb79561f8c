"""The partner's pages: upload a file of sites, read the ranked result, download it; a result is
its owner's alone, and a partner sees no other page (the matrix is in test_permissions.py)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from hotspots import h3cells
from intel import hotspot_store
from intel.db import get_engine
from intel.models import Report
from intel.settings import Settings
from tests.factories import as_user, make_users
from web.app import create_app

SITES = (
    "id,lat,lon,country,good\n"
    '"=HYPERLINK(""http://x"")",6.30,5.60,NG,Cocoa\n'
    "far,7.20,5.60,NG,Textiles\n"
    "bad,,,Narnia,Cocoa\n"
)


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[tuple[TestClient, int]]:
    engine = get_engine(sqlite_settings)
    cell = h3cells.to_str(h3cells.cells_of(np.array([6.30]), np.array([5.60]), 5))[0]
    frame = pd.DataFrame(
        {
            "cell": [cell],
            "lat": [6.30],
            "lon": [5.60],
            "bin": [3],
            "trend": ["new hot spot"],
            "reasons": [{"forecast": 2.5}],
            "count": [12],
        }  # fmt: skip
    )
    with Session(engine) as s:
        make_users(s)
        run = hotspot_store.save_run(s, cells=frame, params={}, n_reports=12, resolution=5)
        s.commit()
        assert run.id is not None
        run_id = run.id
    with TestClient(create_app(sqlite_settings)) as c:
        yield c, run_id


def _upload(client: TestClient, who: str, body: str, run: str = "") -> object:
    headers = as_user(client, who)
    return client.post(
        "/overlay",
        headers=headers,
        data={"csrf_token": headers["X-CSRF-Token"], "run": run},
        files={"file": ("sites.csv", body.encode(), "text/csv")},
        follow_redirects=False,
    )


def test_a_partner_uploads_sites_and_reads_the_ranked_result(
    client: tuple[TestClient, int], sqlite_settings: Settings
) -> None:
    c, run_id = client
    home = sqlite_settings.home
    form = c.get("/overlay", headers=as_user(c, "pia"))
    assert form.status_code == 200 and f'<option value="{run_id}">' in form.text
    assert 'href="/hotspots"' not in form.text and 'href="/overlay"' in form.text  # the partner's nav
    r = _upload(c, "pia", SITES, run=str(run_id))
    assert r.status_code == 303, r.text[:300]  # type: ignore[attr-defined]
    where = r.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/overlay/[\w-]+", where)
    page = c.get(where, headers=as_user(c, "pia"))
    assert page.status_code == 200
    assert "never an accusation" in page.text
    assert f"#{run_id} · 2 sites scored · 1 rows rejected" in page.text
    # 30 + 20 (NG cocoa) + 25 inside + 15 at 0 km + 10 new hot spot = 100; far: 15 * 0.5 ** 2.0016 = 3.7
    scores = re.findall(r'<td class="num">(\d+\.\d)</td>', page.text)
    assert scores[:2] == ["100.0", "3.7"]
    assert "country &#39;Narnia&#39; is not a known country" in page.text
    ranked = c.get(where + "/ranked.csv", headers=as_user(c, "pia"))
    assert ranked.status_code == 200 and ranked.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(ranked.text)))
    assert [(x["id"], x["score"]) for x in rows] == [('\'=HYPERLINK("http://x")', "100.0"), ("far", "3.7")]
    summary = c.get(where + "/summary.csv", headers=as_user(c, "pia"))
    assert summary.text.splitlines()[1].startswith("NG,Nigeria,Cocoa,1,100.0,100.0,1,1,1,")
    with Session(c.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(func.count()).select_from(Report)).one() == 0  # nothing of the file stored
    uploads = home / "uploads"
    assert uploads.is_dir() and list(uploads.iterdir()) == []  # the uploaded file is gone


def test_a_result_is_its_owners_alone(client: tuple[TestClient, int]) -> None:
    c, run_id = client
    where = _upload(c, "pia", SITES, run=str(run_id)).headers["location"]  # type: ignore[attr-defined]
    for path in (where, where + "/ranked.csv", where + "/summary.csv"):
        other = c.get(path, headers=as_user(c, "ana"))
        assert other.status_code == 404 and "is not here" in other.text


def test_bad_uploads_say_what_to_do(client: tuple[TestClient, int]) -> None:
    c, _ = client
    r = _upload(c, "pia", "place,good\nBenin City,Cocoa\n")
    assert r.status_code == 400 and "has no &#39;id&#39; column" in r.text  # type: ignore[attr-defined]
    r = _upload(c, "pia", SITES, run="999")
    assert r.status_code == 404 and "hotspot run 999 does not exist" in r.text  # type: ignore[attr-defined]
    r = _upload(c, "pia", SITES, run="latest; drop")
    assert r.status_code == 400  # type: ignore[attr-defined]


TX = (
    "id,date,amount,currency,sender_place,sender_country,receiver_place,receiver_country\n"
    "A,2025-03-01,250,EUR,,NG,,IT\n"
    "B,2025-03-02,90,EUR,,NG,,FR\n"
)


def test_a_partner_overlays_transactions_and_gets_the_map_and_downloads(
    client: tuple[TestClient, int], sqlite_settings: Settings
) -> None:
    from tests.factories import reports, store_reports

    c, _ = client
    # NG -> IT: 12 reports, all in the last year: 30 known flow + 25 * 12 / 100 = 3 volume + 20 rising
    engine = c.app.state.engine  # type: ignore[attr-defined]
    store_reports(engine, reports([{"observed_on": "2025-05-01", "origin": "NG", "destination": "IT"}] * 12))
    headers = as_user(c, "pia")
    r = c.post(
        "/overlay", headers=headers, data={"csrf_token": headers["X-CSRF-Token"], "kind": "transactions"},
        files={"file": ("tx.csv", TX.encode(), "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text[:300]
    where = r.headers["location"]
    page = c.get(where, headers=as_user(c, "pia"))
    assert page.status_code == 200 and "2 transactions scored" in page.text
    assert re.findall(r'<td class="num">(\d+\.\d)</td>', page.text)[:2] == ["53.0", "0.0"]
    assert f'src="{where}/map"' in page.text and "Summary per corridor" in page.text
    the_map = c.get(where + "/map", headers=as_user(c, "pia"))
    assert the_map.status_code == 200 and "NG -&gt; IT: 12 reports" in the_map.text
    png = c.get(where + "/map.png", headers=as_user(c, "pia"))
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    book = c.get(where + "/ranked.xlsx", headers=as_user(c, "pia"))
    assert book.status_code == 200 and book.content[:2] == b"PK"
    # kept in the partner tables, for pia
    from intel.models import PartnerUpload

    with Session(c.app.state.engine) as s:  # type: ignore[attr-defined]
        kept = s.exec(select(PartnerUpload)).one()
        assert (kept.kind, kept.n_records, kept.key) == ("transactions", 2, where.rsplit("/", 1)[1])


def test_who_may_read_a_kept_result(client: tuple[TestClient, int]) -> None:
    """Its owner and an admin; another partner, an analyst, a director: not there (404)."""
    from tests.factories import user_with_password

    c, run_id = client
    with Session(c.app.state.engine) as s:  # type: ignore[attr-defined]
        user_with_password(s, "pat", "partner")
        s.commit()
    where = _upload(c, "pia", SITES, run=str(run_id)).headers["location"]  # type: ignore[attr-defined]
    for suffix in ("", "/ranked.csv", "/ranked.xlsx", "/summary.csv", "/map", "/map.png"):
        assert c.get(where + suffix, headers=as_user(c, "root")).status_code == 200, suffix
        for who in ("pat", "ana"):
            r = c.get(where + suffix, headers=as_user(c, who))
            assert r.status_code == 404 and "is not here" in r.text, (who, suffix)
    assert c.get(where, headers=as_user(c, "dina")).status_code == 403  # a director may not open overlays
    form = c.get("/overlay", headers=as_user(c, "pat"))
    assert where not in form.text  # pat's list holds only pat's results
    assert where in c.get("/overlay", headers=as_user(c, "pia")).text
    for who in ("pat", "ana"):  # nor may they delete it
        h = as_user(c, who)
        r = c.post(
            where + "/delete", headers=h, data={"csrf_token": h["X-CSRF-Token"]}, follow_redirects=False
        )
        assert r.status_code == 404
    h = as_user(c, "pia")
    r = c.post(where + "/delete", headers=h, data={"csrf_token": h["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/overlay"
    assert c.get(where, headers=as_user(c, "pia")).status_code == 404  # gone, with its records
    assert c.get(where, headers=as_user(c, "root")).status_code == 404
    from intel.models import PartnerRecord

    with Session(c.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(func.count()).select_from(PartnerRecord)).one() == 0


def test_dont_keep_sends_the_workbook_back_and_stores_nothing(client: tuple[TestClient, int]) -> None:
    from openpyxl import load_workbook

    from intel.models import PartnerRecord, PartnerUpload

    c, run_id = client
    headers = as_user(c, "pia")
    r = c.post(
        "/overlay", headers=headers,
        data={"csrf_token": headers["X-CSRF-Token"], "run": str(run_id), "dont_keep": "1"},
        files={"file": ("sites.csv", SITES.encode(), "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    assert (
        r.status_code == 200
        and r.headers["content-disposition"] == 'attachment; filename="sites-ranked.xlsx"'
    )
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    ranked = list(book["ranked"].iter_rows(values_only=True))
    assert ranked[1][1] == '\'=HYPERLINK("http://x")' and ranked[1][2] == 100.0  # a formula neutralised
    with Session(c.app.state.engine) as s:  # type: ignore[attr-defined]
        assert s.exec(select(func.count()).select_from(PartnerUpload)).one() == 0
        assert s.exec(select(func.count()).select_from(PartnerRecord)).one() == 0
