"""At risk in chat, in `status` and on the App Home (hand reading of the demo map: see
test_at_risk_notices.py; one of db-01..db-03 down leaves orders-db-cluster at 2 of 3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.render.home import render_home
from handlers.conversation import Conversation
from impact.model import State, StatusEvent
from services.model import ModelService
from store import Store

AT_RISK = ["customer-support", "online-checkout", "order-fulfilment"]


def _asker(store: Store, *down: str) -> Conversation:
    now = datetime.now(UTC)
    store.record_events([StatusEvent(n, State.DOWN, now) for n in down])
    return Conversation(ModelService(store))


def test_what_is_at_risk(demo_store: Store) -> None:
    asker = _asker(demo_store, "db-03")
    answer = asker.ask("what is at risk?", origin="cli")
    assert answer.intent == "margins"
    assert answer.data["at_risk"] == AT_RISK
    [margin] = answer.data["margins"]
    assert (margin["group"], margin["up"], margin["required"], margin["lost"]) == (
        "orders-db-cluster",
        2,
        2,
        ["db-03"],
    )
    scoped = asker.ask("margins for online-checkout", origin="cli")
    assert scoped.data["at_risk"] == AT_RISK
    other = asker.ask("margins for payments", origin="cli")
    assert other.data["at_risk"] == [] and other.summary.startswith("Nothing at risk")


def test_nothing_at_risk_on_a_healthy_map_or_below_the_minimum(demo_store: Store) -> None:
    assert Conversation(ModelService(demo_store)).ask("what is at risk?").data["at_risk"] == []
    below = _asker(demo_store, "db-01", "db-03")  # 1 of 3: orders-db is down, an outage
    assert below.ask("what is at risk?").data["at_risk"] == []


def test_status_and_home_show_the_group_at_risk(demo_store: Store) -> None:
    status = _asker(demo_store, "db-03").ask("status")
    assert status.data["at_risk"] == ["At risk: orders-db-cluster is down to 2 of 3 (needs 2)"]
    view = json.dumps(render_home(status))
    assert "orders-db-cluster is down to 2 of 3" in view
