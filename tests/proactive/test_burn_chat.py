"""Burn rates in chat on the demo map. payment-gateway carries Payments and Online Checkout
(hard paths, 99.95 %: allowed share 0.0005; see test_burn_alerts.py). It was ok for four
days and has been down for the last 10 minutes, so by hand, as of the question:
  1 h: 600 s down of 3600 -> 333x; 5 min: all down -> 2000x; 6 h: 600 / 21600 -> 55.6x;
  3 d: 600 / 259200 -> 4.63x: every rule fires (a few seconds pass while asking).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.conversation import Conversation
from impact.model import State, StatusEvent
from services.model import ModelService
from store import Store


def _asker(store: Store) -> Conversation:
    now = datetime.now(UTC)
    store.record_events(
        [
            StatusEvent("payment-gateway", State.OK, now - timedelta(days=4)),
            StatusEvent("payment-gateway", State.DOWN, now - timedelta(minutes=10)),
        ]
    )
    return Conversation(ModelService(store))


def test_what_is_burning(demo_store: Store) -> None:
    answer = _asker(demo_store).ask("what is burning?", origin="cli")
    assert answer.intent == "burn"
    assert answer.subjects == ("online-checkout", "payments")
    assert answer.summary.startswith("2 business services burning their error budget too fast")
    rates = {b["service"]: b for b in answer.data["burn"]}
    assert rates["payments"]["firing"] == [14.4, 6.0, 1.0]
    fast, medium, slow = rates["payments"]["rules"]
    assert fast["long"] == pytest.approx(600 / 3600 / 0.0005, rel=0.01)
    assert fast["short"] == pytest.approx(2000)
    assert medium["long"] == pytest.approx(600 / 21600 / 0.0005, rel=0.01)
    assert slow["long"] == pytest.approx(600 / 259200 / 0.0005, rel=0.01)
    assert [s for s, b in rates.items() if b["firing"]] == ["online-checkout", "payments"]


def test_burn_rate_for_one_service(demo_store: Store) -> None:
    asker = _asker(demo_store)
    answer = asker.ask("burn rate for payments", origin="cli")
    assert answer.intent == "burn" and answer.subjects == ("payments",)
    assert answer.summary.startswith("Payments is burning its error budget 33")
    assert answer.summary.endswith("too fast over 1h (alert at 14.4x)")
    (section,) = answer.sections
    assert [i.detail for i in section.items] == ["firing", "firing", "firing"]
    calm = asker.ask("burn rate for product-search", origin="cli")
    assert calm.summary == "Product Search is not burning: every rule is below its factor"
    assert not asker.ask("burn rate for db-01", origin="cli").ok  # not a business service
