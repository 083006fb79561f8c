"""The partner's map, PNG and workbook, made without HTTP from the hand-made sites and transactions."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from flows.steps.overlays import _transaction_backdrop, about
from hotspots.overlay import score_sites
from hotspots.overlay_outputs import Backdrop, overlay_map, overlay_png, overlay_xlsx
from hotspots.overlay_transactions import score_transactions
from tests.hotspots.test_overlay import RES, SITES, _run
from tests.hotspots.test_overlay_transactions import FLOWS, ROUTE, TX


def test_the_sites_map_is_fitted_to_the_sites_with_a_legend_and_labels(tmp_path: Path) -> None:
    cells = _run()
    sites = score_sites(SITES, cells, resolution=RES).sites
    backdrop = Backdrop(hotspots=cells.loc[cells["bin"] > 0, ["cell", "lat", "lon", "bin"]])
    html = overlay_map(sites, kind="sites", backdrop=backdrop, title="sites").get_root().render()
    # the placed sites span 6.30..11.00 N at 5.60 E: the view is those bounds and a half-degree margin
    assert "[[5.8, 5.1], [11.5, 6.1]]" in html
    assert "hot spot, 99 %" in html and "score 75-100" in html and "corridor reports name" not in html
    assert "5 of 6 records drawn" in html  # S4 is placed only to its country
    assert 'cf-town\\"\\u003eS1\\u003c/div' in html  # the highest scores labelled by id (in JSON)
    png = overlay_png(sites, kind="sites", backdrop=backdrop, title="sites", path=tmp_path / "s.png")
    assert isinstance(png, Path) and png.read_bytes()[:4] == b"\x89PNG"


def test_the_transactions_map_draws_the_corridors_they_fall_on() -> None:
    scored = score_transactions(TX, FLOWS, [ROUTE], k=11).transactions
    backdrop = _transaction_backdrop(scored, [ROUTE])
    # NG -> IT, NG -> LY and NE -> LY carry transactions; FR -> DE and NG -> NG are no corridor
    assert sorted(backdrop.corridors["corridor"]) == ["NE -> LY", "NG -> IT", "NG -> LY"]
    html = overlay_map(scored, kind="transactions", backdrop=backdrop, title="tx").get_root().render()
    assert "NG -&gt; LY: &lt;11 reports" in html and "NE -&gt; LY: 200 reports" in html
    assert "6 of 6 records drawn" in html  # country-only ends at their country's stand-in point
    buf = io.BytesIO()
    overlay_png(scored, kind="transactions", backdrop=backdrop, title="tx", path=buf)
    assert buf.getvalue()[:4] == b"\x89PNG"


def test_the_workbook_holds_every_sheet_and_neutralises_formulas() -> None:
    records = pd.DataFrame({"rank": [1], "id": ["=1+1"], "score": [50.0]})
    body = overlay_xlsx(records, pd.DataFrame({"x": [1]}), pd.DataFrame(columns=["line", "id", "reason"]),
                        about=about("transactions"))  # fmt: skip
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["ranked", "summary", "rejects", "about"]
    assert book["ranked"]["B2"].value == "'=1+1"
    assert book["about"]["A3"].value == "points: known_flow" and book["about"]["B3"].value == "up to 30"
