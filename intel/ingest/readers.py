"""Read CSV, XLSX, JSON and JSONL files as batches of text cells with their line numbers.

Every cell comes out as ``str`` (blank = ``""``) so that the spec decides what a value means;
a record whose field count does not match the header is not dropped: it comes out as a
reject with its line and raw text.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from intel.errors import CounterflowError

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

#: The widest file an import reads: more columns than any source we know by far (the widest,
#: CTDC, has about 60), few enough that a row of them stays small in memory.
MAX_COLUMNS = 1000
#: The longest header line (1 MiB): a thousand column names of a thousand characters each.
MAX_HEADER_BYTES = 2**20
#: The largest JSON document (not JSON Lines) an import reads, as it is read whole.
MAX_JSON_BYTES = 256 * 2**20
#: How deep a JSON record may nest (a report is flat; a field may hold a small object).
MAX_JSON_DEPTH = 32
#: The raw text kept with a rejected row.
MAX_RAW = 2000

NUL_REASON = (
    "the row holds a NUL byte (\\x00), which is no text; remove it (it often comes from a file "
    "saved as UTF-16 or from a damaged export)"
)


def _too_wide(file_name: str, width: int) -> CounterflowError:
    return CounterflowError(
        f"{file_name} has {width:,} columns; an import reads at most {MAX_COLUMNS:,}",
        "keep the columns the import needs (date, place, ...) and save the file again",
    )


def check_width(file_name: str, header: list[str]) -> None:
    """Refuse a header wider than ``MAX_COLUMNS`` before any row is read."""
    if len(header) > MAX_COLUMNS:
        raise _too_wide(file_name, len(header))


def _first_line(fb: Any, file_name: str) -> bytes:
    """The header line, refused when it is longer than ``MAX_HEADER_BYTES`` (read no further)."""
    first = fb.readline(MAX_HEADER_BYTES + 1)
    if len(first) > MAX_HEADER_BYTES and not first.endswith(b"\n"):
        raise CounterflowError(
            f"{file_name} has a header line longer than {MAX_HEADER_BYTES // 2**20} MiB",
            "check that this is a table with a header row of column names",
        )
    return bytes(first)


@dataclass
class RawBatch:
    """A batch of records: text cells, their first line in the file, and unreadable records."""

    frame: pd.DataFrame
    lines: list[int]
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw)
    consumed: int = 0  # characters (or records) consumed, for the progress bar
    #: no cell begins or ends with white space (known from the raw bytes): nothing to strip
    clean: bool = False


def detect_format(path: Path, default: str) -> str:
    suffix = path.suffix.lower()
    return {".xlsx": "xlsx", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix, default)


def _frame(header: list[str], rows: list[list[str]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    cols = list(zip(*rows, strict=True))
    return pd.DataFrame({h: pd.Series(c, dtype=object) for h, c in zip(header, cols, strict=True)})


def _dedupe_header(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in header:
        name = h.strip()
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


#: Delimiters a CSV may arrive with, whatever its spec says (the same data saved by another tool).
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def shown_delimiter(delimiter: str) -> str:
    """A delimiter as a person reads it: ``';' (semicolon)``."""
    name = _DELIMITER_NAMES.get(delimiter)
    return f"{delimiter!r} ({name})" if name else repr(delimiter)


def header_cells(path: Path, *, encoding: str, delimiters: tuple[str, ...]) -> dict[str, list[str]]:
    """The first line of a delimited file as each of ``delimiters`` splits it into header cells
    (stripped, as the readers name the columns). An empty file gives no cells."""
    with open(path, "rb") as fb:
        first = _first_line(fb, path.name)
    text = first.decode(_encoding_name(encoding), errors="replace").rstrip("\r\n")
    out: dict[str, list[str]] = {}
    for d in delimiters:
        try:
            cells = next(csv.reader([text], delimiter=d), [])
        except csv.Error:
            cells = []
        out[d] = _dedupe_header(cells) if text.strip() else []
    return out


def raw_line(cells: list[str], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(cells)
    return buf.getvalue()


def _position(fh: Any) -> int:
    """Bytes read so far from the file under a text stream (tell() is off while iterating)."""
    return int(fh.buffer.tell())


#: Encodings in which every ASCII character is one byte of the same value (so a line break,
#: a quote and an ASCII delimiter can be counted in the raw bytes).
_ASCII_SAFE = {"utf-8", "utf-8-sig", "ascii", "latin-1", "iso8859-1", "iso8859-15", "cp1252"}


def _encoding_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise CounterflowError(
            f"encoding {encoding!r} is not known", "use utf-8, latin-1 or cp1252 in the spec"
        ) from None


def _columnar(block: bytes, *, header: list[str], delimiter: str, encoding: str) -> pd.DataFrame | None:
    """The rows of ``block`` (whole lines) by pandas' C parser, or None when a row may read
    differently from ``csv.reader`` (a quoted line break, a blank line, a lone CR, a NUL, a row
    whose field count is not the header's, a byte the encoding cannot read)."""
    if not block or b"\x00" in block or block.count(b"\r") != block.count(b"\r\n"):
        return None
    lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    width = len(header)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            f = pd.read_csv(
                io.BytesIO(block), sep=delimiter, header=None, names=list(range(width)), index_col=False,
                dtype=object, na_filter=False, skip_blank_lines=True, engine="c", encoding=encoding,
                quotechar='"', doublequote=True, escapechar=None, comment=None, skipinitialspace=False,
            )  # fmt: skip
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.ParserWarning):
        return None
    if len(f) != lines or f.shape[1] != width:
        return None  # a blank line skipped or a record over several lines: line numbers would slip
    # every line holds width - 1 separators plus the delimiters inside its (quoted) cells
    buf = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if len(ends) < lines:
        ends = np.append(ends, len(buf))
    at = np.cumsum(buf == ord(delimiter))
    per_line = np.diff(np.concatenate(([0], at[ends - 1])))
    inner = np.zeros(lines, dtype=np.int64)
    if b'"' in block:
        for c in range(width):
            inner += f[c].str.count(re.escape(delimiter)).to_numpy(dtype=np.int64)
    if not np.array_equal(per_line, inner + (width - 1)):
        return None
    return pd.DataFrame(
        {h: pd.Series(f[i].to_numpy(dtype=object), dtype=object) for i, h in enumerate(header)}
    )


