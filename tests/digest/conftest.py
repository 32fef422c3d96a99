"""Fixtures for digests: a small hand-checkable map with two days of history, a fake Slack."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # fake_slack
sys.path.insert(0, str(Path(__file__).resolve().parent))  # digest_data

from digest_data import HISTORY, SMALL_MAP, at
from fake_slack import FakeSlack

from impact.model import StatusEvent
from store import Store
from store.mapfile import parse_map


@pytest.fixture
def small_store(store: Store) -> Store:
    """`store` (SQLite and PostgreSQL) holding SMALL_MAP and HISTORY."""
    store.import_map(parse_map(SMALL_MAP), actor="tests")
    store.record_events([StatusEvent(c, s, at(t), "tests") for c, s, t in HISTORY])
    return store


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
