"""Intelligence in: a file of reports, an article or a feed becomes reports in the store."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sqlmodel import Session

from intel.settings import Settings


def ingest(session: Session, *, path: Path, spec: str, settings: Settings) -> dict[str, Any]:
    """Import one file (see :func:`intel.ingest.ingest_file`)."""
    from intel.ingest import ingest_file

    summary = ingest_file(session, path=path, spec=spec, settings=settings)
    out = dataclasses.asdict(summary)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in out.items()}
