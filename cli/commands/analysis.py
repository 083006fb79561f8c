"""`counterflow` commands of the hotspots room (registered on import): ``hotspots``, ``flows``,
``histogram`` and ``evaluate``.

They call the steps of :mod:`flows.steps`, as the Prefect tasks do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cli.app import app
from cli.tools import parse_date as _date
from cli.tools import table as _table
from intel.errors import CounterflowError


def _fmt_km(v: Any) -> str:
    import math

    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{float(v):,.0f}"


def _int(v: Any) -> int | str:
    return "" if v is None else int(v)


def _num(v: Any, spec: str) -> str:
    return "" if v is None else format(v, spec)


@app.command()
def hotspots(
    route: str | None = typer.Option(
        None,
        "--route",
        help='Waypoints, e.g. "Benin City > Agadez > Tripoli > Lampedusa > Rome" (names or lat,lon).',
    ),
    corridor_km: float = typer.Option(
        150.0, "--corridor-km", help="Corridor half-width: km from the route line."
    ),
    top: int = typer.Option(8, "--top", min=1, help="How many hotspots to rank."),
    resolution: int | None = typer.Option(
        None, "--resolution", help="H3 resolution 0-15 (default: from the extent)."
    ),
    half_life_days: float = typer.Option(
        365.0, "--half-life-days", help="Recency decay: a report this old weighs half."
    ),
    unit: str = typer.Option("h3", "--unit", help="h3 (hexagonal cells) or place (towns)."),
    method: str = typer.Option(
        "forecast", "--method",
        help="Rank by forecast (expected reports next year, the default), gi (Gi* bin, then weight) or counts.",
    ),
    since: str | None = typer.Option(None, "--since", help="Only reports observed on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Only reports observed on or before YYYY-MM-DD."),
    map_path: Path | None = typer.Option(
        None, "--map", help="Where to write the HTML map (default: HOME/maps/hotspots-run<ID>.html)."
    ),
    png: Path | None = typer.Option(None, "--png", help="Also write a static PNG map."),
    geojson: Path | None = typer.Option(None, "--geojson", help="Also export the cells as GeoJSON."),
    kml: Path | None = typer.Option(None, "--kml", help="Also export the cells as KML."),
) -> None:
    """Score hotspots (Gi* with FDR), rank them along a route, store the run and draw the map."""
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    d0, d1 = _date(since, "--since"), _date(until, "--until")
    settings = get_settings()
    with session_scope(get_engine(settings)) as session:
        run = steps.hotspots(
            session, settings=settings, route=route, corridor_km=corridor_km, top=top, since=d0, until=d1,
            resolution=resolution, half_life_days=half_life_days, unit=unit, method=method, map_path=map_path,
            png=png, geojson=geojson, kml=kml,
        )  # fmt: skip
    for note in run["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(
        f"hotspot run {run['run_id']} ({run['method']}): {run['n_reports']} reports, {run['n_cells']} cells at "
        f"H3 resolution {run['resolution']}, {run['n_significant']} significant (FDR), {run['scope']}"
    )
    rows = [
        (
            _int(r["rank"]), r["place"] or r["cell"], r["country"] or "", _int(r["count"]),
            "" if r.get("forecast") is None else f"{r['forecast']:.1f} ({r['interval'][0]}-{r['interval'][1]})",
            _num(r["z"], ".2f"), _num(r["p"], ".2g"), _int(r["bin"]),
            "yes" if r["significant"] else "NOT significant", r["trend"] or "", _fmt_km(r["distance_km"]),
        )
        for r in run["ranked"]
    ]  # fmt: skip
    if rows:
        heads = [
            "rank",
            "place",
            "country",
            "count",
            "forecast (80 %)",
            "z",
            "p",
            "bin",
            "Gi*",
            "trend",
            "km along",
        ]
        typer.echo(_table(heads, rows))
    else:
        typer.echo("no cell holds reports in this scope")
    for r in run["ranked"]:
        if r.get("why"):
            typer.echo(f"{_int(r['rank'])}. {r['place'] or r['cell']}: " + "; ".join(r["why"]))
    if any(not r["significant"] for r in run["ranked"]):
        typer.echo(
            "(NOT significant: no Gi* hot spot after the FDR correction; picked for its "
            + ("forecast)" if run["method"].startswith("forecast") else "weight, to fill the ranking)")
        )
    if run["set_apart"]:
        typer.echo("\nset apart: places coarser than the cells, counted at the level they support")
        typer.echo(
            _table(
                ["level", "country", "area", "reports", "victims"],
                [
                    (r["level"], r["country"] or "", r["area"] or "", r["count"], r["victims"])
                    for r in run["set_apart"]
                ],
            )
        )
    if run["changes"] is not None:
        typer.echo(f"since run {run['previous_run_id']}: {run['changes']}")
    for kind in ("map", "png", "geojson", "kml"):
        if run[kind]:
            typer.echo(f"{kind}: {run[kind]}")


MEASURE_HELP = (
    "What to count: incidents (default), victims, victims_detected, victims_repatriated, suspected, "
    "prosecuted, convicted, offences or mentions; never two at once."
)


def _fig(low: Any, high: Any) -> str:
    from hotspots.measures import figure_text

    return figure_text(low, high)


def _others(others: list[str]) -> None:
    if others:
        typer.echo("\nalso in the store, not counted here (--measure NAME):")
        for line in others:
            typer.echo(f"  {line}")


@app.command()
def flows(
    since: str | None = typer.Option(None, "--since", help="Only records observed on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Only records observed on or before YYYY-MM-DD."),
    top: int = typer.Option(15, "--top", min=1, help="Rows per table."),
    measure: str | None = typer.Option(None, "--measure", help=MEASURE_HELP),
    to: str | None = typer.Option(
        None, "--to", help="A destination country (name or code): its top origins, each source apart."
    ),
    from_: str | None = typer.Option(
        None, "--from", help="An origin country (name or code): its top destinations, each source apart."
    ),
) -> None:
    """Movement: origin -> destination figures of one measure with their reach, frequent chains and
    transit chokepoints; or the top origins of a destination (--to) or destinations of an origin
    (--from) with each source's figure side by side."""
    from flows.steps import movement
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    with session_scope(get_engine(get_settings())) as session:
        out = movement(
            session, measure=measure, since=_date(since, "--since"), until=_date(until, "--until"), top=top,
            to=to, from_=from_,
        )  # fmt: skip
    if "partners" in out:
        _partners(out)
        return
    m = out["measure"]
    typer.echo(out["counted"])
    typer.echo(f"\norigin -> destination, {m.label}")
    head = ["origin", "destination", m.unit] + ([] if m.name == "incidents" else ["records"]) + ["reach"]
    rows = [
        (
            r.origin,
            r.destination,
            _fig(r.low, r.high),
            *([] if m.name == "incidents" else [r.records]),
            r.reach,
        )
        for r in out["flows"].itertuples()
    ]
    typer.echo(_table(head, rows))
    if out["n_flows"] > len(out["flows"]):
        typer.echo(f"({out['n_flows'] - len(out['flows'])} more pairs)")
    typer.echo("\nreach (UNODC classes, UN M49 subregions)")
    typer.echo(_table(["reach", m.unit, "records", "share"],
                      [(r.reach, _fig(r.low, r.high), r.records, f"{r.share:.0%}") for r in out["reach"].itertuples()]))  # fmt: skip
    ch = out["chains"]
    typer.echo("\nfrequent chains (origin > transit > destination)")
    typer.echo(
        _table(["chain", "records", "share"], [(r.chain, r.count, f"{r.share:.0%}") for r in ch.itertuples()])
        if len(ch)
        else "none with a transit seen twice"
    )
    typer.echo("\ntransit chokepoints (betweenness on the movement graph)")
    if out["n_transit"] == 0:
        typer.echo("none: no record names a transit, so no place can be shown to lie between others")
    else:
        typer.echo(
            f"computed from {out['n_transit']} record{'s' if out['n_transit'] != 1 else ''} with transit"
        )
        cp = out["chokepoints"]
        typer.echo(
            _table(
                ["place", "betweenness", "chains through"],
                [(r.place, f"{r.betweenness:.3f}", r.transits) for r in cp.itertuples()],
            )
        )
    _others(out["others"])


