"""`counterflow` commands of the hotspots room (registered on import)."""

from __future__ import annotations

from flows.cli import app  # noqa: F401
