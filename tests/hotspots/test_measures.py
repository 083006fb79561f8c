"""Records of one measure: aggregates added up one breakdown at a time, never an offender added
to a victim, ranges kept; hand-made figures with the answers worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots.histograms import figures
from hotspots.measures import by_source, parts, records
from hotspots.movement import flow_figures, partners, reach_figures
from intel.errors import CounterflowError
from intel.store import empty_report_frame
from tests.factories import reports


def aggregates(rows: list[dict]) -> pd.DataFrame:
    defaults = {
        "observed_on": "2020-01-01", "country": "IT", "origin": None, "transit": "", "destination": None,
        "exploitation": "", "gender": None, "age_band": None, "reliability": "A", "credibility": 2,
        "measure": "victims_detected", "simulated": False, "source_kind": "un_report", "source": "UNODC",
    }  # fmt: skip
    df = pd.DataFrame([{**defaults, "id": i + 1, **r} for i, r in enumerate(rows)])
    df["observed_on"] = pd.to_datetime(df["observed_on"])
    df["figure_high"] = df.get("figure_high", df["figure"]).fillna(df["figure"])
    return df


# Italy 2020, UNODC victims detected: the total (150), the same people by citizenship (120
# Nigerian + 20 Libyan: 10 left out), by sex (90 women + 60 men) and by form and sex; persons
# convicted (40) beside them. Libya 2020: only a citizenship breakdown, Nigerian "<5".
ITALY = aggregates(
    [
        {"figure": 150},
        {"figure": 120, "origin": "NG", "destination": "IT"},
        {"figure": 20, "origin": "LY", "destination": "IT"},
        {"figure": 90, "gender": "female"},
        {"figure": 60, "gender": "male"},
        {"figure": 80, "exploitation": "sexual", "gender": "female"},
        {"figure": 10, "exploitation": "sexual", "gender": "male"},
        {"figure": 50, "exploitation": "forced_labour", "gender": "male"},
        {"figure": 40, "measure": "convicted"},
        {"figure": 1, "figure_high": 4, "country": "LY", "origin": "NG", "destination": "LY"},
        {"figure": 7, "observed_on": "2019-01-01"},  # another year: its own total
    ]
)


def test_a_view_keeps_one_breakdown_per_source_country_and_year() -> None:
    victims = ITALY[ITALY["measure"] == "victims_detected"]
    # by country: Italy's total (150 in 2020, 7 in 2019), Libya's only breakdown (1-4)
    assert sorted(parts(victims)["figure"].tolist()) == [1, 7, 150]
    # flows: the citizenship rows, whatever the total says (10 of Italy's are of no known citizenship)
    assert sorted(parts(victims, need=["origin"])["figure"].tolist()) == [1, 20, 120]
    # by type: the form x sex rows, the only ones with a type
    assert sorted(parts(victims, need=["exploitation"])["figure"].tolist()) == [10, 50, 80]
    with pytest.raises(ValueError):
        parts(victims, need=["place"])


def test_without_a_total_the_fullest_breakdown_counts() -> None:
    # no total: by citizenship adds to 30, by sex to 35 (citizenship unknown for some): 35
    df = aggregates(
        [{"figure": 20, "origin": "NG"}, {"figure": 10, "origin": "GH"}, {"figure": 25, "gender": "female"},
         {"figure": 10, "gender": "male"}]
    )  # fmt: skip
    assert sorted(parts(df)["figure"].tolist()) == [10, 25]
    # an "unknown" sex is a part of the total, never the total itself
    df = aggregates([{"figure": 30}, {"figure": 4, "gender": "unknown"}])
    assert parts(df)["figure"].tolist() == [30]


def test_records_of_one_measure_never_mix_victims_and_offenders() -> None:
    victims = records(empty_report_frame(), ITALY, "victims_detected")
    convicted = records(empty_report_frame(), ITALY, "persons convicted")
    assert set(victims["measure"]) == {"victims_detected"} and convicted["low"].tolist() == [40]
    f = figures(victims, by="country")
    assert f.to_dict(orient="index") == {
        "IT": {"low": 157, "high": 157, "records": 2},  # 150 (2020) + 7 (2019)
        "LY": {"low": 1, "high": 4, "records": 1},
    }
    years = figures(victims, by="year")
    assert years["low"].to_dict() == {"2019": 7, "2020": 151} and years.loc["2020", "high"] == 154
    types = figures(
        records(empty_report_frame(), ITALY, "victims_detected", need=["exploitation"]), by="type"
    )
    assert types["low"].to_dict() == {"sexual": 90, "forced_labour": 50}
    with pytest.raises(CounterflowError, match="measure 'arrests' is not known"):
        records(empty_report_frame(), ITALY, "arrests")


def test_incidents_and_victims_of_individual_reports() -> None:
    reps = reports(
        [{"country": "NG", "victim_count": 3, "origin": "Benin City", "destination": "IT"},
         {"country": "NG", "victim_count": 1, "origin": "Kano", "transit": "Agadez", "destination": "LY"}]
    )  # fmt: skip
    inc = records(reps, ITALY, "incidents")
    vic = records(reps, ITALY, "victims")
    assert inc["low"].tolist() == [1, 1] and vic["low"].tolist() == [3, 1]  # the aggregates are not read
    assert figures(vic, by="country")["low"].to_dict() == {"NG": 4}
    assert by_source(inc)[["source", "records"]].values.tolist() == [["news (test)", 2]]


def test_flows_reach_and_partners_side_by_side() -> None:
    victims = records(empty_report_frame(), ITALY, "victims_detected", need=["origin"])
    f = flow_figures(victims)
    assert f[["origin", "destination", "low", "high", "reach"]].values.tolist() == [
        ["NG", "IT", 120, 120, "transregional"],
        ["LY", "IT", 20, 20, "transregional"],
        ["NG", "LY", 1, 4, "intraregional"],
    ]
    r = reach_figures(victims).set_index("reach")
    assert (r.loc["transregional", "low"], r.loc["intraregional", "high"]) == (140, 4)
    tip = aggregates([{"figure": 1, "measure": "mentions", "origin": "NG", "destination": d, "country": d,
                       "source": "TIP"} for d in ("IT", "LY")])  # fmt: skip
    both = pd.concat(
        [victims, records(empty_report_frame(), tip, "mentions", need=["origin"])], ignore_index=True
    )
    out = partners(both, country="NG", direction="from")
    assert out[["partner", "source", "low", "high"]].values.tolist() == [
        ["IT", "UNODC", 120, 120], ["IT", "TIP", 1, 1], ["LY", "UNODC", 1, 4], ["LY", "TIP", 1, 1],
    ]  # fmt: skip
    into_italy = partners(both, country="IT", direction="to")
    assert into_italy["partner"].tolist() == ["NG", "NG", "LY"]  # Nigeria: two sources name it
