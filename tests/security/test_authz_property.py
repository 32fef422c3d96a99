"""Random commands and button payloads from a non-admin, through the real Bolt pipeline:
nothing in the database changes, and nothing is ever written without an audit row (the one
change open to everyone, an acknowledgement, is audited with the clicker as the actor)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # authz_world

from authz_world import ADMIN, MGMT, OPS, OUTSIDER, World, slack, world

from bot.render.blocks import ActionId
from bot.render.notices import ACK_ACTION
from impact.clock import utcnow
from impact.model import State, StatusEvent
from store.alerts import Observation

__all__ = ["slack", "world"]

VERBS = [
    "digest",
    "digests",
    "subscribe",
    "sub",
    "unsubscribe",
    "unsub",
    "maintenance",
    "maint",
    "link",
    "unlink",
    "sync",
    "resync",
    "subscriptions",
    "incidents",
    "incident",
    "audit",
    "changes",
    "status",
    "help",
]
SUB_VERBS = [
    "schedule",
    "cancel",
    "now",
    "list",
    "end",
    "start",
    "stop",
    "add",
    "remove",
    "confirm",
    "--dry-run",
    "dry-run",
    "preview",
]
ARGS = [
    "#mgmt",
    f"<#{MGMT}|mgmt>",
    f"<#{OPS}|ops>",
    "1",
    "2",
    "#1",
    "db-03",
    "for",
    "2h",
    "daily",
    "weekly",
    "mon",
    "09:00",
    "UTC",
    "tier",
    "->",
    "checkout-api",
    "dns",
    "orders-db",
    "all",
    "https://example.invalid/map.yaml",
    "<https://example.invalid/x|x>",
    "repo",
    "soft",
]
PREFIXES = ["", "please ", "/bsm ", f"<@{ADMIN}> "]

commands = st.builds(
    lambda prefix, verbs, sub, args: prefix + " ".join([*verbs, *sub, *args]),
    st.sampled_from(PREFIXES),
    st.lists(st.sampled_from(VERBS), min_size=1, max_size=3),
    st.lists(st.sampled_from(SUB_VERBS), max_size=2),
    st.lists(st.sampled_from(ARGS), max_size=6),
)
BUTTONS = [f"{ActionId.ASK}.0", f"{ActionId.RETRY}.2", ActionId.SHARE, f"{ActionId.SIMULATE}.1"]
deliveries = st.one_of(
    st.tuples(st.just("command"), commands),
    st.tuples(st.sampled_from(BUTTONS), commands),
    st.tuples(st.just(ACK_ACTION), st.sampled_from(["INCIDENT", "0", "999", "x", "", "-1"])),
)


def _deliver(world: World, how: str, value: str, incident: int) -> None:
    if how == "command":
        world.command(value or "help", user=OUTSIDER)
        return
    value = str(incident) if value == "INCIDENT" else value
    seen = len(world.slack.calls("response_url"))
    assert world.click(how, value or "help", user=OUTSIDER) == 200
    if how != ACK_ACTION:
        world.slack.wait_for("response_url", seen + 1)


def _acks(world: World) -> list[Any]:
    return [e for e in world.store.audit_log(limit=1000) if e.action == "incident.ack"]


def _settled(world: World, expect_ack: bool) -> None:
    """An Acknowledge runs after Bolt's ack: wait (bounded) for the one it may write."""
    deadline = time.monotonic() + (5 if expect_ack else 0.1)
    while time.monotonic() < deadline and (not expect_ack or not _acks(world)):
        time.sleep(0.02)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=deliveries)
@example(delivery=("command", f"digest digest schedule <#{MGMT}|mgmt> daily 09:00 UTC"))
@example(delivery=("command", f"digest now <#{MGMT}|mgmt>"))
@example(delivery=(ActionId.SHARE, "maintenance db-03 for 2h"))
@example(delivery=(ACK_ACTION, "INCIDENT"))
def test_random_non_admin_requests_change_nothing_unaudited(
    world: World, delivery: tuple[str, str]
) -> None:
    if not world.incidents.incidents():
        event = StatusEvent("dns", State.DOWN, utcnow(), source="test")
        world.incidents.ingest([Observation("alert-dns", event)])
    incident = world.incidents.incidents()[0].id
    before, acked = world.snapshot(), bool(_acks(world))
    how, value = delivery

    _deliver(world, how, value, incident)
    if how == ACK_ACTION:
        _settled(world, value == "INCIDENT" and not acked)

    after = world.snapshot()
    if after == before:
        return
    new = after["audit"][: len(after["audit"]) - len(before["audit"])]
    assert new, f"{delivery}: the database changed without an audit row"
    assert [(e.actor, e.action) for e in new] == [(OUTSIDER, "incident.ack")], delivery
    assert how == ACK_ACTION and not acked, delivery
