"""Intelligence in: a file of reports, an article or a feed becomes reports in the store."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from intel.settings import Settings

if TYPE_CHECKING:
    from intel.ingest.service import ImportSummary, PreparedFile

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
    return _summary(summary, detected)


def _summary(summary: ImportSummary, detected: str | None) -> dict[str, Any]:
    out = {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(summary).items()}
    out["lines"] = summary.lines()
    out["detected_spec"] = detected
    return out


#: The files of a folder that an import of the folder reads: tables and text sources.
IMPORT_SUFFIXES = frozenset({".csv", ".tsv", ".xlsx", ".json", ".jsonl", ".ndjson"}) | TEXT_SUFFIXES


def import_files(paths: Sequence[Path]) -> list[Path]:
    """The files an import of ``paths`` reads: each file given, and each folder's files whose
    suffix an import reads (not its sub-folders), by name; each file once, in that order."""
    from intel.errors import CounterflowError, NotFound

    out: list[Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMPORT_SUFFIXES)
            if not found:
                raise CounterflowError(
                    f"the folder {str(given)!r} holds no file to import",
                    f"put files ending in {', '.join(sorted(IMPORT_SUFFIXES))} there, or name the files",
                )
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise NotFound(
                f"file {str(given)!r} does not exist", "check the path (it is relative to the current folder)"
            )
    first: dict[Path, Path] = {}
    for f in out:
        first.setdefault(f.resolve(), f)
    return list(first.values())


def prepare_ingest(
    path: Path,
    *,
    settings: Settings,
    spec: str = "reports",
    source_kind: str | None = None,
    source_name: str | None = None,
) -> tuple[str, PreparedFile | None]:
    """The store-free part of :func:`ingest` for one file, which runs on any process: the spec
    (``auto`` resolved) and the file read, mapped, validated, geocoded and fingerprinted; ``None``
    for an article or a feed, which :func:`ingest_prepared` imports whole."""
    from intel.ingest import prepare_file

    path = Path(path)
    if spec == "auto":
        from intel.ingest.detect import detect_spec

        spec = detect_spec(path, home=settings.home)
    if spec == "reports" and path.suffix.lower() in TEXT_SUFFIXES:
        return spec, None
    return spec, prepare_file(
        path, spec=spec, source_kind=source_kind, source_name=source_name, settings=settings
    )


def ingest_prepared(
    session: Session,
    *,
    path: Path,
    prepared: PreparedFile | None,
    settings: Settings,
    spec: str = "reports",
    detected: bool = False,
    source_kind: str | None = None,
    source_name: str | None = None,
    dedup: bool | None = None,
    min_population: int = 15000,
    progress: bool = False,
) -> dict[str, Any]:
    """Store one file :func:`prepare_ingest` prepared (in the caller's transaction): the same
    summary :func:`ingest` gives for the file. ``spec`` is the one ``prepare_ingest`` returned,
    ``detected`` whether ``auto`` chose it; ``progress`` draws a bar of the writes."""
    if prepared is None:
        out = ingest(
            session, path=Path(path), settings=settings, spec=spec, source_kind=source_kind,
            source_name=source_name, dedup=dedup, min_population=min_population, progress=progress,
        )  # fmt: skip
        out["detected_spec"] = spec if detected else None
        return out
    from intel.ingest import store_prepared

    summary = store_prepared(session, prepared, settings=settings, dedup=dedup, progress=progress)
    return _summary(summary, spec if detected else None)
