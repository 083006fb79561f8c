"""The columnar CSV reader reads every file as ``csv.reader`` does (cells, line numbers, rejects)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from intel.ingest import readers
from intel.ingest.readers import RawBatch, read_csv_batches

_piece = st.sampled_from(["a", "b", ",", ";", '"', '""', " ", "é", "1", "\t", "", "\n", "\r\n", "\r"])
_cell = st.lists(_piece, max_size=4).map("".join)


def _flat(
    batches: list[RawBatch],
) -> tuple[list[str], list[list[str]], list[int], list[tuple[int, str, str]]]:
    return (
        batches[0].frame.columns.tolist(),
        [r for b in batches for r in b.frame.to_numpy(dtype=object).tolist()],
        [n for b in batches for n in b.lines],
        [x for b in batches for x in b.bad],
    )


def _both(path: Path, batch_size: int, encoding: str = "utf-8") -> tuple[object, object]:
    fast = list(read_csv_batches(path, delimiter=",", encoding=encoding, batch_size=batch_size))
    plain = list(readers._csv_reader_batches(path, delimiter=",", encoding=encoding, batch_size=batch_size))
    return _flat(fast), _flat(plain)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    width=st.integers(2, 4),
    rows=st.lists(st.tuples(st.integers(-1, 1), st.lists(_cell, min_size=5, max_size=5)), max_size=8),
    junk=st.lists(
        st.tuples(st.integers(0, 8), st.sampled_from(["", "  ", "a", '"x', "a,b,c,d,e"])), max_size=2
    ),
    batch_size=st.integers(1, 4),
    crlf=st.booleans(),
)
def test_same_cells_lines_and_rejects_as_csv_reader(tmp_path, width, rows, junk, batch_size, crlf):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    w.writerow([f"h{i}" for i in range(width)])
    lines = []
    for extra, cells in rows:
        one = io.StringIO()
        csv.writer(one, lineterminator="\r\n" if crlf else "\n").writerow(cells[: max(1, width + extra)])
        lines.append(one.getvalue())
    for at, text in junk:
        lines.insert(min(at, len(lines)), text + "\n")
    path = tmp_path / "f.csv"
    path.write_bytes((buf.getvalue() + "".join(lines)).encode("utf-8"))
    fast, plain = _both(path, batch_size)
    assert fast == plain


def test_columnar_path_is_taken_for_one_line_records(tmp_path, monkeypatch):
    """Quoted delimiters and quotes on one line keep the fast path; its cells and lines are right."""
    calls: list[bool] = []
    columnar = readers._columnar

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = columnar(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(readers, "_columnar", spy)
    path = tmp_path / "f.csv"
    path.write_text('date,summary\n2023-01-05,"a, ""quoted"" b"\n2023-01-06,plain\n2023-01-07,"x"\n')
    (batch,) = [
        b for b in read_csv_batches(path, delimiter=",", encoding="utf-8", batch_size=10) if len(b.frame)
    ]
    assert calls[0] is True
    assert batch.frame["summary"].tolist() == ['a, "quoted" b', "plain", "x"]
    assert batch.lines == [2, 3, 4]


@pytest.mark.parametrize(
    "body",
    [
        'date,summary\n2023-01-05,"two\nlines"\n2023-01-06,x\n',  # a quoted line break
        "date,summary\n2023-01-05,x\n\n2023-01-06,y\n",  # a blank line
        "date,summary\n2023-01-05\n2023-01-06,y\n",  # too few fields
        "date,summary\n2023-01-05,x,z\n2023-01-06,y\n",  # too many fields
    ],
)
def test_records_that_read_differently_fall_back_to_csv_reader(tmp_path, body):
    path = tmp_path / "f.csv"
    path.write_text(body)
    fast, plain = _both(path, batch_size=1)
    assert fast == plain
    for encoding in ("latin-1", "utf-8-sig"):
        assert _both(path, batch_size=2, encoding=encoding)[0] == plain


_spaced = st.sampled_from(
    ["a", "b", ",", ";", '"', " ", "é", "à", "\t", "\xa0", "\u2003", "\u3000", "\x85", "\x1f", "1", ""]
)


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.lists(st.lists(_spaced, max_size=4).map("".join), min_size=3, max_size=3), max_size=6),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "cp1252", "latin-1"]),
    crlf=st.booleans(),
)
def test_a_clean_batch_has_no_cell_to_strip(tmp_path, rows, delimiter, encoding, crlf):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    w.writerow(["h0", "h1", "h2"])
    w.writerows(rows)
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return  # a character this encoding cannot write
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    for batch in read_csv_batches(path, delimiter=delimiter, encoding=encoding, batch_size=3):
        cells = [c for row in batch.frame.to_numpy(dtype=object).tolist() for c in row]
        if batch.clean:
            assert all(c == c.strip() for c in cells), cells
        elif batch.frame.shape[0] and all(c == c.strip() for c in cells):
            # told to strip with nothing to strip: allowed (only slower) where a byte could be space
            assert readers.has_edge_space(data, delimiter)


def test_edge_space_is_seen_next_to_delimiters_quotes_and_line_ends():
    assert not readers.has_edge_space(b"a,b\nc,d\n", ",")
    for block in (
        b" a,b\n",
        b"a ,b\n",
        b"a, b\n",
        b"a,b \n",
        b"a,b \r\n",
        b'" a",b\n',
        b"a,b\n c,d",
        b"a,b\xc2\xa0\n",
    ):
        assert readers.has_edge_space(block, ","), block
    assert readers.has_edge_space(b"a;b \n", ";") and not readers.has_edge_space(b"a b;c\n", ";")
