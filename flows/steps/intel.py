"""Intelligence in: a file of reports, an article or a feed becomes reports in the store."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from intel.settings import Settings

if TYPE_CHECKING:
    from intel.ingest.service import ImportSummary

TEXT_SUFFIXES = frozenset({".txt", ".html", ".htm", ".xml", ".rss", ".atom"})
"""Suffixes read as an article (.txt, .html, .htm) or a feed (.xml, .rss, .atom)."""


def ingest(
    session: Session,
    *,
    path: Path,
    settings: Settings,
    spec: str = "reports",
    source_kind: str | None = None,
    source_name: str | None = None,
    dedup: bool | None = None,
    min_population: int = 15000,
    progress: bool = False,
    on_batch: Callable[[ImportSummary], None] | None = None,
) -> dict[str, Any]:
    """Import one file: a file of reports with an import spec (:func:`intel.ingest.ingest_file`),
    or, with the ``reports`` spec and a text suffix, an article or a feed
    (:func:`intel.textsources.ingest_text_file`; ``source_kind`` defaults to ``news`` there).

    ``spec="auto"`` picks the spec that fits the file's columns (:func:`intel.ingest.detect.detect_spec`);
    ``on_batch`` is called with the summary so far after each batch is written (a progress bar).
    Returns the import summary as plain values, with ``lines``: the summary as a person reads it,
    and ``detected_spec``: the spec ``auto`` chose (None when one was given).
    """
    path = Path(path)
    detected = None
    if spec == "auto":
        from intel.ingest.detect import detect_spec

        spec = detected = detect_spec(path, home=settings.home)
    if spec == "reports" and path.suffix.lower() in TEXT_SUFFIXES:
        from intel.textsources import ingest_text_file

        summary = ingest_text_file(
            session,
            path=path,
            source_kind=source_kind or "news",
            source_name=source_name,
            settings=settings,
            min_population=min_population,
        )
    else:
        from intel.ingest import ingest_file

        summary = ingest_file(
            session,
            path=path,
            spec=spec,
            source_kind=source_kind,
            source_name=source_name,
            settings=settings,
            progress=progress,
            dedup=dedup,
            on_batch=on_batch,
        )
    out = {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(summary).items()}
    out["lines"] = summary.lines()
    out["detected_spec"] = detected
    return out
