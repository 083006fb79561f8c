"""Import specifications: a saved mapping (TOML) from a file's columns to report fields.

A spec says how to read a file (format, delimiter, encoding), which column feeds which
``Report`` field (with value maps, defaults, separators, date formats and conditions), which
0/1 flag columns add taxonomy codes, and which columns are kept in ``Report.extra``.
Built-in specs live next to this module; an analyst's own specs are TOML files in
``<COUNTERFLOW_HOME>/specs/`` or any path given to ``--spec``. Every option is described, with
its default and an example, in ``intel/specs/README.md``; the loader accepts the keys of
``SPEC_KEYS``, ``FIELD_KEYS`` and ``WHEN_KEYS`` and refuses any other, naming it.

>>> load_spec("reports").fields["observed_on"].column
'date'
"""

from __future__ import annotations

import codecs
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from intel import taxonomy
from intel.errors import CommandHint, CounterflowError, NotFound
from intel.measures import AGGREGATE_MEASURES, aggregate_measure

#: Report fields a spec may fill, and how their text is converted.
FIELD_KINDS: dict[str, str] = {
    "observed_on": "date",
    "place": "text",
    "location": "text",  # a free-text description of the place, read for its precision
    "place_precision": "place_precision",  # point, town, district, region, country, unspecified
    "admin1": "text",
    "country": "country",
    "lat": "float",
    "lon": "float",
    "coordinates": "latlon",  # "lat, lon" in one cell -> lat and lon
    "exploitation": "codes",
    "recruitment": "codes",
    "control": "codes",
    "transport": "codes",
    "summary": "text",
    "language": "text",
    "victim_count": "count",
    "age_band": "text",
    "gender": "text",
    "role": "text",
    "origin": "country_or_place",
    "transit": "places",
    "destination": "country_or_place",
    "reliability": "reliability",
    "credibility": "credibility",
    "source_kind": "text",
    "source": "text",
    "simulated": "bool",  # made by a simulation (the demo), never real intelligence
    "measure": "measure",  # what an aggregate's figure counts (intel.measures)
    "figure": "figure",  # an aggregate's figure: a count, or "<5" (1 to 4)
}
FORMATS = ("csv", "xlsx", "json", "jsonl")
ON_ERROR = ("reject", "keep", "blank")
#: Taxonomy facets a spec fills from a mapped column and from flag columns.
FLAG_FACETS = ("exploitation", "control", "recruitment", "transport")

#: The keys a spec may hold at its top level (each documented in ``README.md`` beside this module).
SPEC_KEYS = (
    "name", "description", "format", "delimiter", "encoding", "source_kind", "source_name",
    "require_location", "is_aggregate", "dedup", "date_precision", "fields", "flags", "flag_true",
    "flag_false", "extra", "constants",
)  # fmt: skip
#: The keys of one ``[fields.<field>]`` table.
FIELD_KEYS = (
    "column", "columns", "join", "default", "required", "map", "separator", "formats", "when", "on_error",
    "max_population_share",
)  # fmt: skip
#: The keys of a field's ``when = {column = ..., in = [...]}`` condition.
WHEN_KEYS = ("column", "in")

#: Flag cells that set a flag, and cells that leave it unset, by default (compared stripped and
#: case-folded). A blank cell never sets a flag; any other text rejects its row.
FLAG_TRUE = ("1", "1.0", "true", "yes", "y", "t", "x")
FLAG_FALSE = ("0", "0.0", "false", "no", "n", "f")
DOCS = "intel/specs/README.md"
#: Field kinds that hold a count of people, checked against the population of the row's country.
COUNT_KINDS = ("count", "figure")


