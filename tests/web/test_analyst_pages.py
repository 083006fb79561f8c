"""The analyst's pages: importing a file (spec chosen or detected, progress, rejects with their
reasons), running hotspots for a route, and what changed since the route's previous run."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import Hotspot, HotspotRun, ImportBatch, Reject, Report
from intel.settings import Settings
from tests.factories import Seeded, as_user, clusters, make_demo_run, make_route, reports, seed, store_reports
from web.app import create_app
from web.routes.analysis import changes_since_previous, previous_run

DATA = Path(__file__).resolve().parents[1] / "intel" / "data"
IOM = DATA / "iom_missing_migrants_sample.csv"

#: Four rows of the ``reports`` spec, two of them bad: a formula where the date should be (line 3)
#: and a town no gazetteer knows, with no country and no coordinates (line 4).
HANDMADE = (
    "date,place,country,summary\n"
    "2024-03-02,Agadez,NE,two girls moved north by truck\n"
    "=1+2,Agadez,NE,a formula where the date should be\n"
    "2024-03-05,Nowhereville Qqq,,no such town\n"
    "2024-03-09,Tripoli,LY,five women held in a house\n"
)


@pytest.fixture
def store_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A client of the app on a seeded store: SQLite, then PostgreSQL."""
    seed(engine)
    with TestClient(create_app(settings)) as c:
        yield c


def _upload(client: TestClient, who: str, name: str, body: bytes, spec: str = "auto", **extra: str):  # type: ignore[no-untyped-def]
    headers = as_user(client, who)
    return client.post(
        "/imports",
        headers=headers,
        data={"csrf_token": headers["X-CSRF-Token"], "spec": spec, **extra},
        files={"file": (name, body, "text/csv")},
        follow_redirects=False,
    )


def test_a_real_file_is_imported_with_the_spec_detected(store_client: TestClient) -> None:
    client = store_client
    r = _upload(client, "ana", IOM.name, IOM.read_bytes())
    assert r.status_code == 303, r.text[:300]
    m = re.fullmatch(r"/imports/(\d+)", r.headers["location"])
    assert m
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        batch = s.get(ImportBatch, int(m.group(1)))
        assert batch is not None
        assert (batch.spec, batch.file_name, batch.rows_read) == ("iom", IOM.name, 60)  # 61 lines, a header
        stored = len(s.exec(select(Report).where(Report.import_id == batch.id)).all())
    assert stored == batch.rows_stored + batch.rows_duplicate
    page = client.get(r.headers["location"], headers=as_user(client, "ana"))
    assert page.status_code == 200
    assert "spec iom" in page.text and '<dd id="n-read">60</dd>' in page.text
    assert f'<dd id="n-stored">{batch.rows_stored}</dd>' in page.text
    # the same file again: nothing added, and the page says so
    again = _upload(client, "ana", IOM.name, IOM.read_bytes())
    assert again.headers["location"] == f"/imports/{batch.id}?again=1"
    assert 'id="already"' in client.get(again.headers["location"], headers=as_user(client, "ana")).text


def test_the_rejected_rows_are_shown_with_their_line_and_reason_and_download_safely(
    store_client: TestClient,
) -> None:
    client = store_client
    r = _upload(client, "root", "cases.csv", HANDMADE.encode(), spec="reports")
    assert r.status_code == 303, r.text[:300]
    import_id = int(r.headers["location"].rsplit("/", 1)[1])
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        batch = s.get(ImportBatch, import_id)
        assert batch is not None
        assert (batch.rows_read, batch.rows_stored, batch.rows_rejected) == (4, 2, 2)
        rejects = s.exec(select(Reject).where(Reject.import_id == import_id).order_by(Reject.line)).all()
    assert [x.line for x in rejects] == [3, 4]
    assert "date" in rejects[0].reason and "=1+2" in rejects[0].reason
    assert "Nowhereville Qqq" in rejects[1].reason
    page = client.get(f"/imports/{import_id}", headers=as_user(client, "root")).text
    assert '<dd id="n-rejected">2</dd>' in page
    assert page.index('<td class="num">3</td>') < page.index('<td class="num">4</td>')  # top first
    assert "Nowhereville Qqq" in page
    csv_text = client.get(f"/imports/{import_id}/rejects.csv", headers=as_user(client, "root")).text
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0] == ["file", "line", "reason", "raw"]
    assert [row[1] for row in rows[1:]] == ["3", "4"]
    assert rows[1][3].startswith("'=1+2")  # the formula cell cannot run in a spreadsheet