#: Bytes of white space other than the ASCII space that ``str.strip`` removes, in UTF-8 and in
#: the one-byte encodings (0x85 and 0xA0 are also UTF-8 continuation bytes: a block with accents
#: is stripped cell by cell, which is only slower).
_OTHER_SPACE = re.compile(
    rb"[\t\x0b\x0c\x1c-\x1f\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80"
)


def has_edge_space(block: bytes, delimiter: str) -> bool:
    """Whether a cell of ``block`` (whole lines) may begin or end with white space: a space next
    to a delimiter, a quote or a line end, or any other white-space byte anywhere."""
    d = re.escape(delimiter.encode("ascii"))
    edge = re.compile(rb'(?:\A|[\n"' + d + rb"]) | (?:\Z|[\r\n\"" + d + rb"])")
    return bool(edge.search(block) or _OTHER_SPACE.search(block))


def read_csv_batches(path: Path, *, delimiter: str, encoding: str, batch_size: int) -> Iterator[RawBatch]:
    """Batches of a delimited file, read as ``csv.reader`` reads it.

    Lines are parsed ``batch_size`` at a time by pandas' C parser while every record is one
    physical line with the header's field count (line numbers are then the header's line + 1 +
    the row's index); from the first batch where that does not hold, ``csv.reader`` reads the
    rest of the file (quoted line breaks, blank lines, rows with the wrong field count).
    """
    name = _encoding_name(encoding)
    if name in _ASCII_SAFE and len(delimiter) == 1 and delimiter.isascii() and delimiter not in '\r\n"':
        with open(path, "rb") as fb:
            first = _first_line(fb, path.name)
            if first.count(b'"') % 2 == 0 and first.strip():
                try:
                    cells = next(csv.reader([first.decode(encoding).rstrip("\r\n")], delimiter=delimiter))
                except (UnicodeDecodeError, csv.Error, StopIteration):
                    cells = []
                header = _dedupe_header(cells)
                check_width(path.name, header)
                if len(header) > 1:
                    line = 2
                    while True:
                        offset = fb.tell()
                        block_lines = list(itertools.islice(fb, batch_size))
                        if not block_lines:
                            yield RawBatch(_frame(header, []), [], [], fb.tell())
                            return
                        block = b"".join(block_lines)
                        frame = _columnar(block, header=header, delimiter=delimiter, encoding=encoding)
                        if frame is None:
                            break
                        clean = not has_edge_space(block, delimiter)
                        yield RawBatch(frame, list(range(line, line + len(frame))), [], fb.tell(), clean)
                        line += len(frame)
                    yield from _csv_reader_batches(
                        path, delimiter=delimiter, encoding=encoding, batch_size=batch_size,
                        resume=(offset, line, header),
                    )  # fmt: skip
                    return
    yield from _csv_reader_batches(path, delimiter=delimiter, encoding=encoding, batch_size=batch_size)


