"""Deliveries: a redelivered Slack event is recognised once, by any process on the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store import Store
from store.deliveries import DeliveryLog


def test_first_delivery_is_true_exactly_once(store: Store) -> None:
    log = DeliveryLog(store.engine)
    assert log.first_delivery("Ev1") is True
    assert log.first_delivery("Ev1") is False
    assert log.first_delivery("Ev2") is True


def test_a_second_replica_sees_the_first_ones_delivery(store: Store) -> None:
    other = Store(url=store.url)  # another process's engine on the same database
    try:
        assert DeliveryLog(store.engine).first_delivery("Ev9") is True
        assert DeliveryLog(other.engine).first_delivery("Ev9") is False
    finally:
        other.close()


def test_old_deliveries_are_pruned(store: Store) -> None:
    log = DeliveryLog(store.engine, keep=timedelta(hours=1))
    log.first_delivery("old")
    assert log.prune(datetime.now(UTC) + timedelta(hours=2)) == 1
    assert log.first_delivery("old") is True  # forgotten after the keep period
