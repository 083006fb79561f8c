"""Which import spec fits a file: read its header, pick the spec whose columns it carries.

An article or a feed (a text suffix) is read by the ``reports`` spec's text path. A table (CSV,
XLSX, JSON, JSONL) fits a spec when it has every column the spec requires and at least one the
spec reads; of the specs that fit, the one that reads most of the file's columns wins, then the
one that reads the largest share of what it knows (a narrower spec fitting as well is the more
specific one). No spec fitting is an error that names the file's columns and the specs.
"""

from __future__ import annotations

from pathlib import Path

from intel.errors import CommandHint, CounterflowError
from intel.ingest.readers import DELIMITERS, detect_format, header_cells, read_batches
from intel.specs import Spec, list_specs

#: Suffixes read as an article or a feed (the ``reports`` spec's text path, ``flows.steps.ingest``).
TEXT_SUFFIXES = frozenset({".txt", ".html", ".htm", ".xml", ".rss", ".atom"})


def _headers(path: Path, spec: Spec) -> list[set[str]]:
    """The file's column names as ``spec`` would read them (one set per candidate delimiter)."""
    fmt = detect_format(path, spec.format)
    if fmt == "csv":
        splits = header_cells(path, encoding=spec.encoding, delimiters=(spec.delimiter, *DELIMITERS))
        return [set(cells) for cells in splits.values()]
    first = next(
        iter(read_batches(path, fmt=fmt, delimiter=",", encoding=spec.encoding, batch_size=50)), None
    )
    return [set(first.frame.columns)] if first is not None else []


def _score(spec: Spec, headers: list[set[str]]) -> tuple[int, float] | None:
    required, used = spec.required_columns(), spec.columns_used()
    best: tuple[int, float] | None = None
    for cols in headers:
        hits = used & cols
        if required <= cols and hits:
            score = (len(hits), len(hits) / len(used))
            best = score if best is None or score > best else best
    return best


def detect_spec(path: Path, *, home: Path | None = None) -> str:
    """The name of the import spec that fits the file at ``path`` (see the module's rule).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "cases.csv"
    ...     _ = p.write_text("date,place,country,summary\\n2024-01-02,Agadez,NE,two girls\\n")
    ...     detect_spec(p)
    'reports'
    """
    path = Path(path)
    if path.suffix.lower() in TEXT_SUFFIXES:
        return "reports"
    scored: list[tuple[tuple[int, float], str]] = []
    columns: set[str] = set()
    for spec in list_specs(home=home):
        headers = _headers(path, spec)
        columns |= max(headers, key=len, default=set())
        score = _score(spec, headers)
        if score is not None:
            scored.append((score, spec.name))
    if not scored:
        shown = ", ".join(repr(c[:40]) for c in sorted(columns)[:10]) or "none"
        raise CounterflowError(
            f"no import spec fits {path.name} (its columns: {shown})",
            "choose the spec that fits it, or write one for these columns (see the list of specs)",
            hint=CommandHint("specs"),
        )
    return max(scored)[1]