def test_a_large_file_is_imported_in_the_background_with_its_progress(
    sqlite_settings: Settings, sqlite_engine: Engine, seeded: Seeded
) -> None:
    app = create_app(sqlite_settings)
    app.state.import_inline_bytes = 0  # every file counts as large here
    with TestClient(app) as client:
        r = _upload(client, "ana", IOM.name, IOM.read_bytes(), spec="iom")
        assert r.status_code == 303 and r.headers["location"].startswith("/imports/jobs/")
        # TestClient runs the background task before it returns: the job is done
        status = client.get(r.headers["location"] + "/status", headers=as_user(client, "ana")).json()
        assert status["state"] == "done" and status["rows_read"] == 60
        assert status["consumed"] == status["total"] == IOM.stat().st_size  # all the bytes read
        assert status["result_url"] == f"/imports/{status['import_id']}"
        page = client.get(r.headers["location"], headers=as_user(client, "ana")).text
        assert 'src="/static/import-progress.js"' in page and "<script>" not in page
        assert list((sqlite_settings.home / "uploads").iterdir()) == []  # the upload is removed
        gone = client.get("/imports/jobs/nope/status", headers=as_user(client, "ana"))
        assert gone.status_code == 404


def test_a_failed_background_import_says_why(
    sqlite_settings: Settings, sqlite_engine: Engine, seeded: Seeded
) -> None:
    app = create_app(sqlite_settings)
    app.state.import_inline_bytes = 0
    with TestClient(app) as client:
        r = _upload(client, "ana", "people.csv", b"name,age\nx,3\n")
        status = client.get(r.headers["location"] + "/status", headers=as_user(client, "ana")).json()
        assert status["state"] == "failed" and "no import spec fits people.csv" in status["problem"]
        assert status["result_url"] is None


def test_an_article_is_imported_through_the_text_path(client: TestClient, seeded: Seeded) -> None:
    article = (  # as in tests/intel/test_textsources.py: one incident, its date in the page's meta
        "<html><head><title>Trafficking ring broken</title>"
        '<meta property="article:published_time" content="2024-02-10T08:00:00Z"></head>'
        "<body><p>Police in Benin City arrested a trafficker who sent "
        "girls into prostitution in Italy.</p></body></html>"
    )
    r = _upload(client, "ana", "raid.html", article.encode())
    assert r.status_code == 303, r.text[:300]
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        batch = s.get(ImportBatch, int(r.headers["location"].rsplit("/", 1)[1]))
        assert batch is not None and batch.file_name == "raid.html" and batch.source_kind == "news"
        places = [x.place for x in s.exec(select(Report).where(Report.import_id == batch.id)).all()]
    assert places == ["Benin City"]


