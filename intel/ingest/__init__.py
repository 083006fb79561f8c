"""Intelligence in: files and rows -> graded, geocoded, de-duplicated reports.

>>> from intel.ingest import ingest_file  # doctest: +SKIP
>>> ingest_file(session, path="reports.csv").rows_stored  # doctest: +SKIP

The names below load ``intel.ingest.service`` (and the store) on first use, so that the import
worker (``python -m intel.ingest.worker``) starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intel.ingest.service import (
        ImportSummary,
        PreparedFile,
        add_reports,
        ingest_file,
        ingest_frame,
        list_rejects,
        prepare_file,
        store_prepared,
    )

__all__ = [
    "ImportSummary",
    "PreparedFile",
    "add_reports",
    "ingest_file",
    "ingest_frame",
    "list_rejects",
    "prepare_file",
    "store_prepared",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from intel.ingest import service

        return getattr(service, name)
    raise AttributeError(f"module 'intel.ingest' has no attribute {name!r}")