def _csv_reader_batches(
    path: Path,
    *,
    delimiter: str,
    encoding: str,
    batch_size: int,
    resume: tuple[int, int, list[str]] | None = None,
) -> Iterator[RawBatch]:
    """``csv.reader`` batches; ``resume`` = (byte offset of a line, its line number, the header)."""
    try:
        fh = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed in finally
    except LookupError:
        raise CounterflowError(
            f"encoding {encoding!r} is not known", "use utf-8, latin-1 or cp1252 in the spec"
        ) from None
    try:
        # Python 3.11's csv reads NUL bytes as text; the buffer position drives the progress bar
        reader = csv.reader(fh, delimiter=delimiter)
        if resume is not None:
            offset, first_line, header = resume
            fh.seek(offset)
            reader = csv.reader(fh, delimiter=delimiter)
            base = first_line - 1
        else:
            if len(_first_line(fh.buffer, path.name)) == 0:
                raise CounterflowError(f"{path.name} is empty", "give a file with a header row and data rows")
            fh.seek(0)
            try:
                header = _dedupe_header(next(reader))
            except StopIteration:
                raise CounterflowError(
                    f"{path.name} is empty", "give a file with a header row and data rows"
                ) from None
            check_width(path.name, header)
            base = 0
        width = len(header)
        rows: list[list[str]] = []
        starts: list[int] = []
        bad: list[tuple[int, str, str]] = []
        prev_end = base + reader.line_num
        for row in reader:
            start = prev_end + 1
            prev_end = base + reader.line_num
            if len(row) == width:
                # the C parser's batches hold no NUL (it leaves such a block to this reader)
                if any("\x00" in c for c in row):
                    bad.append(
                        (start, NUL_REASON, raw_line(row, delimiter).replace("\x00", "\\x00")[:MAX_RAW])
                    )
                    continue
                rows.append(row)
                starts.append(start)
            elif not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            else:
                bad.append(
                    (start, f"the row has {len(row)} fields but the header has {width}; check the "
                     f"delimiter {delimiter!r} and the quoting of cells that contain it",
                     raw_line(row[: MAX_COLUMNS + 1], delimiter).replace("\x00", "\\x00")[:MAX_RAW])
                )  # fmt: skip
            if len(rows) >= batch_size:
                yield RawBatch(_frame(header, rows), starts, bad, _position(fh))
                rows, starts, bad = [], [], []
        yield RawBatch(_frame(header, rows), starts, bad, _position(fh))
    except UnicodeDecodeError as exc:
        raise CounterflowError(
            f"{path.name} is not valid {encoding}: byte {exc.object[exc.start : exc.start + 1]!r} at position {exc.start}",
            'save the file as UTF-8, or set encoding = "latin-1" (or cp1252) in the import spec',
        ) from None
    except csv.Error as exc:
        raise CounterflowError(
            f"{path.name} is not a readable CSV: {exc}", "check the quoting of the file"
        ) from None
    finally:
        fh.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _records_batches(records: Iterator[tuple[int, Any]], *, name: str, batch_size: int) -> Iterator[RawBatch]:
    header: list[str] = []
    rows: list[dict[str, str]] = []
    starts: list[int] = []
    bad: list[tuple[int, str, str]] = []
    n = 0

    def flush() -> RawBatch:
        cols = {h: [r.get(h, "") for r in rows] for h in header}
        frame = pd.DataFrame({h: pd.Series(v, dtype=object) for h, v in cols.items()})
        return RawBatch(frame, list(starts), list(bad), n)

    for line, rec in records:
        n += 1
        if not isinstance(rec, dict):
            reason = getattr(rec, "reason", "the record is not an object with field names")
            bad.append((line, reason, _text(rec)[:MAX_RAW]))
            continue
        if len(rec) > MAX_COLUMNS:
            bad.append(
                (line, f"the record has {len(rec):,} fields; an import reads at most {MAX_COLUMNS:,}", "")
            )
            continue
        if _depth(rec) > MAX_JSON_DEPTH:
            bad.append((line, f"the record nests deeper than {MAX_JSON_DEPTH} levels; a report is a flat "
                        "object of fields", ""))  # fmt: skip
            continue
        cells = {str(k).strip(): _text(v) for k, v in rec.items()}
        if any("\x00" in k or "\x00" in v for k, v in cells.items()):
            bad.append((line, NUL_REASON, json.dumps(cells, ensure_ascii=True)[:MAX_RAW]))
            continue
        new = [k for k in cells if k not in header]
        if len(header) + len(new) > MAX_COLUMNS:
            bad.append((line, f"the record brings the file's fields to more than {MAX_COLUMNS:,}, the most "
                        "an import reads; keep the fields the import needs", ""))  # fmt: skip
            continue
        header.extend(new)
        rows.append(cells)
        starts.append(line)
        if len(rows) >= batch_size:
            yield flush()
            rows, starts, bad = [], [], []
    yield flush()


