"""The chat `incidents` list shows P1-P4 and puts P1 first (demo map, default rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.conversation import Conversation
from impact.model import State, StatusEvent
from services.incidents import Incidents
from services.model import ModelService
from store import Store
from store.alerts import Observation


def test_incidents_list_is_sorted_by_priority(demo_store: Store) -> None:
    models = ModelService(demo_store)
    desk = Incidents(demo_store, models)
    start = datetime.now(UTC) - timedelta(minutes=10)
    # First the gateway (payments and online-checkout, tier 1: P1), then a minute later the
    # newsletter (marketing-newsletter, tier 4, 300 $/h: P3). Newest first would list the
    # newsletter first; by priority the older P1 comes first.
    for name, at in (
        ("payment-gateway", start),
        ("newsletter-service", start + timedelta(minutes=1)),
    ):
        event = StatusEvent(name, State.DOWN, at, "alertmanager", None, f"{name}:down")
        desk.ingest([Observation(f"am:{name}", event)])
        desk.reconcile()
    answer = Conversation(models, incidents=desk).ask("incidents")
    priorities = [row["priority"] for row in answer.data["incidents"]]
    assert priorities == sorted(priorities)
    assert priorities[0] == "P1" and "P3" in priorities
    assert answer.sections[0].items[0].text.startswith("P1 ")