@pytest.mark.parametrize(
    ("name", "body", "spec", "status", "words"),
    [
        ("cases.exe", b"x", "auto", 400, "is not a file this form imports"),
        ("cases.csv", b"", "auto", 400, "is empty"),
        ("cases.csv", b"a,b\n", "nosuch", 400, "import spec 'nosuch' is not known"),
        ("people.csv", b"name,age\nx,3\n", "auto", 400, "no import spec fits people.csv"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    client: TestClient, seeded: Seeded, name: str, body: bytes, spec: str, status: int, words: str
) -> None:
    r = _upload(client, "ana", name, body, spec=spec)
    assert r.status_code == status and words in r.text.replace("&#39;", "'")


def test_an_upload_is_size_limited_and_needs_the_csrf_token(
    sqlite_settings: Settings, sqlite_engine: Engine, seeded: Seeded
) -> None:
    with TestClient(create_app(sqlite_settings, max_upload=4096)) as client:
        r = _upload(client, "ana", IOM.name, IOM.read_bytes())
        assert r.status_code == 413 and "from the command line" in r.text
        headers = as_user(client, "ana")
        del headers["X-CSRF-Token"]
        r = client.post("/imports", headers=headers, files={"file": ("a.csv", b"date\n")})
        assert r.status_code == 403 and "security token" in r.text


def test_an_upload_may_be_larger_than_other_requests(client: TestClient, seeded: Seeded) -> None:
    rows = "".join(
        f"2024-03-{1 + i % 28:02d},Agadez,NE,report number {i} of a long file\n" for i in range(4000)
    )
    body = ("date,place,country,summary\n" + rows).encode()
    assert len(body) > 128 * 1024  # the limit of every other request (web.bodylimit.MAX_BODY)
    r = _upload(client, "ana", "long.csv", body, spec="reports")
    assert r.status_code == 303, r.text[:300]
    with Session(client.app.state.engine) as s:  # type: ignore[attr-defined]
        batch = s.get(ImportBatch, int(r.headers["location"].rsplit("/", 1)[1]))
    assert batch is not None and batch.rows_read == 4000
    headers = as_user(client, "ana")
    tip = client.post(
        "/hotspots", headers=headers, data={"csrf_token": headers["X-CSRF-Token"], "towns": "x" * 200_000}
    )
    assert tip.status_code == 413  # other forms keep the small limit


def test_the_import_form_lists_the_specs_and_is_for_analysts(client: TestClient, seeded: Seeded) -> None:
    page = client.get("/imports", headers=as_user(client, "ana")).text
    for spec in ("auto", "reports", "iom", "ctdc", "unodc", "tip_edges"):
        assert f'<option value="{spec}">' in page
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert client.get("/imports", headers=as_user(client, "cleo")).status_code == 403


# --- hotspots -------------------------------------------------------------------------------------


def test_changes_since_the_previous_run_of_the_route(sqlite_engine: Engine, seeded: Seeded) -> None:
    # ranks before: Agadez 1, Tripoli 2, Zawiya 3; after: Tripoli 1, Agadez 2, Lampedusa 3
    spots = {
        "Agadez": (16.973, 7.991),
        "Tripoli": (32.887, 13.187),
        "Zawiya": (32.757, 12.728),
        "Lampedusa": (35.501, 12.61),
    }

    def cells(
        ranks: dict[str, int | None],
    ) -> list[tuple[str, float, float, int | None, float | None, int, float]]:
        return [(p, *spots[p], rank, 5.0, 2, 3.0) for p, rank in ranks.items()]

    with Session(sqlite_engine) as s:
        route = make_route(s, name="Agadez > Tripoli > Lampedusa")
        first = make_demo_run(s, route=route, hotspots=cells({"Agadez": 1, "Tripoli": 2, "Zawiya": 3}))
        other = make_demo_run(s, hotspots=cells({"Agadez": 1}))  # no route: not comparable
        second = make_demo_run(
            s, route=route, hotspots=cells({"Tripoli": 1, "Agadez": 2, "Lampedusa": 3, "Zawiya": None})
        )
        s.commit()
        # the demo runs name their cells by position: give each place one cell name in both runs
        for run in (first, second):
            for h in s.exec(select(Hotspot).where(Hotspot.run_id == run.id)).all():
                h.cell = h.place
                s.add(h)
        s.commit()
        assert previous_run(s, first) is None and previous_run(s, other) is None
        prev = previous_run(s, second)
        assert prev is not None and prev.id == first.id
        changes = changes_since_previous(s, second)
    assert changes is not None
    assert [(r["where"], r["before"], r["after"]) for r in changes.new] == [("Lampedusa", None, 3)]
    assert [(r["where"], r["before"], r["after"]) for r in changes.dropped] == [("Zawiya", 3, None)]
    assert [(r["where"], r["before"], r["after"]) for r in changes.up] == [("Tripoli", 2, 1)]
    assert [(r["where"], r["before"], r["after"]) for r in changes.down] == [("Agadez", 1, 2)]


def test_hotspots_run_from_the_form_and_the_second_run_says_what_changed(
    store_client: TestClient, engine: Engine
) -> None:
    client = store_client
    store_reports(engine, clusters([(16.97, 7.99, 30), (32.89, 13.19, 20), (6.34, 5.62, 12)], seed=3))
    headers = as_user(client, "ana")
    form = {
        "csrf_token": headers["X-CSRF-Token"],
        "towns": "Benin City > Agadez > Tripoli",
        "method": "counts",
    }
    r = client.post("/hotspots", headers=headers, data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:400]
    first = int(r.headers["location"].rsplit("/", 1)[1])
    page = client.get(r.headers["location"], headers=headers).text
    assert 'id="no-previous"' in page and "{" not in page.split('id="ranked"')[1]  # reasons as words
    assert re.search(r"\d+ reports", page.split('id="ranked"')[1])
    store_reports(engine, clusters([(6.34, 5.62, 60)], seed=4))  # Benin City grows
    r = client.post("/hotspots", headers=headers, data=form, follow_redirects=False)
    second = int(r.headers["location"].rsplit("/", 1)[1])
    page = client.get(r.headers["location"], headers=headers).text
    assert f'<a href="/hotspots/{first}">#{first}</a>' in page
    with Session(engine) as s:
        run = s.get(HotspotRun, second)
        assert run is not None and run.method == "counts-h3" and run.route_id is not None
        changes = changes_since_previous(s, run)
    assert changes is not None and changes.previous.id == first


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("method", "magic", "method 'magic' is not known"),
        ("since", "2024-13-01", "since '2024-13-01' is not a date"),
        ("resolution", "22", "resolution was 22"),
        ("route_id", "999", "route '999' does not exist"),
    ],
)
def test_the_hotspot_form_refuses_bad_values(
    client: TestClient, seeded: Seeded, field: str, value: str, words: str
) -> None:
    headers = as_user(client, "ana")
    r = client.post("/hotspots", headers=headers, data={"csrf_token": headers["X-CSRF-Token"], field: value})
    assert r.status_code == 400 and words in r.text.replace("&#39;", "'")