@dataclass(frozen=True)
class FieldSpec:
    """How one report field is read from a file."""

    name: str
    column: str | None = None
    columns: tuple[str, ...] = ()  # joined with `join` (e.g. several text columns -> summary)
    join: str = ": "
    default: Any = None
    required: bool = False
    map: dict[str, str] = field(default_factory=dict)
    separator: str | None = None
    formats: tuple[str, ...] = ()
    when_column: str | None = None
    when_in: tuple[str, ...] = ()
    on_error: str = "reject"  # reject the row, keep the raw text in extra, or leave the field blank
    # a count larger than this share of the population of the row's country rejects the row
    max_population_share: float = 1.0

    @property
    def kind(self) -> str:
        return FIELD_KINDS[self.name]

    @property
    def source_columns(self) -> tuple[str, ...]:
        cols = self.columns or ((self.column,) if self.column else ())
        return cols + ((self.when_column,) if self.when_column else ())


@dataclass(frozen=True)
class Spec:
    """A whole import specification (see the built-in ``reports.toml`` for every key)."""

    name: str
    description: str = ""
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    source_kind: str | None = None
    source_name: str | None = None
    require_location: bool = True
    is_aggregate: bool = False
    dedup: bool = True
    date_precision: str = "day"
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    flags: dict[str, dict[str, str]] = field(default_factory=dict)  # facet -> {column: code}
    flag_true: tuple[str, ...] = FLAG_TRUE
    flag_false: tuple[str, ...] = FLAG_FALSE
    extra: dict[str, str] = field(default_factory=dict)  # extra key -> column
    constants: dict[str, Any] = field(default_factory=dict)  # field -> constant value
    path: str | None = None

    def columns_used(self) -> set[str]:
        cols: set[str] = set()
        for f in self.fields.values():
            cols.update(f.source_columns)
        for mapping in self.flags.values():
            cols.update(mapping)
        cols.update(self.extra.values())
        return cols

    def required_columns(self) -> set[str]:
        return {c for f in self.fields.values() if f.required for c in f.source_columns}


def _bad(spec: str, key: str, value: Any, fix: str) -> CounterflowError:
    return CounterflowError(f"import spec {spec!r}: {key} was {value!r}", fix)


