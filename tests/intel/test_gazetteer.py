"""The offline gazetteer: route towns, alternate spellings, dominance, ambiguity, shapes."""

from __future__ import annotations

import logging

import pytest

from intel.errors import NotFound
from intel.gazetteer import (
    AmbiguousPlace,
    Gazetteer,
    countries_at,
    country_at,
    country_from_text,
    country_shapes,
    get_gazetteer,
    timezone_at,
)


@pytest.mark.parametrize(
    ("name", "place", "country"),
    [("Benin City", "Benin City", "NG"), ("Agadez", "Agadez", "NE"), ("Agadès", "Agadez", "NE"),
     ("Lampedusa", "Lampedusa", "IT"), ("Sabha", "Sabha", "LY"), ("Sebha", "Sabha", "LY"), ("سبها", "Sabha", "LY"),
     ("Tripoli, Libya", "Tripoli", "LY"), ("Tarabulus, Libya", "Tripoli", "LY"), ("طرابلس, LY", "Tripoli", "LY"),
     ("Roma", "Rome", "IT"), ("Zuwara", "Zuwarah", "LY"), ("Dirkou", "Dirkou", "NE"), ("Misurata", "Misratah", "LY")],
)  # fmt: skip
def test_route_towns_resolve(name, place, country):
    got = get_gazetteer().resolve(name)
    assert (got.name, got.country) == (place, country)


def test_tripoli_alone_is_ambiguous_and_benin_too():
    with pytest.raises(AmbiguousPlace) as err:
        get_gazetteer().resolve("Tripoli")  # Libya 1.3M vs Lebanon 0.23M: less than 10x
    assert {c.country for c in err.value.candidates} >= {"LY", "LB"} and "Tripoli, Libya" in err.value.fix
    with pytest.raises(AmbiguousPlace, match="the country Benin"):
        get_gazetteer().resolve("Benin")
    assert get_gazetteer().resolve("Benin City").country == "NG"


def test_dominant_candidate_resolves_with_alternatives_logged_once(caplog, monkeypatch):
    import intel.gazetteer

    monkeypatch.setattr(intel.gazetteer, "_warned", set())  # as in a fresh process
    with caplog.at_level(logging.WARNING, logger="intel.gazetteer"):
        best, alternatives = get_gazetteer().resolve_with_alternatives("Rome")
        again, _ = get_gazetteer().resolve_with_alternatives("Rome")
    assert best.country == "IT" and any(p.country == "US" for p in alternatives) and again == best
    warnings = [r.getMessage() for r in caplog.records if r.name == "intel.gazetteer"]
    assert len(warnings) == 1 and "'Rome' resolved to Rome" in warnings[0] and "United States" in warnings[0]


def test_dominance_rule_on_a_hand_made_table():
    import pandas as pd

    places = pd.DataFrame(
        {"name": ["Alpha", "Alpha", "Beta", "Beta"], "country": ["NG", "GH", "NG", "GH"], "admin1": None,
         "lat": [1.0, 2.0, 3.0, 4.0], "lon": [1.0, 2.0, 3.0, 4.0], "population": [100_000, 10_000, 100_000, 10_001]}
    )  # fmt: skip
    gaz = Gazetteer(places, aliases=pd.DataFrame(columns=["alias", "name", "country", "note"]))
    assert gaz.resolve("Alpha").country == "NG"  # exactly 10x
    with pytest.raises(AmbiguousPlace):
        gaz.resolve("Beta")
    with pytest.raises(NotFound, match="'Gamma'"):
        gaz.resolve("Gamma")


def test_reverse_geocoding_time_zone_and_countries():
    g = get_gazetteer()
    assert g.nearest(6.34, 5.62).name == "Benin City"
    assert timezone_at(32.89, 13.19) == "Africa/Tripoli"
    assert country_at(32.89, 13.19) == "LY"
    assert country_at(35.50, 12.60) == "IT"  # Lampedusa: below 1:110m, nearest town
    assert country_at(0.0, -30.0) is None  # mid-Atlantic
    assert country_at(27.5338623, -99.5535394) == "MX"  # the Rio Grande bank, not Laredo (US)
    assert list(countries_at([6.34, 41.9], [5.62, 12.5])) == ["NG", "IT"]


