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
        "gi", "--method", help="Rank by gi (Gi* bin, the default), forecast (expected reports next year) or counts."
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
    if run["changes"] is not None:
        typer.echo(f"since run {run['previous_run_id']}: {run['changes']}")
    for kind in ("map", "png", "geojson", "kml"):
        if run[kind]:
            typer.echo(f"{kind}: {run[kind]}")


@app.command()
def flows(
    since: str | None = typer.Option(None, "--since", help="Only reports observed on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Only reports observed on or before YYYY-MM-DD."),
    top: int = typer.Option(15, "--top", min=1, help="Rows per table."),
) -> None:
    """Movement: origin -> destination flows with their reach, frequent chains, transit chokepoints."""
    from flows.steps import load_reports
    from hotspots.movement import chokepoints, flow_table, frequent_chains, reach_summary
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    with session_scope(get_engine(get_settings())) as session:
        df = load_reports(session, since=_date(since, "--since"), until=_date(until, "--until"))
    t = flow_table(df)
    if t.empty:
        raise CounterflowError(
            "no report names both an origin and a destination",
            "ingest reports with origin/destination fields",
        )
    typer.echo("origin -> destination")
    typer.echo(_table(["origin", "destination", "reports", "victims", "reach"],
                      [(r.origin, r.destination, r.count, r.victims, r.reach) for r in t.head(top).itertuples()]))  # fmt: skip
    typer.echo("\nreach (UNODC classes, UN M49 subregions)")
    rs = reach_summary(df)
    typer.echo(_table(["reach", "reports", "victims", "share"],
                      [(r.reach, r.count, r.victims, f"{r.share:.0%}") for r in rs.itertuples()]))  # fmt: skip
    ch = frequent_chains(df, top=top)
    typer.echo("\nfrequent chains (origin > transit > destination)")
    typer.echo(
        _table(["chain", "reports", "share"], [(r.chain, r.count, f"{r.share:.0%}") for r in ch.itertuples()])
        if len(ch)
        else "none with a transit seen twice"
    )
    cp = chokepoints(df, top=top)
    typer.echo("\ntransit chokepoints (betweenness on the movement graph)")
    typer.echo(
        _table(
            ["place", "betweenness", "chains through"],
            [(r.place, f"{r.betweenness:.3f}", r.transits) for r in cp.itertuples()],
        )
    )


@app.command()
def histogram(
    by: str = typer.Option("country", "--by", help="country, town, type or month."),
    heat: str | None = typer.Option(
        None, "--heat", help="A heat matrix of --by x this (e.g. --by town --heat month)."
    ),
    since: str | None = typer.Option(None, "--since", help="Only reports observed on or after YYYY-MM-DD."),
    until: str | None = typer.Option(None, "--until", help="Only reports observed on or before YYYY-MM-DD."),
    types: list[str] = typer.Option([], "--type", help="Only these exploitation types (repeatable)."),
    min_grade: str | None = typer.Option(
        None, "--min-grade", help="Only sources graded this or better (A-F)."
    ),
    victims: bool = typer.Option(False, "--victims", help="Count victims instead of reports."),
    top: int = typer.Option(25, "--top", min=1, help="Rows to print."),
    png: Path | None = typer.Option(None, "--png", help="Also draw the chart as a PNG."),
) -> None:
    """Counts of reports by country, town, exploitation type or month, or a heat matrix."""
    from flows.steps import load_reports
    from hotspots.histograms import BY, counts, filter_reports, heat_matrix
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    if by not in BY or (heat is not None and heat not in BY):
        raise CounterflowError(f"--by {by!r} / --heat {heat!r} is not known", "use one of: " + ", ".join(BY))
    if min_grade is not None and (len(min_grade) != 1 or min_grade.upper() not in "ABCDEF"):
        raise CounterflowError(f"--min-grade was {min_grade!r}", "give one letter, A (best) to F")
    with session_scope(get_engine(get_settings())) as session:
        df = load_reports(session, since=_date(since, "--since"), until=_date(until, "--until"))
    df = filter_reports(df, types=types or None, min_reliability=min_grade)
    if df.empty:
        raise CounterflowError("no reports match these filters", "widen --type or --min-grade")
    if heat:
        m = heat_matrix(df, rows=by, cols=heat, top=top)
        typer.echo(m.to_string())
        if png:
            from hotspots.plots import heat_png

            typer.echo(f"png: {heat_png(m, path=png, title=f'reports: {by} x {heat}')}")
        return
    s = counts(df, by=by, victims=victims)
    shown = s if by == "month" else s.head(top)
    width = max(int(shown.max()), 1)
    for k, v in shown.items():
        typer.echo(f"{str(k)[:28]:<28} {int(v):>7}  {'#' * max(int(40 * v / width), 1 if v else 0)}")
    typer.echo(f"{len(df)} reports" + (f" ({len(s) - len(shown)} more rows)" if len(s) > len(shown) else ""))
    if png:
        from hotspots.plots import bar_png

        series = s if by != "month" else s[::-1]
        typer.echo(f"png: {bar_png(series, path=png, title=f'{s.name} by {by}', xlabel=str(s.name))}")


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
