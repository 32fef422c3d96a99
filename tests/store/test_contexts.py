"""Conversation contexts (migration 0008): the last answer of a thread, shared, expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from store import CONTEXT_TTL, ConversationContexts, Store
from store.database import upgrade


def test_a_context_is_shared_replaced_and_forgotten_after_two_hours(store: Store) -> None:
    now = [datetime(2026, 12, 2, 3, 0, tzinfo=UTC)]
    replica_a = ConversationContexts(store.engine, clock=lambda: now[0])
    replica_b = ConversationContexts(Store(url=store.url).engine, clock=lambda: now[0])
    replica_a.remember("slack:C1:1.2", "depends", ("orders-api",))
    found = replica_b.recall("slack:C1:1.2")
    assert found is not None and (found.intent, found.subjects) == ("depends", ("orders-api",))
    replica_b.remember("slack:C1:1.2", "owner", ("orders-api", "db-03"))
    assert replica_a.recall("slack:C1:1.2").subjects == ("orders-api", "db-03")  # type: ignore[union-attr]
    assert replica_a.recall("slack:C1:other") is None
    assert timedelta(hours=2) == CONTEXT_TTL
    now[0] += timedelta(hours=1, minutes=59)
    assert replica_a.recall("slack:C1:1.2") is not None
    now[0] += timedelta(minutes=2)
    assert replica_a.recall("slack:C1:1.2") is None


def test_a_context_and_its_show_more_are_kept_in_one_transaction(store: Store) -> None:
    contexts = ConversationContexts(store.engine)
    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    sa.event.listen(store.engine, "commit", committed)
    try:
        contexts.remember("slack:C1:2.3", "affects", ("dns",), more=("what does dns affect", 2))
        assert len(commits) == 1
        contexts.remember("slack:C1:3.4", None, more=("status", 3))  # a long answer alone
        assert len(commits) == 2
    finally:
        sa.event.remove(store.engine, "commit", committed)
    found = contexts.recall("slack:C1:2.3")
    assert found is not None and (found.intent, found.subjects) == ("affects", ("dns",))
    assert contexts.recall_more("slack:C1:2.3") == ("what does dns affect", 2)
    assert contexts.recall("slack:C1:3.4") is None
    assert contexts.recall_more("slack:C1:3.4") == ("status", 3)
    contexts.remember("slack:C1:3.4", None, more=("status", 4))
    assert contexts.recall_more("slack:C1:3.4") == ("status", 4)


def test_migration_0008_adds_and_drops_the_table(tmp_path: Path) -> None:
    store = Store(url=f"sqlite:///{tmp_path / 'bsm.db'}")
    assert "conversation_contexts" in sa.inspect(store.engine).get_table_names()
    from alembic import command

    from store.database import alembic_config

    command.downgrade(alembic_config(store.engine), "0007")
    assert "conversation_contexts" not in sa.inspect(store.engine).get_table_names()
    upgrade(store.engine)
    assert "conversation_contexts" in sa.inspect(store.engine).get_table_names()
    store.close()
