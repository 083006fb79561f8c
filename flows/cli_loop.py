"""`counterflow` commands of the loop room (registered on import)."""

from __future__ import annotations

from flows.cli import app  # noqa: F401