def _partners(out: dict[str, Any]) -> None:
    where = f"{out['country_name']} ({out['country']})"
    what = "origins of the flows into" if out["direction"] == "to" else "destinations of the flows out of"
    typer.echo(f"top {what} {where}: each source's own figure, never added together")
    cols = out["columns"]
    cells: dict[tuple[str, str], str] = {
        (r.partner, r.column): _fig(r.low, r.high) for r in out["table"].itertuples()
    }
    from intel.countries import country_name

    def named(p: str) -> str:
        return f"{p} {country_name(p)}" if len(p) == 2 and p.isupper() else p

    head = [
        "origin" if out["direction"] == "to" else "destination",
        *(f"[{i + 1}]" for i in range(len(cols))),
    ]
    rows = [(named(p)[:34], *(cells.get((p, c), "") for c in cols)) for p in out["partners"]]
    typer.echo(_table(head, rows))
    for i, (_, text) in enumerate(out["legend"]):
        typer.echo(f"[{i + 1}] {text}")
    if out["n_partners"] > len(out["partners"]):
        typer.echo(f"({out['n_partners'] - len(out['partners'])} more)")


@app.command()
def histogram(
    by: str = typer.Option("country", "--by", help="country, town, type, month or year."),
    heat: str | None = typer.Option(
        None, "--heat", help="A heat matrix of --by x this (e.g. --by town --heat month)."
    ),
    since: str | None = typer.Option(None, "--since", help="Only records observed on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Only records observed on or before YYYY-MM-DD."),
    types: list[str] = typer.Option([], "--type", help="Only these exploitation types (repeatable)."),
    min_grade: str | None = typer.Option(
        None, "--min-grade", help="Only sources graded this or better (A-F)."
    ),
    measure: str | None = typer.Option(None, "--measure", help=MEASURE_HELP),
    victims: bool = typer.Option(
        False, "--victims", help="Count victims named in reports: --measure victims."
    ),
    top: int = typer.Option(25, "--top", min=1, help="Rows to print."),
    png: Path | None = typer.Option(None, "--png", help="Also draw the chart as a PNG."),
) -> None:
    """Figures of one measure (default: incidents) by country, town, exploitation type, month or
    year, or a heat matrix; says what is counted and from which sources."""
    from flows.steps import histogram as run_histogram
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    if min_grade is not None and (len(min_grade) != 1 or min_grade.upper() not in "ABCDEF"):
        raise CounterflowError(f"--min-grade was {min_grade!r}", "give one letter, A (best) to F")
    if victims:
        if measure not in (None, "victims"):
            raise CounterflowError(
                f"--victims and --measure {measure} were both given", "count one measure: drop one of them"
            )
        measure = "victims"
    with session_scope(get_engine(get_settings())) as session:
        out = run_histogram(
            session, by=by, heat=heat, measure=measure, since=_date(since, "--since"),
            until=_date(until, "--until"), types=types, min_reliability=min_grade, top=top,
        )  # fmt: skip
    m = out["measure"]
    typer.echo(out["counted"])
    lowest = " (a figure given as '<5' counts as its least, 1)" if out["ranged"] else ""
    if out["heat"] is not None:
        hm = out["heat"]
        typer.echo(f"{m.unit}: {by} x {heat}{lowest}")
        typer.echo(hm.to_string())
        if png:
            from hotspots.plots import heat_png

            typer.echo(f"png: {heat_png(hm, path=png, title=f'{m.unit}: {by} x {heat}')}")
        _others(out["others"])
        return
    f = out["figures"]
    shown = f if by in ("month", "year") else f.head(top)
    width = max(int(shown["high"].max()) if len(shown) else 1, 1)
    for k, r in shown.iterrows():
        bar = "#" * max(int(40 * r["low"] / width), 1 if r["low"] else 0)
        typer.echo(f"{str(k)[:28]:<28} {_fig(r['low'], r['high']):>11}  {bar}")
    more = f" ({len(f) - len(shown)} more rows)" if len(f) > len(shown) else ""
    n = out["n_records"]
    total = f"{n:,} incidents" if m.name == "incidents" else f"{m.unit} in {n:,} records"
    if m.name != "incidents" and by != "type":  # by type, a record of several types shows in each
        total = f"{_fig(f['low'].sum(), f['high'].sum())} {total}"
    typer.echo(total + lowest + more)
    if by == "month" and out["year_only"]:
        typer.echo(f"{out['year_only']} reports dated only by year, spread over their months (1/12 in each)")
    if by == "town" and out["coarse_places"]:
        typer.echo(
            f"{out['coarse_places']} reports placed only to a district, region or country, shown as such"
        )
    if png:
        from hotspots.plots import bar_png

        series = f["low"] if by not in ("month", "year") else f["low"][::-1]
        series.name = m.unit
        typer.echo(f"png: {bar_png(series, path=png, title=f'{m.unit} by {by}', xlabel=m.unit)}")
    _others(out["others"])


