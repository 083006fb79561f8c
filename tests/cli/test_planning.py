"""The campaigns room's commands, end to end on an SQLite store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from cli.app import app
from cli.main import main
from intel.accounts import issue_token
from intel.db import get_engine, session_scope
from intel.models import Target
from intel.settings import Settings, get_settings
from tests.factories import DEMO_ROUTE, PASSWORD, make_demo_run, make_route, typed, user_with_password

# the command reads the clock: the campaign starts in a month and runs 32 days
STARTS = dt.date.today() + dt.timedelta(days=30)
ENDS = STARTS + dt.timedelta(days=31)
PLAN = ["plan", "--route", DEMO_ROUTE, "--name", "Safe journeys", "--author", "ana", "--ages", "13-28",
        "--genders", "women", "--languages", "local", "--budget", "200000", "--currency", "USD",
        "--starts", str(STARTS), "--ends", str(ENDS), "--top", "8"]  # fmt: skip


@pytest.fixture
def store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    with session_scope(get_engine(sqlite_settings)) as session:
        make_demo_run(session, route=make_route(session))
        # ana plans with her personal token (as after `counterflow login ana`)
        monkeypatch.setenv(
            "COUNTERFLOW_TOKEN",
            issue_token(session, user=user_with_password(session, "ana", "campaign_manager")),
        )
    yield sqlite_settings
    get_settings.cache_clear()


def test_plan_preflight_assets(store: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([*PLAN, "--paid-for-by", "Counterflow NGO"]) == 0
    out = capsys.readouterr().out
    assert "campaign 1 (Safe journeys)" in out
    for words in ("Benin City", "en,pcm,bin", "IT (EU)", "40.0 km", "6 (3 teen)", "reach est."):
        assert words in out
    assert "REFUSE [locale_fuzzy] locale pcm" in out and "CANNOT be scheduled" in out
    # the budget table: spend per target and per day, every ad set above the minimum
    assert "budget over 32 days (lifetime budgets; spend per target and per day):" in out
    total = next(x for x in out.splitlines() if x.startswith("total "))
    assert "200,000.00 USD" in total and "6,250.00 USD" in total  # 200000 / 32 days
    assert "every ad set at or above the platform's minimum of 1.00 USD a day" in out
    assert "warn   [budget_adsets_dropped] target Lampedusa" in out

    assert main(["preflight", "1"]) == 1  # refusals stand: drafted copy
    assert "CANNOT be scheduled" in capsys.readouterr().out

    assert main([*PLAN, "--paid-for-by", "Counterflow NGO", "--allow-fuzzy"]) == 0
    out = capsys.readouterr().out
    assert "campaign 2" in out and "preflight: passes" in out
    assert "DRY RUN WITH UNREVIEWED (FUZZY) COPY" in out
    assert main(["preflight", "2"]) == 0

    assert main(["assets", "2", "--export", str(tmp_path / "exp")]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "exp" / "campaign-2.html").exists() and (
        tmp_path / "exp" / "campaign-2-assets.csv"
    ).exists()
    assert "cf2-" in out and "draft" in out and "reviewed" in out


def test_plan_without_disclaimer_is_refused_by_preflight(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*PLAN, "--allow-fuzzy"]) == 0
    out = capsys.readouterr().out
    assert "REFUSE [paid_for_by]" in out and "--paid-for-by" in out


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (["--starts", "10/01/2027"], "--starts was '10/01/2027'"),
        (["--ages", "10-28"], "ages were 10-28"),
        (["--route", "Lagos > Nowhere"], "route 'Lagos > Nowhere' has no hotspot run"),
        (["--run", "77"], "hotspot run 77 does not exist"),
        (["--languages", "en,xx"], "language 'xx' has no catalog"),
    ],
)
def test_bad_input_is_an_error_not_a_traceback(
    store: Settings, capsys: pytest.CaptureFixture[str], change: list[str], problem: str
) -> None:
    argv = list(PLAN)
    for i in range(0, len(change), 2):
        if change[i] in argv:
            argv[argv.index(change[i]) + 1] = change[i + 1]
        else:
            argv += change[i : i + 2]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {problem}" in err and "fix:" in err and "Traceback" not in err


def test_preflight_of_a_missing_campaign(store: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preflight", "42"]) == 2
    assert "campaign 42 does not exist" in capsys.readouterr().err


def test_locales_status_and_compile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["locales", "status"]) == 0
    out = capsys.readouterr().out
    table, notes = out.split("\n\n", 1)
    rows = [ln.split() for ln in table.splitlines()[2:] if ln.strip()]
    assert {r[0] for r in rows} == {"en", "pcm", "yo", "ig", "ha", "bin", "ar", "it", "fr"}
    assert len(rows) == 9 * 5  # nine locales x (three families + preview + the tip form)
    states = ("ready", "fuzzy", "missing")
    tip = {r[0]: (r[2], next(x for x in r if x in states)) for r in rows if r[1] == "tip_form"}
    assert (
        tip["en"] == ("17/17", "ready")
        and tip["ar"] == ("17/17", "fuzzy")
        and tip["bin"] == ("0/17", "missing")
    )
    assert all(r[5] == ("ready" if r[0] == "en" else "fuzzy") for r in rows if r[1] != "tip_form")
    assert "the public tip form shows: en (reviewed catalogs only)" in notes
    assert "needs a native translation, not review: bin (a careful read found the draft not usable" in notes
    assert main(["locales", "compile", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*/LC_MESSAGES/messages.mo"))) == 9
    assert main(["locales", "review", "xx", "--reviewer", "A"]) == 2


def test_plan_as_another_author_needs_their_password(
    store: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ana's token does not make her cam: the command asks for cam's password, and refuses without it."""
    argv = [a if a != "ana" else "cam" for a in PLAN]
    typed(monkeypatch, "a guess at cam's password")
    assert main([*argv, "--paid-for-by", "Counterflow NGO"]) == 2
    assert "the user name or the password is wrong" in capsys.readouterr().err
    monkeypatch.setenv("COUNTERFLOW_TOKEN", "not-a-token")
    assert main([*PLAN, "--paid-for-by", "Counterflow NGO"]) == 2
    assert "the personal token is unknown or expired" in capsys.readouterr().err
    from intel.models import Campaign

    with session_scope(get_engine(store)) as session:
        assert session.exec(select(Campaign)).all() == []


