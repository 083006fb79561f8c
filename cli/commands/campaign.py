"""`counterflow campaign` commands (registered on import): edit a campaign before it goes out."""

from __future__ import annotations

import typer

from cli.app import app
from cli.tools import parse_date as _date
from intel.errors import CounterflowError

campaign_app = typer.Typer(help="One campaign: edit it before it goes out.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")


@campaign_app.command("edit")
def edit(
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    as_: str = typer.Option(
        ...,
        "--as",
        help="Your user name (the campaign's author or a campaign manager), with your password or token.",
    ),
    paid_for_by: str | None = typer.Option(
        None, help="'Paid for by' disclaimer: the organisation that pays."
    ),
    dsa_beneficiary: str | None = typer.Option(None, help="DSA beneficiary for EU/EEA targets."),
    dsa_payor: str | None = typer.Option(None, help="DSA payor for EU/EEA targets."),
    budget: float | None = typer.Option(None, help="New lifetime budget (the ad sets are split again)."),
    start: str | None = typer.Option(None, help="New first day, YYYY-MM-DD."),
    end: str | None = typer.Option(None, help="New last day, YYYY-MM-DD."),
    languages: str | None = typer.Option(None, help="'local' or codes, e.g. en,pcm."),
    ages: str | None = typer.Option(None, help="Age range MIN-MAX within 13-65."),
    genders: str | None = typer.Option(None, help="all, women or men."),
    drop_target: list[int] = typer.Option([], "--drop-target", help="Target id to drop (repeatable)."),
    add_target: list[str] = typer.Option(
        [],
        "--add-target",
        help="A target to add, 'PLACE@KM' (a town, or 'lat, lon'; radius 10 km without @KM); repeatable.",
    ),
    merge: list[str] = typer.Option(
        [], "--merge", help="'KEEP_ID,ABSORBED_ID': the first target grows to cover the second (repeatable)."
    ),
    target_languages: list[str] = typer.Option(
        [],
        "--target-languages",
        help="'TARGET_ID=en,ha': that target's own languages, kept by later edits (repeatable).",
    ),
) -> None:
    """Edit a campaign that has not gone out; an approved campaign goes back to draft (audited).
    Prints what changed, the targets and budget, and the preflight run again."""
    from campaigns.policy import Finding
    from cli.commands.planning import echo_findings, echo_plan
    from cli.credentials import prove
    from flows import steps
    from intel.db import get_engine, session_scope
    from intel.settings import get_settings

    starts_on, ends_on = _date(start, "--start"), _date(end, "--end")
    settings = get_settings()
    with session_scope(get_engine(settings)) as session:
        editor = prove(session, as_, why=f"to edit campaign {campaign_id}")
        done = steps.edit(
            session,
            campaign_id=campaign_id,
            editor=editor.name,
            settings=settings,
            paid_for_by=paid_for_by,
            dsa_beneficiary=dsa_beneficiary,
            dsa_payor=dsa_payor,
            budget=budget,
            starts_on=starts_on,
            ends_on=ends_on,
            languages=languages,
            ages=ages,
            genders=genders,
            drop_targets=drop_target,
            add_targets=[_added(text) for text in add_target],
            merge_targets=[_pair(text) for text in merge],
            target_languages=dict(_chosen(text) for text in target_languages),
        )
    typer.echo(f"campaign {campaign_id} edited by {editor.name}:")
    for name, (old, new) in done["changes"].items():
        typer.echo(f"  {name}: {old} -> {new}" if new is not None else f"  {name}: {old}")
    if done["approval_withdrawn"]:
        typer.echo(
            f"the approval by {done['approval_withdrawn']} is withdrawn: the campaign is a draft again "
            "and needs a new approval"
        )
    typer.echo("")
    echo_plan(done)
    typer.echo("")
    echo_findings([Finding.from_dict(f) for f in done["findings"]], allow_fuzzy=done["allow_fuzzy"])


def _added(text: str) -> tuple[str, float]:
    """``--add-target 'PLACE@KM'`` as (place, radius in km)."""
    place, _, km = text.rpartition("@") if "@" in text else (text, "", "10")
    try:
        return place.strip(), float(km)
    except ValueError:
        raise CounterflowError(
            f"--add-target was {text!r}", "write it as PLACE@KM, e.g. 'Sabha, Libya@15' or '6.34, 5.62@10'"
        ) from None


def _pair(text: str) -> tuple[int, int]:
    """``--merge KEEP_ID,ABSORBED_ID`` as two target ids."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise CounterflowError(f"--merge was {text!r}", "write two target ids, e.g. --merge 3,5")
    return int(parts[0]), int(parts[1])


def _chosen(text: str) -> tuple[int, list[str]]:
    """``--target-languages TARGET_ID=en,ha`` as (target id, codes)."""
    tid, _, codes = text.partition("=")
    langs = [c.strip() for c in codes.split(",") if c.strip()]
    if not tid.strip().isdigit() or not langs:
        raise CounterflowError(
            f"--target-languages was {text!r}", "write a target id and its language codes, e.g. 3=en,ha"
        )
    return int(tid), langs
