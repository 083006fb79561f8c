"""`counterflow` commands of the campaigns room (registered on import): plan, preflight, assets,
and the ``locales`` group (status, compile, review, extract)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.app import app
from cli.tools import require_date as _date
from cli.tools import table as _table

if TYPE_CHECKING:
    from campaigns.policy import Finding
    from intel.models import AdSet, Target

locales_app = typer.Typer(
    help="Catalogs of the campaign copy: coverage, review, compile.", no_args_is_help=True
)
app.add_typer(locales_app, name="locales")


def _echo_targets(
    targets: Sequence[Target], adsets: Sequence[AdSet], currency: str, bins: dict[int, int] | None = None
) -> None:
    """The targets table; ``bins`` (hotspot id -> Gi* bin) adds whether each pick is a Gi* hot spot."""
    from campaigns.copy.i18n import format_number

    rows = []
    for t in targets:
        mine = [a for a in adsets if a.target_id == t.id]
        teen = sum(a.teen for a in mine)
        rows.append(
            (
                t.name,
                t.country + (" (EU)" if t.is_eu else ""),
                f"{t.radius_km:g} km",
                t.languages.replace("|", ","),
                format_number(t.population, "en"),
                format_number(t.reach_estimate, "en"),
                f"{len(mine)} ({teen} teen)",
                f"{format_number(sum(a.budget for a in mine), 'en')} {currency}",
            )
            + (() if bins is None else ("yes" if bins.get(t.hotspot_id or -1, 0) > 0 else "NOT significant",))
        )
    heads = ["target", "country", "radius", "languages", "population", "reach est.", "ad sets", "budget"]
    typer.echo(_table(heads + ([] if bins is None else ["Gi*"]), rows))
    if bins is not None and any(bins.get(t.hotspot_id or -1, 0) <= 0 for t in targets):
        typer.echo("(NOT significant: no Gi* hot spot there after the FDR correction; picked by the ranking)")


def _echo_findings(findings: Sequence[Finding], *, allow_fuzzy: bool) -> None:
    from campaigns.policy import refusals

    refused = refusals(findings)
    for f in sorted(findings, key=lambda f: (f.level != "refuse", f.rule)):
        mark = "REFUSE" if f.level == "refuse" else "warn  "
        typer.echo(f"{mark} [{f.rule}] {f.object}: {f.problem}\n         fix: {f.fix}")
        if f.hint is not None:
            typer.echo(f"         run: {f.hint}")
    if allow_fuzzy and any(f.rule == "locale_fuzzy" for f in findings):
        typer.echo("")
        typer.echo("!!! DRY RUN WITH UNREVIEWED (FUZZY) COPY: allow_fuzzy is on; the outbox only. !!!")
    warns = len(findings) - len(refused)
    if refused:
        typer.echo(
            f"\npreflight: {len(refused)} refusals, {warns} warnings: this campaign CANNOT be scheduled"
        )
    else:
        typer.echo(f"\npreflight: passes ({warns} warnings)")


@app.command()
def plan(
    route: str = typer.Option(
        ..., help='Route name, e.g. "Benin City > Agadez > Tripoli > Lampedusa > Rome".'
    ),
    run: int | None = typer.Option(
        None, "--run", help="Hotspot run id (default: the latest run for the route)."
    ),
    name: str = typer.Option(..., help="Campaign name."),
    author: str = typer.Option(..., help="Your user name: you plan it, with your password or token."),
    ages: str = typer.Option(
        "18-35", help="Age range MIN-MAX within 13-65; 13-17 is split into teen ad sets."
    ),
    genders: str = typer.Option("all", help="all, women or men."),
    languages: str = typer.Option("local", help="'local' (per country and area) or codes, e.g. en,pcm."),
    budget: float = typer.Option(..., help="Lifetime budget."),
    currency: str = typer.Option("USD", help="ISO currency code."),
    starts: str = typer.Option(..., help="First day, YYYY-MM-DD."),
    ends: str = typer.Option(..., help="Last day, YYYY-MM-DD."),
    top: int = typer.Option(8, help="How many hotspots become targets."),
    paid_for_by: str | None = typer.Option(None, help="'Paid for by' disclaimer (required by policy)."),
    dsa_beneficiary: str | None = typer.Option(
        None, help="DSA beneficiary for EU targets (default: --paid-for-by)."
    ),
    dsa_payor: str | None = typer.Option(None, help="DSA payor for EU targets (default: --paid-for-by)."),
    allow_fuzzy: bool = typer.Option(False, help="Dry-run only: allow unreviewed (fuzzy) copy, said loudly."),
) -> None:
    """Plan a draft campaign on a route's hotspot run; print targets and preflight; make the assets."""
    from campaigns import crud
    from campaigns.policy import Finding
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    starts_on, ends_on = _date(starts, "--starts"), _date(ends, "--ends")
    settings = get_settings()
    from cli.credentials import prove

    with session_scope(get_engine(settings)) as session:
        planner = prove(session, author, why="to plan a campaign")
        planned = steps.plan(
            session,
            settings=settings,
            route=route,
            name=name,
            author=planner.name,
            ages=ages,
            genders=genders,
            languages=languages,
            budget=budget,
            currency=currency,
            starts_on=starts_on,
            ends_on=ends_on,
            top=top,
            run_id=run,
            paid_for_by=paid_for_by,
            dsa_beneficiary=dsa_beneficiary,
            dsa_payor=dsa_payor,
            allow_fuzzy=allow_fuzzy,
        )
        run_id = planned["run_id"]
        campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=planned["campaign_id"])
        findings = [Finding.from_dict(f) for f in planned["findings"]]
        bins = {h.id: h.bin for h in crud.run_hotspots(session, run_id=run_id) if h.id is not None}
    typer.echo(f"campaign {campaign.id} ({campaign.name}): draft on hotspot run {run_id}")
    _echo_targets(targets, adsets, campaign.currency, bins)
    typer.echo(f"\n{len(assets)} assets in {len({a.locale for a in assets})} locales\n")
    _echo_findings(findings, allow_fuzzy=campaign.allow_fuzzy)


