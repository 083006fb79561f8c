"""`counterflow` commands of the campaigns room (registered on import): plan, preflight, assets,
and the ``locales`` group (status, compile, review, extract)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.app import app
from cli.tools import require_date as _date
from cli.tools import table as _table

if TYPE_CHECKING:
    from campaigns.policy import Finding

locales_app = typer.Typer(
    help="Catalogs of the campaign copy: coverage, review, compile.", no_args_is_help=True
)
app.add_typer(locales_app, name="locales")


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def echo_plan(summary: dict[str, Any]) -> None:
    """The targets (why each was picked) and the budget table: spend per target and per day."""
    from campaigns.copy.i18n import format_number
    from campaigns.plan.budget import MIN_BUDGET_SOURCE

    cur = summary["currency"]
    rows = []
    for t in summary["targets"]:
        pick = t.get("pick") or {}
        significant = pick.get("significant")
        rows.append(
            (
                t["id"],
                t["name"],
                t["country"] + (" (EU)" if t.get("is_eu") else ""),
                f"{t['radius_km']:.1f} km",
                t["languages"].replace("|", ","),
                format_number(t["population"], "en"),
                format_number(t["reach_estimate"], "en"),
                f"{t['adsets']} ({t['teen_adsets']} teen)",
                "-" if pick.get("rank") is None else pick["rank"],
                "-" if not pick else f"{pick['score_kind']} {pick['score']:.3g}",
                "-" if not pick else f"{pick['bin']} " + ("yes" if significant else "NOT significant"),
                (pick.get("trend") or "-") if pick else "-",
            )
        )
    heads = [
        "id",
        "target",
        "country",
        "radius",
        "languages",
        "population",
        "reach est.",
        "ad sets",
        "rank",
        "score",
        "Gi* bin, hot spot",
        "trend",
    ]
    typer.echo(_table(heads, rows))
    if any(not (t.get("pick") or {}).get("significant", True) for t in summary["targets"]):
        typer.echo(
            "(NOT significant: no Gi* hot spot there after the FDR correction; picked by the ranking's score)"
        )
    typer.echo("")
    for t in summary["targets"]:
        if t.get("pick"):
            typer.echo(f"  {t['name']}: {t['pick']['why']}")
    days = summary["days"]
    budget = summary["budget"]
    brows = [
        (
            b["target"],
            b["adsets"],
            _money(b["lifetime"], cur),
            _money(b["per_day"], cur),
            _money(b["min_adset_per_day"], cur),
            f"{100 * b['share']:.1f} %",
        )
        for b in budget
    ]
    total = sum(b["lifetime"] for b in budget)
    brows.append(
        ("total", sum(b["adsets"] for b in budget), _money(total, cur), _money(total / days, cur), "", "")
    )
    typer.echo(f"\nbudget over {days} days (lifetime budgets; spend per target and per day):")
    typer.echo(_table(["target", "ad sets", "lifetime", "per day", "smallest ad set a day", "share"], brows))
    if summary.get("min_daily_budget") is not None:
        typer.echo(
            f"every ad set at or above the platform's minimum of {_money(summary['min_daily_budget'], cur)} a day "
            f"({MIN_BUDGET_SOURCE})"
        )


def echo_findings(findings: Sequence[Finding], *, allow_fuzzy: bool) -> None:
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
    origin: str = typer.Option(
        "",
        "--origin",
        help="Countries the people at risk come from (ISO-2, e.g. NG): their languages join the local ones.",
    ),
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
    """Plan a draft campaign on a route's hotspot run; print targets, budget and preflight; make the assets."""
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
            origins=origin,
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
    typer.echo(f"campaign {planned['campaign_id']} ({name}): draft on hotspot run {planned['run_id']}")
    echo_plan(planned)
    typer.echo(f"\n{planned['assets']} assets in {len(planned['locales'])} locales\n")
    findings = [Finding.from_dict(f) for f in planned["findings"]]
    echo_findings(findings, allow_fuzzy=planned["allow_fuzzy"])


