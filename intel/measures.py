"""What a figure counts: the measures of the store, one vocabulary for every face.

An individual report (an article, a court case, a CTDC record, an IOM incident, a tip) is one
**incident** and names ``victim_count`` **victims**. A statistical aggregate (a UNODC country
figure, a TIP report origin -> destination edge) carries one figure of one measure: victims
detected, persons prosecuted, ... Figures of different measures are never added together:
persons convicted are offenders, not victims, and a mention in a report is neither.

>>> measure("victims detected").name, measure("Persons convicted").counts
('victims_detected', 'offenders')
"""

from __future__ import annotations

from dataclasses import dataclass

from intel.errors import CounterflowError


@dataclass(frozen=True)
class Measure:
    """A measure: its code, how people read it, whom it counts and where its figures come from."""

    name: str
    label: str
    counts: str  # incidents, victims, offenders, offences or mentions
    aggregate: bool  # figures of statistical aggregates (True) or counted from individual reports

    @property
    def unit(self) -> str:
        """The noun of a figure in a table header ("victims detected", "incidents")."""
        return self.label.split(" (")[0]


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("incidents", "incidents (individual reports)", "incidents", False),
        Measure("victims", "victims named in individual reports", "victims", False),
        Measure("victims_detected", "victims detected", "victims", True),
        Measure("victims_repatriated", "victims repatriated", "victims", True),
        Measure("suspected", "persons suspected (brought into formal contact)", "offenders", True),
        Measure("prosecuted", "persons prosecuted", "offenders", True),
        Measure("convicted", "persons convicted", "offenders", True),
        Measure("offences", "offences recorded", "offences", True),
        Measure("mentions", "mentions (an origin -> destination named in a report)", "mentions", True),
    )
}
#: The measures an aggregate record may carry (the store's ``Report.measure``).
AGGREGATE_MEASURES = tuple(n for n, m in MEASURES.items() if m.aggregate)

_SPELLINGS: dict[str, str] = {
    **{n.replace("_", " "): n for n in MEASURES},
    **{m.label.casefold(): n for n, m in MEASURES.items()},
    **{m.unit.casefold(): n for n, m in MEASURES.items()},
    "detected trafficking victims": "victims_detected",
    "detected victims": "victims_detected",
    "persons prosecuted": "prosecuted",
    "persons convicted": "convicted",
    "persons suspected": "suspected",
    "persons brought into formal contact": "suspected",
    "offences of trafficking in persons": "offences",
}


def measure(value: str) -> Measure:
    """The measure a code or a label names ("victims_detected", "victims detected").

    Raises ``CounterflowError`` naming the measures for anything else.
    """
    key = " ".join(value.replace("_", " ").replace("-", " ").split()).casefold()
    name = value.strip() if value.strip() in MEASURES else _SPELLINGS.get(key)
    if name is None:
        raise CounterflowError(
            f"measure {value!r} is not known",
            "use one of " + ", ".join(f"{n} ({m.label})" for n, m in MEASURES.items()),
        )
    return MEASURES[name]


def aggregate_measure(value: str) -> str:
    """The code of a measure an aggregate record may carry; refuses the individual ones."""
    m = measure(value)
    if not m.aggregate:
        raise CounterflowError(
            f"measure {value!r} is counted from individual reports, not carried by an aggregate",
            "use one of " + ", ".join(AGGREGATE_MEASURES),
        )
    return m.name