def _depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep ``value`` nests, counted up to ``limit + 1`` (no deeper: it may be very deep)."""
    depth, level = 0, [value]
    while level and depth <= limit:
        depth += 1
        nxt: list[Any] = []
        for v in level:
            if isinstance(v, dict):
                nxt.extend(x for x in v.values() if isinstance(x, dict | list))
            elif isinstance(v, list):
                nxt.extend(x for x in v if isinstance(x, dict | list))
        level = nxt
    return depth if not level else depth + 1


def _not_text(path: Path, encoding: str, exc: UnicodeDecodeError) -> CounterflowError:
    return CounterflowError(
        f"{path.name} is not valid {encoding} text: byte {exc.object[exc.start : exc.start + 1]!r} at "
        f"position {exc.start}",
        "give a JSON file saved as UTF-8 text (random bytes or a binary file cannot be imported)",
    )


def read_jsonl_batches(path: Path, *, encoding: str, batch_size: int) -> Iterator[RawBatch]:
    def records() -> Iterator[tuple[int, Any]]:
        with open(path, "rb") as fb:
            for i, blob in enumerate(fb, start=1):
                try:
                    line = blob.decode(encoding)
                except UnicodeDecodeError:
                    yield (
                        i,
                        _BadJson(
                            f"line {i} is not {encoding} text", blob[:MAX_RAW].decode(encoding, "replace")
                        ),
                    )
                    continue
                if not line.strip():
                    continue
                try:
                    yield i, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield i, _BadJson(f"line {i} is not JSON: {exc.msg}", line.rstrip("\n")[:MAX_RAW])
                except RecursionError:
                    yield (
                        i,
                        _BadJson(
                            f"line {i} nests deeper than {MAX_JSON_DEPTH} levels; a report is a flat object of fields",
                            line[:MAX_RAW],
                        ),
                    )

    yield from _records_batches(records(), name=path.name, batch_size=batch_size)


class _BadJson(str):
    def __new__(cls, reason: str, raw: str) -> _BadJson:
        obj = super().__new__(cls, raw)
        obj.reason = reason  # type: ignore[attr-defined]
        return obj


def read_json_batches(path: Path, *, encoding: str, batch_size: int) -> Iterator[RawBatch]:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise CounterflowError(
            f"{path.name} is a JSON document of {size / 2**20:,.0f} MiB; one document is read whole, "
            f"and an import reads at most {MAX_JSON_BYTES // 2**20} MiB of it",
            "save it as JSON Lines (one record per line, .jsonl), which is read a batch at a time",
        )
    try:
        data = json.loads(path.read_text(encoding=encoding))
    except UnicodeDecodeError as exc:
        raise _not_text(path, encoding, exc) from None
    except json.JSONDecodeError as exc:
        raise CounterflowError(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}",
            "fix the JSON, or save it as JSON Lines",
        ) from None
    except RecursionError:
        raise CounterflowError(
            f"{path.name} nests deeper than JSON records can: a report is a flat object of fields",
            "give a list of flat objects, one per report",
        ) from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise CounterflowError(
                f"{path.name} holds an object without one list of records",
                'give a list of objects, or {"reports": [...]}',
            )
        data = lists[0]
    if not isinstance(data, list):
        raise CounterflowError(f"{path.name} does not hold a list of records", "give a JSON list of objects")
    # JSON has no line per record: the record number stands for the line
    yield from _records_batches(iter(enumerate(data, start=1)), name=path.name, batch_size=batch_size)


def read_xlsx_batches(path: Path, *, batch_size: int) -> Iterator[RawBatch]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise CounterflowError(
            f"{path.name} is not a readable .xlsx workbook: {exc}", "save it again as .xlsx"
        ) from None
    try:
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        try:
            header = _dedupe_header([_text(v) for v in next(it)])
        except StopIteration:
            raise CounterflowError(
                f"{path.name} has an empty first sheet", "put the reports on the first sheet"
            ) from None
        check_width(path.name, header)
        width = len(header)
        rows: list[list[str]] = []
        starts: list[int] = []
        n = 0
        for i, values in enumerate(it, start=2):
            n += 1
            cells = [_text(v) for v in values][:width]
            if not any(c.strip() for c in cells):
                continue
            cells += [""] * (width - len(cells))
            rows.append(cells)
            starts.append(i)
            if len(rows) >= batch_size:
                yield RawBatch(_frame(header, rows), starts, [], n)
                rows, starts = [], []
        yield RawBatch(_frame(header, rows), starts, [], n)
    finally:
        wb.close()


def read_batches(
    path: Path, *, fmt: str, delimiter: str, encoding: str, batch_size: int
) -> Iterator[RawBatch]:
    readers: dict[str, Callable[[], Iterator[RawBatch]]] = {
        "csv": lambda: read_csv_batches(path, delimiter=delimiter, encoding=encoding, batch_size=batch_size),
        "jsonl": lambda: read_jsonl_batches(path, encoding=encoding, batch_size=batch_size),
        "json": lambda: read_json_batches(path, encoding=encoding, batch_size=batch_size),
        "xlsx": lambda: read_xlsx_batches(path, batch_size=batch_size),
    }
    return readers[fmt]()