def test_the_hotspot_form_offers_the_saved_routes_and_the_forecast_first(
    client: TestClient, seeded: Seeded
) -> None:
    page = client.get("/hotspots/new", headers=as_user(client, "ana")).text
    assert f'<option value="{seeded.run.route_id}">' in page
    assert '<option value="forecast" selected>' in page
    assert client.get("/hotspots/new", headers=as_user(client, "cleo")).status_code == 403
    assert 'id="new-run"' in client.get("/hotspots", headers=as_user(client, "ana")).text
    assert 'id="new-run"' not in client.get("/hotspots", headers=as_user(client, "cleo")).text


# --- figures --------------------------------------------------------------------------------------


def test_histograms_and_flows_are_drawn_from_the_cli_steps(
    client: TestClient, sqlite_engine: Engine, seeded: Seeded
) -> None:
    # three reports in Niger (Nigeria -> Italy) and two in Libya (Eritrea -> Italy)
    niger = {"country": "NE", "lat": 16.97, "lon": 7.99, "origin": "NG", "destination": "IT"}
    libya = {"country": "LY", "lat": 32.89, "lon": 13.19, "origin": "ER", "destination": "IT"}
    store_reports(sqlite_engine, reports([niger] * 3 + [libya] * 2))
    headers = as_user(client, "ana")
    page = client.get("/figures?by=country", headers=headers).text
    histogram = page.split('id="histogram"')[1].split('id="flows"')[0]
    assert re.findall(r'data-value="([\d.]+)"', histogram) == ["3.0", "2.0"]  # NE, then LY
    assert histogram.index(">NE<") < histogram.index(">LY<")
    flows = page.split('id="flows"')[1]
    assert re.findall(r'data-value="([\d.]+)"', flows) == ["3.0", "2.0"]
    assert "NG → IT" in flows and "ER → IT" in flows
    heat = client.get("/figures?by=country&heat=year", headers=headers).text
    assert '<table id="heat">' in heat and "2024" in heat
    assert client.get("/figures", headers=as_user(client, "dina")).status_code == 403


def test_a_figure_that_cannot_be_drawn_says_why(client: TestClient, seeded: Seeded) -> None:
    page = client.get("/figures?measure=convicted", headers=as_user(client, "ana")).text
    assert page.count('class="notice"') == 2 and "<svg" not in page