@app.command()
def evaluate(
    source: str = typer.Argument(..., help='A CSV of reports (date, lat, lon, ...) or "store".'),
    split: list[str] = typer.Option(
        [], "--split", help="First day of a test period, YYYY-MM-DD (repeatable; default: --splits origins)."
    ),
    splits: int = typer.Option(3, "--splits", min=1, help="How many yearly origins to backtest."),
    horizon_days: int = typer.Option(365, "--horizon-days", min=7, help="Length of each test period (days)."),
    resolution: int | None = typer.Option(
        None, "--resolution", help="H3 resolution (default: from the extent)."
    ),
    rings: int = typer.Option(
        2, "--rings", min=0, help="Study area: the cells within this many rings of a training report."
    ),
    seeds: int = typer.Option(20, "--seeds", min=1, help="Random tie-break draws."),
    region: str | None = typer.Option(
        None, "--region", help="Only reports of these regions (comma-separated, from a region column)."
    ),
    keep_placeholders: bool = typer.Option(
        False, "--keep-placeholders", help='Keep reports at placeholder locations ("Unspecified location").'
    ),
    png: Path | None = typer.Option(None, "--png", help="Also draw the recall-area curve as a PNG."),
) -> None:
    """Backtest: hit rate and PAI at 1, 5 and 10 % of the area, the forecast against the baselines."""
    from hotspots.evaluate import backtest, curve_png, read_reports_csv

    if resolution is not None and not 0 <= resolution <= 15:
        raise CounterflowError(f"resolution was {resolution}", "H3 resolutions run from 0 to 15; try 4 to 7")
    if source == "store":
        from flows.steps import load_reports
        from intel.db import get_engine, session_scope
        from intel.settings import get_settings

        with session_scope(get_engine(get_settings())) as session:
            df = load_reports(session, since=None, until=None)
    else:
        df = read_reports_csv(source)
    if region:
        if "region" not in df:
            raise CounterflowError("these reports have no region column", "leave out the region filter")
        wanted = [r.strip() for r in region.split(",") if r.strip()]
        unknown = sorted(set(wanted) - set(df["region"].astype(str)))
        if unknown:
            known = ", ".join(sorted(set(df["region"].astype(str))))
            raise CounterflowError(f"no report is in region(s) {', '.join(unknown)}", f"use one of: {known}")
        df = df[df["region"].isin(wanted)]
    bt = backtest(
        df, splits=[d for d in (_date(s, "--split") for s in split) if d is not None] or None, n_splits=splits,
        horizon_days=horizon_days, resolution=resolution, rings=rings, seeds=seeds,
        placeholders="keep" if keep_placeholders else "drop",
    )  # fmt: skip
    for note in bt.notes:
        typer.echo(f"note: {note}")
    typer.echo(
        f"H3 resolution {bt.resolution}; study area: cells within {bt.rings} ring(s) of a training report; "
        f"test periods of {bt.horizon_days} days; ties broken at random over {bt.seeds} draws"
    )
    typer.echo(
        _table(
            ["origin", "train", "test", "in area", "cells", "half-life", "bandwidth km", "forecast"],
            [(str(o.split), o.n_train, o.n_test, o.in_area, o.n_cells, f"{o.half_life:g}",
              _num(getattr(o, "bandwidth_km", None), "g"), getattr(o, "forecast", "")) for o in bt.origins.itertuples()],
        )
    )  # fmt: skip
    typer.echo("\npooled over origins: hit rate (tie range) [95 % bootstrap], PAI, ratio to previous period")
    rows = [
        (r.method, f"{r.area:.0%}", f"{r.hit_rate:.1%} ({r.tie_min:.1%}-{r.tie_max:.1%})",
         f"[{r.ci_lo:.1%}, {r.ci_hi:.1%}]", f"{r.pai:.2f}", f"{r.ratio:.2f} [{r.ratio_lo:.2f}, {r.ratio_hi:.2f}]")
        for r in bt.pooled.itertuples()
    ]  # fmt: skip
    typer.echo(_table(["method", "area", "hit rate (ties)", "95 % interval", "PAI", "vs previous"], rows))
    typer.echo("\nper origin: hit rate [95 % bootstrap]")
    per = bt.table.copy()
    per["cell"] = per.apply(lambda r: f"{r.hit_rate:.1%} [{r.ci_lo:.0%}, {r.ci_hi:.0%}]", axis=1)
    wide = per.pivot_table(
        index=["method", "area"], columns="split", values="cell", aggfunc="first", sort=False
    )
    typer.echo(
        _table(["method", "area", *[str(c) for c in wide.columns]],
               [(m, f"{a:.0%}", *wide.loc[(m, a)].tolist()) for m, a in wide.index])
    )  # fmt: skip
    typer.echo("\nrecall-area curve (pooled hit rate by share of the area flagged)")
    cv = bt.curve.pivot_table(index="method", columns="area", values="hit_rate", sort=False)
    typer.echo(
        _table(["method", *[f"{a:.1%}" for a in cv.columns]],
               [(m, *[f"{v:.1%}" for v in cv.loc[m]]) for m in cv.index])
    )  # fmt: skip
    if png is not None:
        typer.echo(f"png: {curve_png(bt, png)}")
