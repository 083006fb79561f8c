"""Import specifications: a saved mapping (TOML) from a file's columns to report fields.

A spec says how to read a file (format, delimiter, encoding), which column feeds which
``Report`` field (with value maps, defaults, separators, date formats and conditions), which
0/1 flag columns add taxonomy codes, and which columns are kept in ``Report.extra``.
Built-in specs live next to this module; an analyst's own specs are TOML files in
``<COUNTERFLOW_HOME>/specs/`` or any path given to ``--spec``.

>>> load_spec("reports").fields["observed_on"].column
'date'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from intel.errors import CommandHint, CounterflowError, NotFound

#: Report fields a spec may fill, and how their text is converted.
FIELD_KINDS: dict[str, str] = {
    "observed_on": "date",
    "place": "text",
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
}
FORMATS = ("csv", "xlsx", "json", "jsonl")
ON_ERROR = ("reject", "keep", "blank")


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
    flag_true: tuple[str, ...] = ("1", "true", "yes", "y", "x")
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


def parse_spec(data: dict[str, Any], *, name: str, path: str | None = None) -> Spec:
    """Validate a spec's TOML table; every mistake names the key, the value and the fix."""
    known = {
        "name", "description", "format", "delimiter", "encoding", "source_kind", "source_name",
        "require_location", "is_aggregate", "dedup", "date_precision", "fields", "flags", "flag_true",
        "extra", "constants",
    }  # fmt: skip
    for key in data:
        if key not in known:
            raise _bad(name, "key", key, f"use only {', '.join(sorted(known))}")
    spec_name = _text(name, "name", data.get("name", name))
    fmt = _text(spec_name, "format", data.get("format", "csv")).lower()
    if fmt not in FORMATS:
        raise _bad(spec_name, "format", fmt, f"use one of {', '.join(FORMATS)}")
    delimiter = _text(spec_name, "delimiter", data.get("delimiter", ","))
    if len(delimiter) != 1:
        raise _bad(spec_name, "delimiter", delimiter, "use a single character such as ',' or ';'")
    fields: dict[str, FieldSpec] = {}
    raw_fields = _table(spec_name, "fields", data.get("fields", {}))
    for fname, raw in raw_fields.items():
        if fname not in FIELD_KINDS:
            raise _bad(spec_name, "field", fname, f"map columns to one of {', '.join(FIELD_KINDS)}")
        if isinstance(raw, str):
            raw = {"column": raw}
        if not isinstance(raw, dict):
            raise _bad(spec_name, f"fields.{fname}", raw, "give a column name or a table with column = ...")
        fkeys = {
            "column",
            "columns",
            "join",
            "default",
            "required",
            "map",
            "separator",
            "formats",
            "when",
            "on_error",
        }
        for key in raw:
            if key not in fkeys:
                raise _bad(
                    spec_name, f"fields.{fname}.{key}", raw[key], f"use only {', '.join(sorted(fkeys))}"
                )
        at = f"fields.{fname}"
        when = raw.get("when", {})
        if when and not (isinstance(when, dict) and isinstance(when.get("column"), str) and "in" in when):
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
        if not isinstance(raw.get("required", False), bool):
            raise _bad(spec_name, f"{at}.required", raw["required"], "write required = true or false")
        mapping = _table(spec_name, f"{at}.map", raw.get("map", {}))
        fields[fname] = FieldSpec(
            name=fname,
            column=column,
            columns=_strings(spec_name, f"{at}.columns", raw.get("columns", [])),
            join=_text(spec_name, f"{at}.join", raw.get("join", ": ")),
            default=default,
            required=bool(raw.get("required", False)),
            map={str(k): _text(spec_name, f"{at}.map.{k}", v) for k, v in mapping.items()},
            separator=separator,
            formats=_strings(spec_name, f"{at}.formats", raw.get("formats", [])),
            when_column=when.get("column") if when else None,
            when_in=_strings(spec_name, f"{at}.when.in", when.get("in", [])) if when else (),
            on_error=on_error,
        )
        if not fields[fname].source_columns and fields[fname].default is None:
            raise _bad(spec_name, f"fields.{fname}", raw, 'give column = "..." or a default')
    flags = _table(spec_name, "flags", data.get("flags", {}))
    for facet, mapping in flags.items():
        _table(spec_name, f"flags.{facet}", mapping)
        if facet not in ("exploitation", "control", "recruitment", "transport"):
            raise _bad(
                spec_name,
                "flags",
                facet,
                "use flags.exploitation, flags.control, flags.recruitment or flags.transport",
            )
        from intel.taxonomy import codes

        for column, code in mapping.items():
            if code not in codes(facet):
                raise _bad(
                    spec_name, f"flags.{facet}.{column}", code, f"use one of {', '.join(codes(facet))}"
                )
    constants = dict(_table(spec_name, "constants", data.get("constants", {})))
    for key in constants:
        if key not in FIELD_KINDS:
            raise _bad(spec_name, "constants", key, f"use report fields: {', '.join(FIELD_KINDS)}")
    precision = _text(spec_name, "date_precision", data.get("date_precision", "day"))
    if precision not in ("day", "month", "year"):
        raise _bad(spec_name, "date_precision", precision, "use day, month or year")
    return Spec(
        name=spec_name,
        description=str(data.get("description", "")),
        format=fmt,
        delimiter=delimiter,
        encoding=str(data.get("encoding", "utf-8-sig")),
        source_kind=_text(spec_name, "source_kind", data["source_kind"]) if "source_kind" in data else None,
        source_name=_text(spec_name, "source_name", data["source_name"]) if "source_name" in data else None,
        require_location=bool(data.get("require_location", True)),
        is_aggregate=bool(data.get("is_aggregate", False)),
        dedup=bool(data.get("dedup", True)),
        date_precision=precision,
        fields=fields,
        flags={k: {str(c): str(v) for c, v in m.items()} for k, m in flags.items()},
        flag_true=tuple(
            v.lower()
            for v in _strings(spec_name, "flag_true", data.get("flag_true", ["1", "true", "yes", "y", "x"]))
        ),
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
