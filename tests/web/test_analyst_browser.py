"""The analyst's journey in headless Chromium against a real server: sign in, import a file (in
the background, its progress polled by the page's script under the app's CSP), read the rejects,
run hotspots for a route twice and read what changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine

from intel.settings import Settings
from tests.factories import PASSWORD, Seeded, clusters, seed, store_reports
from tests.web.journey import serve
from tests.web.test_analyst_pages import HANDMADE
from tests.web.test_browser import browser  # noqa: F401  (Chromium)
from tests.web.test_pages_browser import _watch
from web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def live_background(settings: Settings, engine: Engine) -> Iterator[tuple[str, Seeded]]:
    """A live server on which every upload is imported in the background (as a large one is), on
    SQLite and on PostgreSQL."""
    seeded = seed(engine)
    store_reports(engine, clusters([(16.97, 7.99, 30), (32.89, 13.19, 20), (6.34, 5.62, 12)], seed=3))
    app = create_app(settings)
    app.state.import_inline_bytes = 0
    with serve(app) as base:
        yield base, seeded


def test_the_analyst_imports_a_file_and_runs_hotspots_in_the_browser(
    live_background: tuple[str, Seeded],
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, _ = live_background
    context = browser.new_context()
    page = context.new_page()
    seen = _watch(page, base)
    page.goto(f"{base}/signin")
    page.fill("#name", "ana")
    page.fill("#password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(f"{base}/")
    page.click("header >> text=Import")
    page.wait_for_url(f"{base}/imports")
    cases = tmp_path / "cases.csv"
    cases.write_text(HANDMADE, encoding="utf-8")
    page.set_input_files("#file", str(cases))
    page.select_option("#spec", "auto")
    page.click("#import-submit")
    # the progress page's script polls the job and opens the result when it is done
    page.wait_for_url(lambda url: "/imports/" in url and "/jobs/" not in url, timeout=20000)
    assert page.inner_text("#n-read") == "4" and page.inner_text("#n-rejected") == "2"
    assert page.locator("#rejects tbody tr").count() == 2
    assert "Nowhereville Qqq" in page.inner_text("#rejects")
    with page.expect_download() as download:
        page.click("#rejects-csv")
    assert "'=1+2" in Path(download.value.path()).read_text(encoding="utf-8")
    for _ in range(2):
        page.goto(f"{base}/hotspots")
        page.click("#new-run")
        page.fill("#towns", "Benin City > Agadez > Tripoli")
        page.select_option("#method", "counts")
        page.click("#hotspots-submit")
        page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit(), timeout=60000)
    page.wait_for_selector("#changes", timeout=60000)  # a slow first run on a busy machine
    assert page.locator("#changes").inner_text().startswith("What changed since the last run")
    assert "Compared with run" in page.inner_text("#changes")
    assert page.locator("#ranked tbody tr").count() >= 1
    assert seen["outside"] == [] and seen["csp"] == [] and seen["errors"] == []
    context.close()