def _table(spec: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(spec, key, value, f"write it as a table: [{key}] with one `name = value` per line")
    return value


def _strings(spec: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(spec, key, value, 'give a list of strings, e.g. ["%Y-%m-%d", "%d/%m/%Y"]')
    return tuple(value)


def _text(spec: str, key: str, value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _bad(spec, key, value, "give a text value in quotes")
    return str(value)


def _unknown(spec: str, where: str, key: Any, known: tuple[str, ...]) -> CounterflowError:
    return CounterflowError(
        f"import spec {spec!r}: {where} has an unknown key {key!r}",
        f"use one of {', '.join(known)} (each is described in {DOCS})",
    )


def _yes_no(spec: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(spec, key, value, f"write {key} = true or {key} = false (no quotes)")
    return value


def _spellings(spec: str, key: str, value: Any) -> tuple[str, ...]:
    """Flag spellings as compared: stripped, case-folded, each once."""
    return tuple(dict.fromkeys(v.strip().casefold() for v in _strings(spec, key, value)))


def _codes_of(spec: str, key: str, facet: str, value: str) -> str:
    """``value`` (codes or labels, ``|``-separated) as taxonomy codes of ``facet``."""
    found: list[str] = []
    for part in value.split("|"):
        if part.strip():
            try:
                code = taxonomy.normalise_code(facet, part)
            except CounterflowError as exc:
                raise _bad(spec, key, part, exc.fix) from None
            if code not in found:
                found.append(code)
    return "|".join(found)


def _parse_field(spec_name: str, fname: Any, raw: Any) -> FieldSpec:
    if fname not in FIELD_KINDS:
        raise _bad(spec_name, "field", fname, f"map columns to one of {', '.join(FIELD_KINDS)}")
    if isinstance(raw, str):
        raw = {"column": raw}
    at = f"fields.{fname}"
    if not isinstance(raw, dict):
        raise _bad(spec_name, at, raw, "give a column name or a table with column = ...")
    for key in raw:
        if key not in FIELD_KEYS:
            raise _unknown(spec_name, f"[{at}]", key, FIELD_KEYS)
    when = raw.get("when", {})
    if when:
        if not isinstance(when, dict):
            raise _bad(spec_name, f"{at}.when", when, 'write when = {column = "Dimension", in = ["..."]}')
        for key in when:
            if key not in WHEN_KEYS:
                raise _unknown(spec_name, f"{at}.when", key, WHEN_KEYS)
        if not isinstance(when.get("column"), str) or "in" not in when:
            raise _bad(spec_name, f"{at}.when", when, 'write when = {column = "Dimension", in = ["..."]}')
    on_error = _text(spec_name, f"{at}.on_error", raw.get("on_error", "reject"))
    if on_error not in ON_ERROR:
        raise _bad(spec_name, f"{at}.on_error", on_error, f"use one of {', '.join(ON_ERROR)}")
    column = raw.get("column")
    if column is not None:
        column = _text(spec_name, f"{at}.column", column)
    separator = raw.get("separator")
    if separator is not None:
        separator = _text(spec_name, f"{at}.separator", separator)
        if not separator:
            raise _bad(spec_name, f"{at}.separator", separator, "give a separator such as '|' or ';'")
    default = raw.get("default")
    if default is not None and (not isinstance(default, str | int | float) or isinstance(default, bool)):
        raise _bad(spec_name, f"{at}.default", default, "give a text or number default")
    required = _yes_no(spec_name, f"{at}.required", raw.get("required", False))
    mapping = _table(spec_name, f"{at}.map", raw.get("map", {}))
    share = raw.get("max_population_share", 1.0)
    if "max_population_share" in raw:
        if FIELD_KINDS[fname] not in COUNT_KINDS:
            raise _bad(
                spec_name, f"{at}.max_population_share", share,
                "only a count has a population share: use it on victim_count or figure",
            )  # fmt: skip
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
            raise _bad(
                spec_name, f"{at}.max_population_share", share,
                "give a share of the population above 0 and at most 1, e.g. 0.01 for one person in a hundred",
            )  # fmt: skip
    fs = FieldSpec(
        name=fname,
        column=column,
        columns=_strings(spec_name, f"{at}.columns", raw.get("columns", [])),
        join=_text(spec_name, f"{at}.join", raw.get("join", ": ")),
        default=default,
        required=required,
        map={str(k): _text(spec_name, f"{at}.map.{k}", v) for k, v in mapping.items()},
        separator=separator,
        formats=_strings(spec_name, f"{at}.formats", raw.get("formats", [])),
        when_column=when.get("column") if when else None,
        when_in=_strings(spec_name, f"{at}.when.in", when.get("in", [])) if when else (),
        on_error=on_error,
        max_population_share=float(share),
    )
    if not fs.source_columns and fs.default is None:
        raise _bad(spec_name, at, raw, 'give column = "..." or a default')
    return fs


def _parse_flags(spec_name: str, data: dict[str, Any]) -> dict[str, dict[str, str]]:
    flags: dict[str, dict[str, str]] = {}
    for facet, mapping in _table(spec_name, "flags", data.get("flags", {})).items():
        _table(spec_name, f"flags.{facet}", mapping)
        if facet not in FLAG_FACETS:
            raise _bad(
                spec_name,
                "flags",
                facet,
                "use flags.exploitation, flags.control, flags.recruitment or flags.transport",
            )
        flags[facet] = {}
        for column, code in mapping.items():
            if not isinstance(code, str) or code not in taxonomy.codes(facet):
                raise _bad(
                    spec_name,
                    f"flags.{facet}.{column}",
                    code,
                    f"use one of {', '.join(taxonomy.codes(facet))}",
                )
            flags[facet][str(column)] = code
    return flags


def _flag_spellings(spec_name: str, data: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(flag_true, flag_false): the spec's own, or the defaults; never a value in both."""
    true = _spellings(spec_name, "flag_true", data.get("flag_true", list(FLAG_TRUE)))
    if not true or "" in true:
        raise _bad(
            spec_name, "flag_true", data.get("flag_true"),
            'list the cells that set a flag, e.g. ["1", "yes"]; a blank cell never sets one',
        )  # fmt: skip
    if "flag_false" in data:
        false = _spellings(spec_name, "flag_false", data["flag_false"])
        both = [v for v in false if v in true]
        if both:
            raise _bad(
                spec_name, "flag_false", both[0],
                "a cell cannot both set and leave unset a flag: keep it in flag_true or in flag_false",
            )  # fmt: skip
    else:
        false = tuple(v for v in FLAG_FALSE if v not in true)
    return true, tuple(v for v in false if v)  # a blank cell: always unset


def _parse_constants(spec_name: str, data: dict[str, Any]) -> dict[str, Any]:
    constants: dict[str, Any] = {}
    for key, value in _table(spec_name, "constants", data.get("constants", {})).items():
        if key not in FIELD_KINDS:
            raise _bad(spec_name, "constants", key, f"use report fields: {', '.join(FIELD_KINDS)}")
        if not isinstance(value, str | int | float | bool):
            raise _bad(spec_name, f"constants.{key}", value, "give a text, number or true/false value")
        if FIELD_KINDS[key] == "codes":
            value = _codes_of(spec_name, f"constants.{key}", key, _text(spec_name, f"constants.{key}", value))
        elif FIELD_KINDS[key] == "measure":
            try:
                value = aggregate_measure(_text(spec_name, f"constants.{key}", value))
            except CounterflowError as exc:
                raise _bad(spec_name, f"constants.{key}", value, exc.fix) from None
        elif FIELD_KINDS[key] == "figure":
            raise _bad(
                spec_name,
                f"constants.{key}",
                value,
                "give the figure as a field: [fields.figure] default = 1",
            )
        constants[key] = value
    return constants


def _check_measures(
    spec_name: str, is_aggregate: bool, fields: dict[str, FieldSpec], constants: dict[str, Any]
) -> None:
    """An aggregate carries a figure and says what it counts; an individual report does neither."""
    if is_aggregate:
        if "measure" not in fields and "measure" not in constants:
            raise _bad(
                spec_name, "is_aggregate", True,
                "say what each figure counts: [fields.measure] (a column, with a map) or "
                f'[constants] measure = "..." (one of {", ".join(AGGREGATE_MEASURES)})',
            )  # fmt: skip
        if "figure" not in fields:
            raise _bad(
                spec_name, "is_aggregate", True,
                'give each row its figure: [fields.figure] column = "..." (or default = 1 for a mention)',
            )  # fmt: skip
        if "victim_count" in fields or "victim_count" in constants:
            raise _bad(
                spec_name, "fields.victim_count", "victim_count",
                "an aggregate's count is its figure: map the column to figure and say what it counts with measure",
            )  # fmt: skip
    else:
        for name in ("measure", "figure"):
            if name in fields or name in constants:
                raise _bad(
                    spec_name, name, name,
                    "only aggregates carry a measure and a figure: set is_aggregate = true, or map an "
                    "individual report's count to victim_count",
                )  # fmt: skip


def parse_spec(data: dict[str, Any], *, name: str, path: str | None = None) -> Spec:
    """Validate a spec's TOML table; every mistake names the key, the value and the fix."""
    for key in data:
        if key not in SPEC_KEYS:
            raise _unknown(name, "the spec", key, SPEC_KEYS)
    spec_name = _text(name, "name", data.get("name", name))
    fmt = _text(spec_name, "format", data.get("format", "csv")).lower()
    if fmt not in FORMATS:
        raise _bad(spec_name, "format", fmt, f"use one of {', '.join(FORMATS)}")
    delimiter = _text(spec_name, "delimiter", data.get("delimiter", ","))
    if len(delimiter) != 1:
        raise _bad(spec_name, "delimiter", delimiter, "use a single character such as ',' or ';'")
    encoding = _text(spec_name, "encoding", data.get("encoding", "utf-8-sig"))
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _bad(spec_name, "encoding", encoding, "use utf-8, utf-8-sig, latin-1 or cp1252") from None
    fields = {
        str(fname): _parse_field(spec_name, fname, raw)
        for fname, raw in _table(spec_name, "fields", data.get("fields", {})).items()
    }
    flags = _parse_flags(spec_name, data)
    flag_true, flag_false = _flag_spellings(spec_name, data)
    constants = _parse_constants(spec_name, data)
    is_aggregate = _yes_no(spec_name, "is_aggregate", data.get("is_aggregate", False))
    _check_measures(spec_name, is_aggregate, fields, constants)
    precision = _text(spec_name, "date_precision", data.get("date_precision", "day"))
    if precision not in ("day", "month", "year"):
        raise _bad(spec_name, "date_precision", precision, "use day, month or year")
    return Spec(
        name=spec_name,
        description=_text(spec_name, "description", data.get("description", "")),
        format=fmt,
        delimiter=delimiter,
        encoding=encoding,
        source_kind=_text(spec_name, "source_kind", data["source_kind"]) if "source_kind" in data else None,
        source_name=_text(spec_name, "source_name", data["source_name"]) if "source_name" in data else None,
        require_location=_yes_no(spec_name, "require_location", data.get("require_location", True)),
        is_aggregate=is_aggregate,
        dedup=_yes_no(spec_name, "dedup", data.get("dedup", True)),
        date_precision=precision,
        fields=fields,
        flags=flags,
        flag_true=flag_true,
        flag_false=flag_false,
        extra={
            str(k): _text(spec_name, f"extra.{k}", v)
            for k, v in _table(spec_name, "extra", data.get("extra", {})).items()
        },
        constants=constants,
        path=path,
    )


def _builtin_dir() -> Any:
    return files("intel.specs")


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in _builtin_dir().iterdir() if p.name.endswith(".toml"))


def _user_dir(home: Path | None) -> Path | None:
    return (home / "specs") if home is not None else None


def _read_toml(text: str, *, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CounterflowError(
            f"import spec {where} is not valid TOML: {exc}", "fix the TOML syntax at that line"
        ) from None


def load_spec(name: str, *, home: Path | None = None) -> Spec:
    """A spec by built-in name, by name in ``<home>/specs/``, or by path to a ``.toml`` file."""
    as_path = Path(name)
    if name.endswith(".toml") and as_path.is_file():
        return parse_spec(
            _read_toml(as_path.read_text("utf-8"), where=name), name=as_path.stem, path=str(as_path)
        )
    user = _user_dir(home)
    if user is not None and (user / f"{name}.toml").is_file():
        p = user / f"{name}.toml"
        return parse_spec(_read_toml(p.read_text("utf-8"), where=str(p)), name=name, path=str(p))
    res = _builtin_dir().joinpath(f"{name}.toml")
    if res.is_file():
        return parse_spec(_read_toml(res.read_text("utf-8"), where=name), name=name, path=f"built-in:{name}")
    raise NotFound(
        f"import spec {name!r} does not exist",
        f"use one of {', '.join(list_spec_names(home=home))}, or a path to a .toml file",
        hint=CommandHint("specs"),
    )


def list_spec_names(*, home: Path | None = None) -> list[str]:
    names = set(builtin_names())
    user = _user_dir(home)
    if user is not None and user.is_dir():
        names.update(p.stem for p in user.glob("*.toml"))
    return sorted(names)


def list_specs(*, home: Path | None = None) -> list[Spec]:
    """Every spec available: built-ins and the analyst's own."""
    return [load_spec(n, home=home) for n in list_spec_names(home=home)]
