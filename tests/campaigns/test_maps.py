"""The campaign map: every target drawn, and names from the field never run as script."""

from __future__ import annotations

from campaigns.maps import targets_map
from hotspots.maps import hotspot_map
from intel.models import Target

EVIL = "<img src=x onerror=alert(1)>`${alert(2)}`\\"


def _target(name: str, lat: float, lon: float) -> Target:
    return Target(
        campaign_id=1, name=name, lat=lat, lon=lon, radius_km=10, country="NG", timezone="Africa/Lagos",
        languages="en|pcm", population=1000, reach_estimate=100,
    )  # fmt: skip


def test_targets_are_drawn_and_names_are_escaped():
    html = targets_map([_target(EVIL, 6.3, 5.6), _target("Uromi", 6.7, 6.3)]).get_root().render()
    assert html.count("cf-target") >= 2
    assert "<img src=x" not in html and "${alert" not in html and "`${" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_hotspot_tooltips_escape_place_names():
    import pandas as pd

    cells = pd.DataFrame(
        {
            "cell": ["a"], "lat": [6.3], "lon": [5.6], "place": [EVIL], "country": ["NG"], "count": [3],
            "weight": [2.0], "z": [3.1], "p": [0.001], "bin": [3], "trend": ["new hot spot"], "rank": [1],
            "extent_km": [5.0], "reasons": [{}],
        }
    )  # fmt: skip
    html = hotspot_map(cells, ranked=cells).get_root().render()
    assert "<img src=x" not in html and "${alert" not in html