def test_country_shapes_are_natural_earth_in_wgs84():
    shapes = country_shapes()
    assert shapes.crs.to_epsg() == 4326 and len(shapes) == 177
    libya = shapes[shapes["iso_a2"] == "LY"].geometry.iloc[0]
    assert libya.is_valid and 10 < libya.centroid.x < 25


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Cambodian", "KH"),
        ("Filippino", "PH"),
        ("Ugandean", "UG"),
        ("Libye", "LY"),
        ("Ivory Coast", "CI"),
        ("nowhere", None),
    ],
)
def test_country_from_text(text, code):
    assert country_from_text(text) == code


def _table(rows):
    import pandas as pd

    cols = ["name", "country", "admin1", "lat", "lon", "population"]
    return Gazetteer(
        pd.DataFrame(rows, columns=cols), aliases=pd.DataFrame(columns=["alias", "name", "country", "note"])
    )


def test_namesakes_in_one_country_are_ambiguous_and_named_with_their_region():
    with pytest.raises(AmbiguousPlace) as err:
        get_gazetteer().resolve("Springfield")  # Missouri 170k, Massachusetts 154k, Illinois 114k, ...
    assert [c.country for c in err.value.candidates[:5]] == ["US"] * 5
    assert "Springfield (Illinois, United States)" in err.value.problem
    assert "'Springfield, Missouri, United States'" in err.value.fix
    with pytest.raises(AmbiguousPlace):
        get_gazetteer().resolve("Springfield", "US")
    got = get_gazetteer().resolve("Springfield, Illinois, US")
    assert (got.admin1, got.country) == ("Illinois", "US")
    assert get_gazetteer().resolve("Benin City, Edo, Nigeria").admin1 == "Edo State"


def test_a_town_listed_twice_is_one_place_but_distant_namesakes_are_two():
    gaz = _table(
        [("Alpha", "NG", "Edo", 6.30, 5.60, 100_000), ("Alpha", "NG", "Edo", 6.35, 5.62, 60_000),
         ("Beta", "NG", "Edo", 6.30, 5.60, 100_000), ("Beta", "NG", "Kano", 12.0, 8.5, 60_000)]
    )  # fmt: skip
    assert gaz.resolve("Alpha").population == 100_000  # 6 km apart: one town listed twice
    with pytest.raises(AmbiguousPlace, match=r"Beta \(Edo, Nigeria\), Beta \(Kano, Nigeria\)"):
        gaz.resolve("Beta")  # 630 km apart, 1.7x: two towns, not a guess
    assert gaz.resolve("Beta, Kano").admin1 == "Kano"


def test_an_unknown_town_is_refused_with_the_nearest_names_never_resolved_to_them():
    with pytest.raises(NotFound) as err:
        get_gazetteer().resolve("Benni City")
    assert "Benin City (Edo State, Nigeria)" in err.value.fix
    with pytest.raises(NotFound, match="Tripoli"):
        get_gazetteer().resolve("Tripoly, Libya")


def test_a_country_hint_resolves_like_any_country_name():
    assert get_gazetteer().resolve("Seoul, Korea").country == "KR"  # Korea is KP or KR: Seoul is in one
    assert get_gazetteer().resolve("Prizren, Kosovo").country == "XK"
    assert get_gazetteer().resolve("Tripoli", "Lebanon").country == "LB"


def test_ambiguity_survives_a_worker_process():
    import pickle

    with pytest.raises(AmbiguousPlace) as err:
        get_gazetteer().resolve("Tripoli")
    back = pickle.loads(pickle.dumps(err.value))
    assert back.candidates == err.value.candidates and str(back) == str(err.value)


def test_a_country_name_is_not_silently_a_namesake_town_abroad():
    with pytest.raises(AmbiguousPlace) as err:
        get_gazetteer().resolve("Armenia")  # the country, or Armenia (Quindío, Colombia), 304k
    assert "the country Armenia" in err.value.problem and "Colombia" in err.value.problem
    assert "'Armenia, Colombia'" in err.value.fix
    assert get_gazetteer().resolve("Armenia, Colombia").admin1 == "Quindío Department"
    with pytest.raises(AmbiguousPlace, match="the country North Korea or the country South Korea"):
        get_gazetteer().resolve("Korea")  # not Koréa, a village of Côte d'Ivoire
    with pytest.raises(AmbiguousPlace, match="the country Mexico"):
        get_gazetteer().resolve("Mexico")  # not Mexico, Pampanga (PH)
    assert get_gazetteer().resolve("Djibouti").country == "DJ"  # the capital of the country named


