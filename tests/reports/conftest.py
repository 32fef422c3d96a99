"""Fixtures for the report tests: the hand-checkable map and history of report_data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # report_data

from report_data import HISTORY, MAINTENANCE, MAP, at

from impact.model import MaintenanceWindow, StatusEvent
from store import Store
from store.mapfile import parse_map


@pytest.fixture
def report_store(store: Store) -> Store:
    """`store` (SQLite and PostgreSQL) holding MAP, HISTORY and the MAINTENANCE window."""
    store.import_map(parse_map(MAP), actor="tests")
    store.record_events([StatusEvent(c, s, at(t), "tests") for c, s, t in HISTORY])
    component, start, end, reason, who = MAINTENANCE
    store.add_maintenance(MaintenanceWindow(component, at(start), at(end), reason, who))
    return store
