"""The campaign map: every target drawn, and names from the field never run as script."""

from __future__ import annotations

import pytest

from campaigns.plan.maps import targets_map
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


def test_a_campaign_map_draws_the_route_its_hotspot_run_used(engine):
    from sqlmodel import Session

    from campaigns.plan.maps import map_rows
    from intel import hotspot_store
    from tests.factories import make_draft_campaign

    waypoints = [
        {"name": "Benin City", "lat": 6.34, "lon": 5.62, "country": "NG"},
        {"name": "Agadez", "lat": 16.97, "lon": 7.99, "country": "NE"},
    ]
    with Session(engine) as s:
        route = hotspot_store.get_or_create_route(s, name="BC-AG", waypoints=waypoints, corridor_km=120)
        cells = pd_cells()
        run = hotspot_store.save_run(
            s, cells=cells, n_reports=3, route_id=route.id,
            params={"route": "BC-AG", "waypoints": waypoints, "corridor_km": 120.0},
        )  # fmt: skip
        c = make_draft_campaign(s)
        c.route_id, c.hotspot_run_id = route.id, run.id
        s.add(c)
        s.commit()
        # the route is widened and extended after the campaign was planned
        hotspot_store.get_or_create_route(
            s, name="BC-AG", waypoints=[*waypoints, {"name": "Tripoli", "lat": 32.89, "lon": 13.19}],
            corridor_km=300,
        )  # fmt: skip
        s.commit()
        targets, drawn = map_rows(s, campaign_id=c.id)
        assert drawn.corridor_km == 120 and [w["name"] for w in drawn.waypoints] == ["Benin City", "Agadez"]
        assert len(targets) >= 1
        html = targets_map(targets, route=drawn).get_root().render()
        assert "Tripoli" not in html


def pd_cells():
    import pandas as pd

    return pd.DataFrame(
        {"cell": ["a"], "lat": [6.3], "lon": [5.6], "count": [3], "z": [3.1], "reasons": [{}]}
    )


def test_the_campaign_map_has_a_legend_town_labels_and_opens_on_route_and_targets():
    import re

    from intel.models import Route

    route = Route(
        name="Benin City > Rome", corridor_km=100.0,
        waypoints=[{"name": "Benin City", "lat": 6.34, "lon": 5.62}, {"name": "Rome", "lat": 41.9, "lon": 12.48}],
    )  # fmt: skip
    uromi = _target("Uromi", 6.7, 6.33)
    rome = _target("Rome Termini", 41.9, 12.5)
    rome.is_eu = True
    html = targets_map([uromi, rome], route=route).get_root().render()
    html = html.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')  # the labels' JSON
    legend = html[html.index('class="cf-legend"') :]
    legend = legend[: legend.index("</details>")]
    assert "Campaign targets" in legend
    assert "target: its radius, outside the EU/EEA" in legend
    assert "target in the EU/EEA (no 13-17 ad sets there)" in legend
    assert "route: Benin City &gt; Rome" in legend and "corridor, 100 km either side" in legend
    assert '<div class="cf-town">Benin City</div>' in html and '<div class="cf-town">Rome</div>' in html
    [bounds] = re.findall(r"\.fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", html)
    # the southernmost point is Benin City (6.34), the easternmost Rome Termini (12.5)
    assert [float(b) for b in bounds] == pytest.approx([6.34 - 0.5, 5.62 - 0.5, 41.9 + 0.5, 12.5 + 0.5])
    only_nigeria = targets_map([uromi]).get_root().render()
    assert "EU/EEA (no 13-17" not in only_nigeria and "route:" not in only_nigeria  # only what is drawn


def test_a_kept_campaign_map_is_drawn_again_when_a_target_or_the_route_changes():
    from campaigns.plan.maps import targets_map_html
    from intel.models import Route

    route = Route(
        name="Benin City > Rome", corridor_km=100.0,
        waypoints=[{"name": "Benin City", "lat": 6.34, "lon": 5.62}, {"name": "Rome", "lat": 41.9, "lon": 12.48}],
    )  # fmt: skip
    uromi = _target("Uromi", 6.7, 6.33)
    first = targets_map_html([uromi], route=route)
    assert targets_map_html([_target("Uromi", 6.7, 6.33)], route=route) is first  # kept, not drawn again
    assert "Uromi: 10 km" in first and "route: Benin City &gt; Rome" in first.replace("\\u003e", ">")
    wider = _target("Uromi", 6.7, 6.33)
    wider.radius_km = 25
    assert "Uromi: 25 km" in targets_map_html([wider], route=route)
    route.corridor_km = 50.0
    assert "corridor, 50 km either side" in targets_map_html([uromi], route=route).replace("\\u003c", "<")
    assert "route:" not in targets_map_html([uromi])