def test_the_targets_table_says_which_pick_is_not_significant(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    # Benin City is a 99 % hot spot; Zinder was picked by the ranking with no Gi* hot spot (bin 0)
    spots = [("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1), ("Zinder", 13.805, 8.988, 2, 10.0, 0, 1.2)]
    with session_scope(get_engine(sqlite_settings)) as session:
        make_demo_run(session, route=make_route(session), hotspots=spots)
        monkeypatch.setenv(
            "COUNTERFLOW_TOKEN",
            issue_token(session, user=user_with_password(session, "ana", "campaign_manager")),
        )
    try:
        assert main([*PLAN, "--paid-for-by", "Counterflow NGO", "--allow-fuzzy"]) == 0
    finally:
        get_settings.cache_clear()
    lines = capsys.readouterr().out.splitlines()
    assert "Gi* bin, hot spot" in next(x for x in lines if x.startswith("id "))
    benin = next(x for x in lines if x.startswith("1 ") and "Benin City" in x)
    zinder = next(x for x in lines if x.startswith("2 ") and "Zinder" in x)
    assert "3 yes" in benin and "0 NOT significant" in zinder
    assert any(x.startswith("(NOT significant: no Gi* hot spot there") for x in lines)
    # why each was picked, and a warn for the weak pick
    assert any(
        "Zinder: rank 2 of the route's ranking (reports 11); Gi* bin 0, z 1.20: NOT significant" in x
        for x in lines
    )
    assert any(x.startswith("warn   [not_significant] target 2 (Zinder)") for x in lines)


def test_a_draft_is_edited_and_the_hint_names_the_edit(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without 'Paid for by' the schedule is refused with a hint that works: `campaign edit`."""
    assert main([*PLAN, "--allow-fuzzy"]) == 0
    capsys.readouterr()
    assert main(["schedule", "1"]) == 2
    err = capsys.readouterr().err
    assert "paid_for_by is empty" in err
    assert "run: counterflow campaign edit 1 --paid-for-by 'Organisation name'" in err
    assert (
        main(
            ["campaign", "edit", "1", "--as", "ana", "--paid-for-by", "Counterflow NGO", "--budget", "150000"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "campaign 1 edited by ana:" in out
    assert "  paid_for_by: None -> Counterflow NGO" in out and "  budget: 200000.0 -> 150000.0" in out
    assert "150,000.00 USD" in next(x for x in out.splitlines() if x.startswith("total "))
    assert "preflight: passes" in out, [x for x in out.splitlines() if "REFUSE" in x]
    assert main(["schedule", "1"]) == 0


def test_a_target_is_added_by_hand_and_merged_on_the_command_line(
    store: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same edit step as the web's plan and edit forms: a point 0.1 degree north of Benin
    City (11.12 km) added with 12 km, then merged into Benin City (12 km): 11.12 + 12 = 23.1 km."""
    assert main([*PLAN, "--paid-for-by", "Counterflow NGO", "--allow-fuzzy"]) == 0
    capsys.readouterr()
    assert main(["campaign", "edit", "1", "--as", "ana", "--add-target", "6.438, 5.626@12"]) == 0
    out = capsys.readouterr().out
    assert "  targets_added: ['6.438, 5.626 (near Uselu) (12 km)']" in out
    with session_scope(get_engine(store)) as session:
        ids = {t.name: t.id for t in session.exec(select(Target).where(Target.campaign_id == 1)).all()}
    added = next(i for name, i in ids.items() if name.startswith("6.438"))
    assert main(["campaign", "edit", "1", "--as", "ana", "--merge", f"{ids['Benin City']},{added}"]) == 0
    assert "  targets_merged: ['6.438, 5.626 (near Uselu) into Benin City']" in capsys.readouterr().out
    assert main(["campaign", "edit", "1", "--as", "ana", "--merge", "1"]) == 2
    assert "--merge was '1'" in capsys.readouterr().err
    assert main(["campaign", "edit", "1", "--as", "ana", "--add-target", "Springfield"]) == 2
    assert "Springfield (Missouri, United States)" in capsys.readouterr().err
    assert (
        main(["campaign", "edit", "1", "--as", "ana", "--target-languages", f"{ids['Benin City']}=en,ha"])
        == 0
    )
    assert "  target_languages: {'Benin City':" in capsys.readouterr().out
    assert main(["campaign", "edit", "1", "--as", "ana", "--target-languages", "en,ha"]) == 2
    assert "--target-languages was 'en,ha'" in capsys.readouterr().err


def test_only_the_author_or_a_campaign_manager_may_edit(
    store: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main([*PLAN, "--paid-for-by", "Counterflow NGO", "--allow-fuzzy"]) == 0
    with session_scope(get_engine(store)) as session:
        user_with_password(session, "dana", "analyst")
    monkeypatch.delenv("COUNTERFLOW_TOKEN")
    typed(monkeypatch, PASSWORD)  # dana's own password: she is who she says, and still may not
    capsys.readouterr()
    assert main(["campaign", "edit", "1", "--as", "dana", "--budget", "1000"]) == 2
    assert (
        "dana may not edit campaign 1: only its author (ana) or a campaign manager may"
        in capsys.readouterr().err
    )


def _readme_plan_example() -> list[str]:
    """The `counterflow plan ...` line of the README's campaign planning section, as arguments."""
    import shlex

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Campaign planning and localised copy", 1)[1].split("\n## ", 1)[0]
    (line,) = [x for x in section.splitlines() if x.startswith("counterflow plan ")]
    return shlex.split(line)[2:]


def test_the_readme_plan_example_passes_preflight_as_printed(engine, settings: Settings) -> None:
    """Run the README's own example (its dates read a week before they start) on the demo route."""
    import typer

    from campaigns.policy import Finding, refusals
    from cli.main import _register
    from flows import steps

    _register()
    command = typer.main.get_command(app).commands["plan"]  # type: ignore[attr-defined]
    p = command.make_context("plan", _readme_plan_example()).params
    assert p["paid_for_by"] and p["dsa_beneficiary"] and p["dsa_payor"]
    with session_scope(engine) as session:
        make_demo_run(session, route=make_route(session, name=p["route"]))
        planned = steps.plan(
            session, settings=settings, route=p["route"], name=p["name"], author=p["author"], ages=p["ages"],
            genders=p["genders"], languages=p["languages"], budget=p["budget"], currency=p["currency"],
            starts_on=dt.date.fromisoformat(p["starts"]), ends_on=dt.date.fromisoformat(p["ends"]), top=p["top"],
            run_id=p["run"], paid_for_by=p["paid_for_by"], dsa_beneficiary=p["dsa_beneficiary"],
            dsa_payor=p["dsa_payor"], allow_fuzzy=p["allow_fuzzy"],
            now=dt.datetime.fromisoformat(p["starts"] + "T09:00+00:00") - dt.timedelta(days=7),
        )  # fmt: skip
    findings = [Finding.from_dict(f) for f in planned["findings"]]
    assert refusals(findings) == [], refusals(findings)
    assert {"paid_for_by", "dsa"} & {f.rule for f in findings} == set()
    assert min(b["min_adset_per_day"] for b in planned["budget"]) >= 1.0
