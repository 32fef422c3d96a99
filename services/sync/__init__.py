"""Keeping the map current from Backstage, Jaeger, OpenTelemetry service graphs and map URLs.

`run_sync` fetches a source, reconciles names with the map and hands the result to
`store.sync.MapSync`; `run_due` is the scheduler's job. Chat and the CLI render the
outcomes (`handlers.sync.answers`).
"""

from __future__ import annotations

from services.sync.errors import SourceError, SourceUnreachable
from services.sync.runner import Discovery, discover, run_due, run_sync

__all__ = ["Discovery", "SourceError", "SourceUnreachable", "discover", "run_due", "run_sync"]
