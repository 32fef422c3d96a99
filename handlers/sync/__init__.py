"""Keeping the map current from Backstage, Jaeger, OpenTelemetry service graphs and map URLs.

`run_sync` fetches a source, reconciles names with the map and hands the result to
`store.sync.MapSync`; `run_due` is the scheduler's job; `answers` turns outcomes into
`Answer`s for chat and the CLI.
"""

from __future__ import annotations

from handlers.sync.errors import SourceError, SourceUnreachable
from handlers.sync.runner import Discovery, discover, run_due, run_sync

__all__ = ["Discovery", "SourceError", "SourceUnreachable", "discover", "run_due", "run_sync"]