@app.command("preflight")
def preflight_cmd(campaign_id: int = typer.Argument(..., help="Campaign id.")) -> None:
    """Check a campaign against platform policy; exit 1 while any refusal stands."""
    from campaigns import crud
    from campaigns.policy import preflight, refusals
    from intel.db import get_engine, session_scope

    with session_scope(get_engine()) as session:
        campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=campaign_id)
        findings = preflight(campaign, targets, adsets, assets)
    echo_findings(findings, allow_fuzzy=campaign.allow_fuzzy)
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
    """Coverage and review (fuzzy) per locale and message family, the tip form's included."""
    from campaigns.copy.i18n import (
        LOCALES,
        coverage,
        load_catalog,
        load_template,
        needs_native_translation,
        reviewer_of,
    )
    from web.i18n import reviewed_locales

    template = load_template()
    tip_template = load_template(domain="tipform")
    rows = []
    untranslated: list[str] = []
    drafts: list[str] = []
    for code in LOCALES:
        reviewer = reviewer_of(load_catalog(code)) or "-"
        tip_reviewer = reviewer_of(load_catalog(code, domain="tipform")) or "-"
        found = [(c, reviewer) for c in coverage(code, template=template)]
        found += [(c, tip_reviewer) for c in coverage(code, template=tip_template, domain="tipform")]
        for c, who in found:
            state = "ready" if c.ready else ("missing" if c.missing else "fuzzy")
            bar = "#" * round(10 * c.translated / c.total) if c.total else ""
            family = c.family or "tip_form"
            rows.append((code, family, f"{c.translated}/{c.total}", f"{bar:<10}", c.fuzzy, state, who))
        why = needs_native_translation(load_catalog(code))
        if why or all(c.translated == 0 for c, _ in found):
            untranslated.append(f"{code} ({why or 'no translation'})")
        elif any(c.fuzzy or c.missing for c, _ in found):
            drafts.append(code)
    typer.echo(_table(["locale", "family", "translated", "coverage", "fuzzy", "state", "reviewed by"], rows))
    typer.echo(f"\nthe public tip form shows: {', '.join(reviewed_locales())} (reviewed catalogs only)")
    if untranslated:
        typer.echo(f"needs a native translation, not review: {'; '.join(untranslated)}")
    if drafts:
        typer.echo(
            f"drafts awaiting a native reviewer: {', '.join(drafts)} "
            "(export a pack, review, import: see the README's section on translations)"
        )


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
    domain: str = typer.Option(
        "messages", "--domain", help="messages (campaign copy) or tipform (the public tip form)."
    ),
) -> None:
    """Clear a catalog's fuzzy flags after review and record the reviewer in its header.

    The public tip form shows a language only once its tipform catalog is reviewed."""
    from campaigns.copy.i18n import review

    cleared = review(locale, reviewer=reviewer, domain=domain)
    typer.echo(f"{locale} ({domain}): {cleared} messages cleared, reviewed by {reviewer}")


@locales_app.command("check")
def locales_check(
    codes: list[str] = typer.Argument(None, help="Catalog codes (default: every locale)."),
    domain: str = typer.Option("all", "--domain", help="messages, tipform or all."),
    folder: Path | None = typer.Option(
        None, "--dir", help="A locales folder to check instead of the packaged one (a reviewer's copy)."
    ),
) -> None:
    """Check catalogs: placeholders, plural forms against CLDR, length limits, numbers in
    right-to-left text, text left in English. Exit 1 while any problem stands."""
    from campaigns.copy.check import RULES, check_all, check_helplines
    from campaigns.copy.i18n import DOMAINS, LOCALES, check_domain, check_locale

    chosen = tuple(check_locale(c) for c in codes) if codes else LOCALES
    domains = DOMAINS if domain == "all" else (check_domain(domain),)
    problems = check_all(chosen, domains=domains, root=folder)
    if not codes and folder is None:
        problems += check_helplines()
    for p in problems:
        typer.echo(p.line())
    if problems:
        counts = ", ".join(f"{r} {n}" for r in RULES if (n := sum(p.rule == r for p in problems)))
        typer.echo(f"\nlocales check: {len(problems)} problems ({counts})")
        raise typer.Exit(1)
    typer.echo(f"locales check: no problems in {len(chosen)} locales ({', '.join(domains)})")


@locales_app.command("extract")
def locales_extract() -> None:
    """Re-extract the campaign copy and the tip form into locales/*.pot and merge them into every
    catalog (changed messages become fuzzy, new ones arrive untranslated)."""
    from campaigns.copy.i18n import DOMAINS, update_catalogs, write_template

    for domain in DOMAINS:
        typer.echo(f"wrote {write_template(domain=domain).name}")
        for code, n in update_catalogs(domain=domain).items():
            typer.echo(f"{code} {domain}: {n} new messages" if n else f"{code} {domain}: up to date")


@locales_app.command("export")
def locales_export(
    locale: str = typer.Argument(..., help="Catalog code, e.g. ha."),
    out: Path = typer.Option(Path("."), "--out", help="Folder for the pack (default: here)."),
    fmt: str = typer.Option("po", "--format", help="po, or xliff (XLIFF 1.1, for reading and CAT tools)."),
) -> None:
    """Write a reviewer's pack: the catalogs (contexts, notes, length limits) and an HTML preview
    of every message in place."""
    from campaigns.copy.pack import export_pack

    for path in export_pack(locale, out_dir=out, fmt=fmt):
        typer.echo(f"wrote {path}")
    typer.echo("return the reviewed .po files with: counterflow locales import FILE --reviewer NAME")


@locales_app.command("import")
def locales_import(
    file: Path = typer.Argument(..., help="A reviewed .po from a pack."),
    reviewer: str = typer.Option(..., "--reviewer", help="Full name of the native speaker who reviewed it."),
    date: str | None = typer.Option(None, "--date", help="Day of the review, YYYY-MM-DD (default: today)."),
) -> None:
    """Merge a reviewed .po: refused with its problems listed if it fails the checks; entries the
    file does not mark fuzzy are confirmed, the reviewer and date go into the header."""
    from campaigns.copy.pack import import_pack
    from cli.tools import parse_date

    done = import_pack(file, reviewer=reviewer, on=parse_date(date, "--date"))
    typer.echo(
        f"{done.locale} ({done.domain}): {done.confirmed} confirmed, {done.drafts} kept as drafts; "
        f"{done.still_fuzzy} messages still fuzzy"
    )
    if done.still_fuzzy:
        typer.echo("the catalog stays a draft until every message is confirmed")
