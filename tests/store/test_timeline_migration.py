"""Migration 0006: timeline lines and thread replies stored as English become typed facts.

A database at 0005 holds an incident with every kind of line (and one nobody can read); after
the upgrade each entry has its facts, renders as the very line it was, and the pending
thread reply carries a typed entry. The downgrade writes the lines back. SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from alembic import command

from handlers.incident_answers import entry_text
from impact.model import State
from store import EntryKind, StateChange, ThreadReply, database
from store.incidents import IncidentStore

T0 = datetime(2026, 11, 28, 9, tzinfo=UTC)
LINES = [
    (0, "opened", "Opened: Online Checkout down, Search degraded; root cause db-03"),
    (10, "changed", "Search recovered (was degraded); New root cause dns"),
    (20, "changed", "Online Checkout down -> degraded"),
    (30, "ack", "Acknowledged by U0ALICE01"),
    (40, "changed", "something nobody wrote down as a change"),
    (65, "resolved", "Resolved after 1h 05m"),
]
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
incidents = sa.table(
    "incidents",
    *(sa.column(c) for c in ("id", "status", "planned", "revision")),
    sa.column("causes", JSON),
    *(sa.column(c, TIME) for c in ("started_at", "opened_at", "recovered_at", "resolved_at")),
)
timeline = sa.table(
    "incident_timeline",
    sa.column("incident_id"),
    sa.column("at", TIME),
    sa.column("kind"),
    sa.column("text"),
)
outbox = sa.table(
    "outbox",
    *(sa.column(c) for c in ("id", "dedup_key", "incident_id", "channel", "kind", "status")),
    sa.column("attempts"),
    sa.column("payload", JSON),
    *(sa.column(c, TIME) for c in ("next_attempt_at", "created_at")),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database of its own (a fresh schema on PostgreSQL), not yet migrated."""
    if request.param == "sqlite":
        made = database.create(f"sqlite:///{tmp_path / 'old.db'}")
        yield made
        made.dispose()
        return
    base = request.getfixturevalue("postgres_url").split("?")[0]
    schema = f"bsm_migration_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    made = database.create(f"{base}?options={quote(f'-csearch_path={schema}')}")
    yield made
    made.dispose()
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def fill_0005(engine: sa.Engine) -> None:
    database.upgrade(engine, "0005")
    with engine.begin() as connection:
        incident = {"id": 1, "status": "resolved", "planned": False, "revision": 6}
        times = {"started_at": T0, "opened_at": T0, "recovered_at": None, "resolved_at": at(65)}
        connection.execute(incidents.insert().values(causes=["db-03", "dns"], **incident, **times))
        for minutes, kind, text in LINES:
            values = {"incident_id": 1, "at": at(minutes), "kind": kind, "text": text}
            connection.execute(timeline.insert().values(values))
        reply = {"text": "Resolved after 1h 05m", "incident": 1, "resolved": True}
        row = {"id": 1, "dedup_key": "incident:1:r6:#ops:thread", "incident_id": 1}
        row |= {"channel": "#ops", "kind": "thread", "status": "pending", "attempts": 0}
        connection.execute(
            outbox.insert().values(payload=reply, next_attempt_at=at(65), created_at=at(65), **row)
        )


def test_upgrade_reads_every_line_into_facts(engine: sa.Engine) -> None:
    fill_0005(engine)
    database.upgrade(engine)

    found = IncidentStore(engine).incident(1)
    assert found is not None
    opened, recovered, moved, acked, odd, resolved = found.timeline
    assert opened.kind is EntryKind.OPENED and not opened.planned
    assert opened.services == (("Online Checkout", State.DOWN), ("Search", State.DEGRADED))
    assert opened.causes == ("db-03",)
    assert recovered.changes == (StateChange("Search", State.DEGRADED, State.OK),)
    assert recovered.causes == ("dns",)
    assert moved.changes == (StateChange("Online Checkout", State.DOWN, State.DEGRADED),)
    assert (acked.kind, acked.user) == (EntryKind.ACKNOWLEDGED, "U0ALICE01")
    assert odd.note == "something nobody wrote down as a change"
    assert (resolved.kind, resolved.duration_s) == (EntryKind.RESOLVED, 3900.0)
    assert [entry_text(e) for e in found.timeline] == [line for _, _, line in LINES]

    with engine.connect() as connection:
        payload = connection.execute(sa.select(outbox.c.payload)).scalar_one()
    reply = ThreadReply.from_json(payload)
    assert (reply.incident, reply.resolved, reply.entry.duration_s) == (1, True, 3900.0)
    assert entry_text(reply.entry) == "Resolved after 1h 05m"


def test_downgrade_writes_the_lines_back(engine: sa.Engine) -> None:
    fill_0005(engine)
    database.upgrade(engine)
    command.downgrade(database.alembic_config(engine), "0005")

    with engine.connect() as connection:
        lines = connection.execute(sa.select(timeline.c.text).order_by(timeline.c.at)).scalars()
        assert list(lines) == [line for _, _, line in LINES]
        payload = connection.execute(sa.select(outbox.c.payload)).scalar_one()
    assert payload == {"text": "Resolved after 1h 05m", "incident": 1, "resolved": True}
