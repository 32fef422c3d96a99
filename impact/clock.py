"""What time it is, injectable: every part that reads the time takes a `Clock`.

    store = Store(url, clock=lambda: datetime(2026, 11, 28, 9, tzinfo=UTC))

Tests and replays pass a clock of their own instead of patching module functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
