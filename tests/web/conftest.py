"""Fixtures for the web dashboard: the demo map in a store, the dashboard over it, a client."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "bot"))  # fake_slack, served
sys.path.insert(0, str(HERE))  # webkit

from webkit import KIOSK, SECRET, Served, demo_store, serve  # noqa: E402

from bot.settings import DashboardSettings  # noqa: E402


@pytest.fixture
def settings() -> DashboardSettings:
    return DashboardSettings(session_secret=SECRET, token=KIOSK)


@pytest.fixture
def served(tmp_path: Path, settings: DashboardSettings) -> Iterator[Served]:
    found = serve(demo_store(tmp_path), settings)
    with found.client:
        yield found
