"""Intelligence in: files and rows -> graded, geocoded, de-duplicated reports.

>>> from intel.ingest import ingest_file  # doctest: +SKIP
>>> ingest_file(session, path="reports.csv").rows_stored  # doctest: +SKIP
"""

from intel.ingest.service import ImportSummary, add_reports, ingest_file, ingest_frame, list_rejects

__all__ = ["ImportSummary", "add_reports", "ingest_file", "ingest_frame", "list_rejects"]