@pytest.mark.parametrize(
    ("text", "hint", "place", "country", "within", "part_unknown"),
    [
        ("Uselu, Benin City", None, "Uselu", "NG", "Benin City", False),  # a district of its town
        ("Uselu, Benin City, Nigeria", None, "Uselu", "NG", "Benin City", False),
        ("Iyaro motor park, Ekpoma", None, "Ekpoma", "NG", None, True),  # the town, and says so
        ("Ekpoma, Edo", None, "Ekpoma", "NG", None, False),  # "Town, Region"
        ("Ekpoma", "NE", "Ekpoma", "NG", None, False),  # a hint is never a filter
        ("Lagos", "PT", "Lagos", "NG", None, False),  # nor does it beat a dominant place
        ("Tripoli", "LB", "Tripoli", "LB", None, False),  # it settles an ambiguous name only
    ],
)
def test_a_persons_wording_resolves_to_the_most_specific_place(
    text, hint, place, country, within, part_unknown
):
    match = get_gazetteer().resolve_place(text, hint_country=hint)
    assert (match.place.name, match.place.country) == (place, country)
    assert (match.within.name if match.within else None, match.part_unknown) == (within, part_unknown)
    assert match.hinted == (hint if text == "Tripoli" else None)


@pytest.mark.parametrize(
    ("text", "hint", "error", "countries"),
    [
        ("Tripoli", None, AmbiguousPlace, ["LY", "LB", "GR", "US"]),
        ("Tripoli", "FR", AmbiguousPlace, ["LY", "LB", "GR", "US"]),  # no candidate in the hint
        ("Benin", "NG", AmbiguousPlace, ["NG"]),  # also the country Benin: a hint does not choose
        ("Ekpomma", None, NotFound, ["NG"]),  # the nearest spelling, offered, never taken
        ("Ekpoma, Nigerria", None, NotFound, ["NG"]),  # the first part's places are offered
    ],
)
def test_a_wording_that_names_no_place_or_several_carries_its_candidates(text, hint, error, countries):
    with pytest.raises(error) as err:
        get_gazetteer().resolve_place(text, hint_country=hint)
    assert [c.country for c in err.value.candidates] == countries


def test_resolving_quietly_logs_no_place(caplog, monkeypatch):
    import intel.gazetteer

    monkeypatch.setattr(intel.gazetteer, "_warned", set())
    caplog.set_level(logging.DEBUG)
    get_gazetteer().resolve_place("Palermo", warn=False)
    assert "Palermo" not in caplog.text
    get_gazetteer().resolve_place("Palermo")  # by default the choice of a dominant place is logged
    assert "Palermo" in caplog.text


def test_country_geojson_is_the_shapes_text_and_is_read_back_from_the_cache(tmp_path, monkeypatch):
    """The cached GeoJSON equals what the shapes give; a second process reads the file, not the
    shapes (a marked copy of the file comes back as it is)."""
    import intel.gazetteer as gz

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    gz.country_geojson.cache_clear()
    try:
        text = gz.country_geojson()
        assert text == gz.country_shapes()[["name", "geometry"]].to_json()
        path = gz._geojson_cache_path()
        assert path.parent == tmp_path / "counterflow" and path.read_text(encoding="utf-8") == text
        path.write_text('{"marked": true}', encoding="utf-8")
        gz.country_geojson.cache_clear()  # as in a fresh process
        assert gz.country_geojson() == '{"marked": true}'
    finally:
        gz.country_geojson.cache_clear()


def test_the_places_cache_gives_the_frame_it_was_built_from_and_a_damaged_one_is_rebuilt(
    tmp_path, monkeypatch, caplog
):
    """The first load builds the places and keeps them in the user cache; the next reads them back
    equal, value by value and dtype by dtype (text as objects); a damaged file is rebuilt."""
    import pandas as pd

    import intel.gazetteer as gz

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = gz._load_places()
    (path,) = (tmp_path / "counterflow").glob("gazetteer-*.pkl")
    assert f"pandas{pd.__version__}" in path.name
    read = gz._load_places()
    pd.testing.assert_frame_equal(read, built, check_exact=True)
    assert read["name"].dtype == object and read["admin1"].dtype == object
    assert read["admin1"].map(lambda v: v is None or isinstance(v, str)).all()
    path.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING, logger="intel.gazetteer"):
        again = gz._load_places()
    assert "unreadable" in caplog.text
    pd.testing.assert_frame_equal(again, built, check_exact=True)
