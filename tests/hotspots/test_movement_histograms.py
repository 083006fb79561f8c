"""Movement (origin -> destination), reach, chains, betweenness and histograms on hand-built reports with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots.histograms import counts, filter_reports, heat_matrix
from hotspots.movement import betweenness, chokepoints, frequent_chains, od_matrix, reach, reach_summary
from tests.factories import reports


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("NG", "NG", "domestic"),
        ("NG", "GH", "subregional"),  # Western Africa
        ("NG", "CM", "intraregional"),  # Western vs Middle Africa
        ("NG", "LY", "intraregional"),  # Africa, Northern Africa
        ("NG", "IT", "transregional"),
        ("ER", "SD", "intraregional"),  # Eastern vs Northern Africa
        ("TH", "MY", "subregional"),
        ("NG", None, "unknown"),
        ("NG", "ZZ", "unknown"),
    ],
)
def test_reach(a: str, b: str | None, expected: str) -> None:
    assert reach(a, b) == expected


def _movement() -> pd.DataFrame:
    return reports(
        [{"origin": "Benin City", "transit": "Agadez|Sabha", "destination": "Rome", "victim_count": 2}] * 3
        + [{"origin": "Kano", "transit": "Agadez", "destination": "Tripoli, Libya"}] * 2
        + [{"origin": "NG", "transit": "", "destination": "NG"}]
        + [{"origin": None, "transit": "", "destination": "Rome"}]
    )


def test_od_matrix_and_reach_summary() -> None:
    df = _movement()
    m = od_matrix(df)
    assert (
        m.loc["Benin City", "Rome"] == 3 and m.loc["Kano", "Tripoli, Libya"] == 2 and m.loc["NG", "NG"] == 1
    )
    assert m.values.sum() == 6  # the report without an origin is left out
    assert od_matrix(df, values="victims").loc["Benin City", "Rome"] == 6
    rs = reach_summary(df).set_index("reach")
    assert rs.loc["transregional", "count"] == 3
    assert rs.loc["intraregional", "count"] == 2  # Nigeria (Western Africa) -> Libya (Northern Africa)
    assert rs.loc["domestic", "count"] == 1


def test_chains_and_chokepoints() -> None:
    df = _movement()
    ch = frequent_chains(df)
    assert ch.iloc[0]["chain"] == "Benin City > Agadez > Sabha > Rome" and ch.iloc[0]["count"] == 3
    assert ch.iloc[1]["chain"] == "Kano > Agadez > Tripoli, Libya"
    cp = chokepoints(df).set_index("place")
    assert cp.index[0] == "Agadez" and cp.loc["Agadez", "transits"] == 5


def test_betweenness_on_a_star_and_a_line() -> None:
    # a directed line a->b->c->d: b lies on a-c, a-d; c on a-d, b-d; normalised by (n-1)(n-2) = 6
    b = betweenness([("a", "b"), ("b", "c"), ("c", "d")])
    assert b == {"a": 0.0, "b": pytest.approx(2 / 6), "c": pytest.approx(2 / 6), "d": 0.0}
    # two equal shortest paths split the credit: s->x->t and s->y->t
    b = betweenness([("s", "x"), ("s", "y"), ("x", "t"), ("y", "t")], normalized=False)
    assert b["x"] == pytest.approx(0.5) and b["y"] == pytest.approx(0.5)


def _hist() -> pd.DataFrame:
    return reports(
        [
            {"observed_on": "2024-01-05", "place": "Kano", "country": "NG", "exploitation": "sexual|forced_labour", "reliability": "A"},
            {"observed_on": "2024-01-20", "place": "Kano", "country": "NG", "exploitation": "sexual", "reliability": "D"},
            {"observed_on": "2024-03-02", "place": "Agadez", "country": "NE", "exploitation": "forced_labour", "reliability": "B", "victim_count": 5},
        ]
    )  # fmt: skip


def test_counts_by_each_dimension() -> None:
    df = _hist()
    assert counts(df, by="country").to_dict() == {"NG": 2, "NE": 1}
    assert counts(df, by="town").to_dict() == {"Kano, NG": 2, "Agadez, NE": 1}
    assert counts(df, by="type").to_dict() == {"sexual": 2, "forced_labour": 2}
    assert counts(df, by="month").to_dict() == {"2024-01": 2, "2024-02": 0, "2024-03": 1}  # empty month kept
    assert counts(df, by="country", victims=True).to_dict() == {"NE": 5, "NG": 2}


def test_filters_and_heat_matrices() -> None:
    df = _hist()
    assert len(filter_reports(df, min_reliability="B")) == 2
    assert len(filter_reports(df, types=["sexual"])) == 2
    assert (
        len(
            filter_reports(
                df, since=pd.Timestamp("2024-01-10").date(), until=pd.Timestamp("2024-02-28").date()
            )
        )
        == 1
    )
    m = heat_matrix(df, rows="town", cols="month")
    assert m.loc["Kano, NG"].tolist() == [2, 0, 0] and m.loc["Agadez, NE"].tolist() == [0, 0, 1]
    t = heat_matrix(df, rows="town", cols="type")
    assert t.loc["Kano, NG", "sexual"] == 2 and t.loc["Kano, NG", "forced_labour"] == 1


def test_reports_without_a_type_are_counted_as_unspecified():
    import pandas as pd

    from hotspots.histograms import counts

    df = pd.DataFrame({"exploitation": ["sexual", None, ""], "victim_count": [1, 1, 1]})
    assert counts(df, by="type").to_dict() == {"sexual": 1, "unspecified": 2}


@pytest.mark.parametrize(
    "given",
    [
        {},  # neither
        {"origin": "Benin City"},  # origin only
        {"destination": "Rome"},  # destination only
        {"transit": "Agadez"},  # a transit without its ends
    ],
)
def test_movement_without_both_ends_gives_empty_tables_with_their_columns(given: dict) -> None:
    from hotspots.movement import FLOW_COLUMNS, flow_lines, flow_table, movement_edges

    df = reports([{"place": "Kano", "country": "NG", **given}] * 3)
    for frame in (df, df.drop(columns=["origin", "transit", "destination"])):
        assert list(flow_table(frame).columns) == list(FLOW_COLUMNS) and flow_table(frame).empty
        assert flow_lines(frame).empty and list(flow_lines(frame).columns) == list(FLOW_COLUMNS)
        assert reach_summary(frame)["count"].sum() == 0
        assert od_matrix(frame).empty and frequent_chains(frame).empty
        assert list(chokepoints(frame).columns) == ["place", "betweenness", "transits"]
    assert chokepoints(df).empty
    assert movement_edges(df.drop(columns=["transit"])) == movement_edges(df.assign(transit=""))


def test_chokepoints_only_from_reports_with_a_transit() -> None:
    # Libya is the destination of one pair and the origin of another: on bare pairs it would
    # sit "between" Nigeria and Italy, but no report names a transit there
    pairs = reports([{"origin": "NG", "destination": "LY"}, {"origin": "LY", "destination": "IT"}])
    assert chokepoints(pairs).empty
    mixed = pd.concat([pairs, reports([{"origin": "Kano", "transit": "Agadez", "destination": "Sabha"}])])
    cp = chokepoints(mixed)
    # the graph is the one chain with a transit: Kano -> Agadez -> Sabha; Agadez is on the one
    # shortest path between the other two of 3 nodes: 1 / ((3-1)(3-2)) = 0.5
    assert cp["place"].tolist()[0] == "Agadez" and cp["betweenness"].iloc[0] == pytest.approx(0.5)
    assert "LY" not in cp["place"].tolist()
