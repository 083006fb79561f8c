"""Flow endpoints resolve like any place: a country through the country table, a town exactly,
and an ambiguous or unknown name stays a label, never a guessed point."""

from __future__ import annotations

import pytest

from hotspots.movement import reach, resolve_endpoint


@pytest.mark.parametrize(
    ("value", "country"),
    [("NG", "NG"), ("Nigeria", "NG"), ("Turkey", "TR"), ("Republic of Korea", "KR"), ("Kosovo", "XK"),
     ("Curacao", "CW"), ("United Republic Of Tanzania", "TZ"), ("Benin", "BJ"), ("Benin City", "NG"),
     ("Agadez", "NE")],
)  # fmt: skip
def test_endpoint_countries(value, country):
    end = resolve_endpoint(value)
    assert end.country == country and end.lat is not None


@pytest.mark.parametrize("value", ["Congo", "Korea", "Tripoli", "Springfield", "Nowhereville"])
def test_ambiguous_or_unknown_endpoints_are_not_placed(value):
    end = resolve_endpoint(value)
    assert (end.label, end.country, end.lat, end.lon) == (value, None, None, None)


def test_reach_of_named_countries():
    a, b = resolve_endpoint("Republic of Korea"), resolve_endpoint("Democratic People's Republic of Korea")
    assert (a.country, b.country, reach(a.country, b.country)) == ("KR", "KP", "subregional")
