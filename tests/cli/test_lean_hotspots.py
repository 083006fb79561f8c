"""`counterflow hotspots`, run as the console script runs it in a fresh interpreter, loads only
what scoring a route and drawing its map need (issue 19: the whole cold command in 1.5 s on a
million reports): no orchestration, web server, machine learning or plotting library, not the
~40 plugins of ``folium.plugins``; and ``cli.main`` tunes the process's garbage collector and
turns pydantic's plugin search off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from cli.main import GC_THRESHOLDS
from intel.db import get_engine
from intel.settings import Settings
from tests.factories import clusters, store_reports

ROOT = Path(__file__).resolve().parents[2]

#: Top-level packages (and ``folium.plugins``) the gi hotspot command must not import.
NOT_NEEDED = (
    "prefect", "dask", "distributed", "fastapi", "starlette", "uvicorn", "sklearn", "matplotlib",
    "geopandas", "esda", "libpysal", "facebook_business", "babel", "openpyxl", "cryptography",
    "folium.plugins",
)  # fmt: skip

# The console script's entry (`cli.main:run`), then what was imported, the collector's
# thresholds and pydantic's plugin switch as JSON on the last line, printed at exit (run() ends
# with sys.exit).
PROBE = """
import atexit, gc, json, os, sys
atexit.register(lambda: print(json.dumps({
    "modules": sorted(sys.modules), "gc": gc.get_threshold(), "plugins": os.environ["PYDANTIC_DISABLE_PLUGINS"],
})))
sys.argv = ["counterflow", *sys.argv[1:]]
from cli.main import run
run()
"""


def test_a_gi_run_with_its_map_imports_only_what_it_needs(sqlite_settings: Settings) -> None:
    store_reports(
        get_engine(sqlite_settings),
        pd.concat(
            [
                clusters([(16.97, 7.99, 40)], spread_deg=0.2, place="Agadez", country="NE"),
                clusters([(32.89, 13.19, 40)], spread_deg=0.2, seed=2, place="Tripoli", country="LY"),
            ],
            ignore_index=True,
        ),
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"},
        "COUNTERFLOW_HOME": str(sqlite_settings.home),
        "COUNTERFLOW_DATABASE_URL": sqlite_settings.db_url,
        "COUNTERFLOW_ENVIRONMENT": "test",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "hotspots", "--route", "Agadez > Tripoli", "--method", "gi"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "map: " in result.stdout
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    modules = set(seen["modules"])
    assert {"folium", "hotspots.maps", "hotspots.pipeline", "sqlalchemy"} <= modules  # it did the work
    loaded = [name for name in NOT_NEEDED if name in modules]
    assert not loaded, f"the hotspots command imported {loaded}: import them where they are needed"
    assert tuple(seen["gc"]) == GC_THRESHOLDS
    assert seen["plugins"] == "__all__"  # no scan of every distribution's entry points
