"""Import specs: the built-ins load, mistakes are named, and no cell text crashes the importer."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import func, select

from intel import specs as specs_module
from intel import taxonomy
from intel.db import session_scope
from intel.errors import CounterflowError
from intel.ingest import ingest_file
from intel.models import Reject, Report
from intel.specs import (
    FIELD_KEYS,
    FIELD_KINDS,
    FLAG_FALSE,
    FLAG_TRUE,
    SPEC_KEYS,
    WHEN_KEYS,
    builtin_names,
    list_specs,
    load_spec,
    parse_spec,
)

SPEC_DOCS = Path(specs_module.__file__).parent / "README.md"


def test_builtin_specs_load():
    assert {"reports", "ctdc", "unodc", "iom", "tip_edges"} <= set(builtin_names())
    ctdc = load_spec("ctdc")
    assert ctdc.delimiter == ";" and ctdc.flags["exploitation"]["isSexualExploit"] == "sexual"
    assert (
        load_spec("unodc").is_aggregate
        and load_spec("iom").fields["coordinates"].column == "Location Coordinates"
    )
    assert [s.name for s in list_specs()] == sorted(builtin_names())


def test_user_spec_in_home_and_by_path(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mine.toml").write_text('[fields.observed_on]\ncolumn = "when"\nrequired = true\n')
    assert load_spec("mine", home=tmp_path).fields["observed_on"].column == "when"
    assert load_spec(str(tmp_path / "specs" / "mine.toml")).name == "mine"
    with pytest.raises(CounterflowError, match="'nope' does not exist") as err:
        load_spec("nope", home=tmp_path)
    assert "mine" in err.value.fix and "ctdc" in err.value.fix


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('format = "pdf"', "'pdf'"),
        ('delimiter = ";;"', "';;'"),
        ('colour = "red"', "'colour'"),
        ('[fields]\nwhen = "date"', "'when'"),
        ('[fields.country]\ncolumn = "c"\non_error = "ignore"', "'ignore'"),
        ('[flags.exploitation]\nisX = "sexx"', "'sexx'"),
        ('[fields.origin]\ncolumn = "c"\nwhen = "x"', "'x'"),
        ('date_precision = "week"', "'week'"),
        ("[fields.country", "not valid TOML"),
    ],
)
def test_bad_specs_name_the_value(tmp_path, toml, named):
    p = tmp_path / "bad.toml"
    p.write_text(toml)
    with pytest.raises(CounterflowError) as err:
        load_spec(str(p))
    assert named in err.value.problem and err.value.fix


_KEYS = st.sampled_from(
    ["column", "default", "required", "map", "separator", "formats", "when", "on_error", "junk"]
)
_VALUES = st.one_of(st.text(max_size=8), st.booleans(), st.integers(), st.lists(st.text(max_size=4), max_size=3),
                    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2))  # fmt: skip


@hsettings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(
        st.one_of(st.sampled_from(sorted(FIELD_KINDS)), st.text(max_size=6)),
        st.one_of(st.text(max_size=6), st.dictionaries(_KEYS, _VALUES, max_size=4)),
        max_size=4,
    ),
    top=st.dictionaries(
        st.sampled_from(["format", "delimiter", "dedup", "extra", "zzz"]), _VALUES, max_size=3
    ),
)
def test_spec_parsing_never_crashes(fields, top):
    """Any spec table is either a Spec or a CounterflowError naming what is wrong."""
    try:
        spec = parse_spec({**top, "fields": fields}, name="h")
    except CounterflowError as exc:
        assert exc.problem and exc.fix
    else:
        assert set(spec.fields) <= set(FIELD_KINDS)


HEADER = [
    "date",
    "place",
    "country",
    "lat",
    "lon",
    "exploitation",
    "source_kind",
    "source",
    "summary",
    "victim_count",
]
_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "2023-01-05", "Benin City", "Agadez", "NG", "6.3", "5.6", "sexual", "news", "<5", "3,857"]
    ),
)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=6))
def test_arbitrary_cells_are_stored_or_rejected(sqlite_engine, sqlite_settings, tmp_path, rows):
    """Whatever the cells hold, every row is either stored or kept as a reject with a reason."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows(rows)
    path = tmp_path / "h.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with session_scope(sqlite_engine) as s:
        summary = ingest_file(s, path=path, settings=sqlite_settings)
        if summary.already_imported:
            return
        stored = s.exec(
            select(func.count()).select_from(Report).where(Report.import_id == summary.import_id)
        ).one()
        rejects = s.exec(select(Reject).where(Reject.import_id == summary.import_id)).all()
    physical = [r for r in csv.reader(io.StringIO(buf.getvalue()))][1:]
    non_blank = [r for r in physical if r and not (len(r) == 1 and not r[0].strip())]
    assert summary.rows_read == len(non_blank)
    assert summary.rows_stored + summary.rows_skipped + summary.rows_rejected == summary.rows_read
    assert stored == summary.rows_stored and len(rejects) == summary.rows_rejected
    assert all(r.reason and r.line >= 2 for r in rejects)


# --- every option the loader accepts is documented beside the built-in specs ---------------


def accepted_options() -> list[str]:
    """Every key the loader accepts, as the docs name it, from the loader's own lists."""
    return [
        *SPEC_KEYS,
        *(f"fields.<field>.{k}" for k in FIELD_KEYS),
        *(f"fields.<field>.when.{k}" for k in WHEN_KEYS),
    ]