@app.command("preflight")
def preflight_cmd(campaign_id: int = typer.Argument(..., help="Campaign id.")) -> None:
    """Check a campaign against platform policy; exit 1 while any refusal stands."""
    from campaigns import crud
    from campaigns.policy import preflight, refusals
    from intel.db import get_engine, session_scope

    with session_scope(get_engine()) as session:
        campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=campaign_id)
        findings = preflight(campaign, targets, adsets, assets)
    _echo_findings(findings, allow_fuzzy=campaign.allow_fuzzy)
    if refusals(findings):
        raise typer.Exit(1)


@app.command()
def assets(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    export: Path | None = typer.Option(
        None, "--export", help="Folder for the HTML preview page and the CSV."
    ),
    refresh: bool = typer.Option(
        False, "--refresh", help="Re-render existing assets from the current catalogs."
    ),
) -> None:
    """Make the campaign's missing assets, list them, and optionally export previews."""
    from campaigns import crud
    from campaigns.copy.assets import export_assets, generate_assets
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    settings = get_settings()
    with session_scope(get_engine(settings)) as session:
        made = generate_assets(session, campaign_id=campaign_id, settings=settings, refresh=refresh)
        campaign, targets, _, _ = crud.campaign_bundle(session, campaign_id=campaign_id)
    names = {t.id: t.name for t in targets}
    rows = [
        (
            a.tracking_code,
            names.get(a.target_id, "?"),
            a.locale,
            a.family,
            "draft" if a.fuzzy else "reviewed",
            a.headline,
        )
        for a in made
    ]
    typer.echo(_table(["code", "target", "locale", "family", "review", "headline"], rows))
    if export is not None:
        page, table = export_assets(campaign=campaign, targets=targets, assets=made, out_dir=export)
        typer.echo(f"\npreview: {page}\nassets:  {table}")


@locales_app.command("status")
def locales_status() -> None:
    """Coverage and review (fuzzy) per locale and message family."""
    from campaigns.copy.i18n import LOCALES, coverage, load_catalog, load_template, reviewer_of

    template = load_template()
    rows = []
    for code in LOCALES:
        reviewer = reviewer_of(load_catalog(code)) or "-"
        for c in coverage(code, template=template):
            state = "ready" if c.ready else ("missing" if c.missing else "fuzzy")
            bar = "#" * round(10 * c.translated / c.total) if c.total else ""
            rows.append((code, c.family, f"{c.translated}/{c.total}", f"{bar:<10}", c.fuzzy, state, reviewer))
    typer.echo(_table(["locale", "family", "translated", "coverage", "fuzzy", "state", "reviewed by"], rows))


@locales_app.command("compile")
def locales_compile(
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the .mo tree (default: beside each .po)."
    ),
) -> None:
    """Compile every catalog to .mo (build output; the app also compiles on first use)."""
    from campaigns.copy.i18n import compile_catalogs

    for path in compile_catalogs(out_dir=out):
        typer.echo(f"compiled {path.parent.parent.name}: {path}")


@locales_app.command("review")
def locales_review(
    locale: str = typer.Argument(..., help="Catalog code, e.g. pcm."),
    reviewer: str = typer.Option(..., "--reviewer", help="Full name of the native speaker who checked it."),
) -> None:
    """Clear a catalog's fuzzy flags after review and record the reviewer in its header."""
    from campaigns.copy.i18n import review

    cleared = review(locale, reviewer=reviewer)
    typer.echo(f"{locale}: {cleared} messages cleared, reviewed by {reviewer}")


@locales_app.command("extract")
def locales_extract() -> None:
    """Re-extract the campaign copy into locales/messages.pot and merge it into every catalog."""
    from campaigns.copy.i18n import update_catalogs, write_template

    typer.echo(f"wrote {write_template().name}")
    for code, n in update_catalogs().items():
        typer.echo(f"{code}: {n} new messages" if n else f"{code}: up to date")