def documented_options(text: str) -> dict[str, str]:
    """Each "### `option`" heading of the specs page -> its section's text."""
    parts = re.split(r"^### `([^`]+)`[ \t]*$", text, flags=re.MULTILINE)
    return {parts[i]: re.split(r"^## ", parts[i + 1], flags=re.MULTILINE)[0] for i in range(1, len(parts), 2)}


def toml_examples(text: str) -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def _holds(data: dict[str, Any], option: str) -> bool:
    """Whether a parsed example uses ``option`` (``fields.<field>.key`` in any field)."""
    path = option.split(".")
    if path[0] != "fields" or len(path) == 1:
        return path[0] in data
    tables = [t for t in data.get("fields", {}).values() if isinstance(t, dict)]
    if len(path) == 3:
        return any(path[2] in t for t in tables)
    return any(isinstance(t.get(path[2]), dict) and path[3] in t[path[2]] for t in tables)


def undocumented(text: str, options: list[str]) -> list[str]:
    """The options without a section that says its default and shows it in a TOML example."""
    sections = documented_options(text)
    missing = []
    for option in options:
        body = sections.get(option, "")
        examples = [tomllib.loads(t) for t in toml_examples(body)]
        if "Default" not in body or not any(_holds(e, option) for e in examples):
            missing.append(option)
    return missing


def test_every_spec_option_is_documented_with_its_default_and_an_example():
    text = SPEC_DOCS.read_text(encoding="utf-8")
    assert undocumented(text, accepted_options()) == [], f"document these options in {SPEC_DOCS}"
    # and the page describes no option the loader would refuse
    assert set(documented_options(text)) <= set(accepted_options())


def test_an_undocumented_option_fails_the_docs_check():
    text = SPEC_DOCS.read_text(encoding="utf-8")
    assert undocumented(text, [*accepted_options(), "colour"]) == ["colour"]
    without_dedup = re.sub(r"^### `dedup`.*?(?=^### )", "", text, flags=re.MULTILINE | re.DOTALL)
    assert undocumented(without_dedup, accepted_options()) == ["dedup"]
    no_example = text.replace('flag_false = ["0", "no", "non"]', "")
    assert undocumented(no_example, accepted_options()) == ["flag_false"]


def test_every_example_of_the_specs_page_loads():
    examples = toml_examples(SPEC_DOCS.read_text(encoding="utf-8"))
    assert len(examples) > len(accepted_options())
    for example in examples:
        parse_spec(tomllib.loads(example), name="example")  # raises on any mistake


def test_the_specs_page_lists_every_report_field_default_spelling_and_code():
    text = SPEC_DOCS.read_text(encoding="utf-8")
    for name in FIELD_KINDS:
        assert f"| `{name}` |" in text, name
    sections = documented_options(text)
    assert all(f'"{v}"' in sections["flag_true"] for v in FLAG_TRUE)
    assert all(f'"{v}"' in sections["flag_false"] for v in FLAG_FALSE)
    codes = text.split("## Taxonomy codes")[1]
    for facet in taxonomy.FACETS:
        assert all(re.search(rf"\b{c}\b", codes) for c in taxonomy.codes(facet)), facet
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "intel/specs/README.md" in readme


@pytest.mark.parametrize(
    ("table", "where", "key"),
    [
        ({"colour": "red"}, "the spec", "colour"),
        ({"fields": {"place": {"column": "p", "colum": "q"}}}, "[fields.place]", "colum"),
        (
            {"fields": {"origin": {"column": "c", "when": {"column": "d", "in": ["x"], "not_in": ["y"]}}}},
            "fields.origin.when",
            "not_in",
        ),
    ],
)
def test_an_unknown_key_is_refused_naming_it_and_the_known_ones(table, where, key):
    with pytest.raises(CounterflowError) as err:
        parse_spec(table, name="mine")
    assert f"{where} has an unknown key {key!r}" in err.value.problem
    known = SPEC_KEYS if where == "the spec" else FIELD_KEYS if where.startswith("[") else WHEN_KEYS
    assert all(k in err.value.fix for k in known) and "intel/specs/README.md" in err.value.fix


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"dedup": "no"}, "'no'"),
        ({"require_location": 0}, "0"),
        ({"fields": {"place": {"column": "p", "required": "yes"}}}, "'yes'"),
        ({"encoding": "klingon"}, "'klingon'"),
        ({"constants": {"exploitation": "sexx"}}, "'sexx'"),
        ({"flag_true": ["1", ""]}, "''"),
        ({"flag_true": ["1", "oui"], "flag_false": ["OUI"]}, "'oui'"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(table, named):
    with pytest.raises(CounterflowError) as err:
        parse_spec(table, name="mine")
    assert named in err.value.problem and err.value.fix


def test_flag_spellings_default_and_override():
    default = parse_spec({}, name="d")
    assert default.flag_true == FLAG_TRUE and default.flag_false == FLAG_FALSE
    own = parse_spec({"flag_true": [" Oui ", "1"]}, name="o")
    assert own.flag_true == ("oui", "1") and own.flag_false == FLAG_FALSE
    moved = parse_spec({"flag_true": ["1", "y", "n"]}, name="m")  # "n" sets a flag here
    assert "n" not in moved.flag_false
    assert parse_spec(
        {"constants": {"exploitation": "Sexual exploitation|forced labor"}}, name="c"
    ).constants == {"exploitation": "sexual|forced_labour"}
