"""Alert payloads -> observations: label order, instance host, rules, states, field errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from payloads import alertmanager, am_alert

from handlers.alerts import (
    AlertMapping,
    AlertPayloadError,
    ComponentIndex,
    map_rules,
    parse_alertmanager,
    parse_generic,
)
from impact.model import State

INDEX = ComponentIndex(["db-03", "checkout-api", "Orders-DB"])


def component_of(labels: dict[str, str], mapping: AlertMapping | None = None) -> str | None:
    parsed = parse_alertmanager(
        alertmanager(am_alert("A", labels)), mapping or AlertMapping(), INDEX
    )
    return parsed.observations[0].event.component if parsed.observations else None


def test_label_order_and_instance_host() -> None:
    assert component_of({"component": "db-03", "job": "checkout-api"}) == "db-03"
    assert component_of({"job": "node", "instance": "db-03.prod.example.com:9100"}) == "db-03"
    assert component_of({"service": "orders-db"}) == "Orders-DB"
    assert component_of({"instance": "10.1.2.3:9100"}) is None


def test_regex_rules_come_first() -> None:
    mapping = AlertMapping.from_config(
        {"rules": [{"label": "alertname", "match": "Postgres(.*)", "component": "orders-db"}]}
    )
    assert (
        component_of({"alertname": "PostgresDown", "job": "checkout-api"}, mapping) == "Orders-DB"
    )
    rules = map_rules({"db-03": {"alert.job": "mysqld-exporter-3"}})
    index = ComponentIndex(["db-03"], rules)
    body = alertmanager(am_alert("A", {"job": "mysqld-exporter-3"}))
    assert (
        parse_alertmanager(body, AlertMapping(), index).observations[0].event.component == "db-03"
    )


def test_states_times_and_dedup_keys() -> None:
    firing = am_alert("A", {"job": "db-03", "severity": "warning"}, fingerprint="abc")
    resolved = am_alert(
        "A", {"job": "db-03"}, status="resolved", fingerprint="abc", ends="2026-11-28T10:00:00Z"
    )
    [warn] = parse_alertmanager(alertmanager(firing), AlertMapping(), INDEX).observations
    [ok] = parse_alertmanager(alertmanager(resolved), AlertMapping(), INDEX).observations
    assert warn.event.state is State.DEGRADED and ok.event.state is State.OK
    assert ok.event.at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert warn.alert_key == ok.alert_key and warn.event.event_id != ok.event.event_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alerts": "nope"}, "alerts"),
        ({"alerts": [{"labels": {}, "startsAt": "2026-11-28T09:00:00Z"}]}, "alerts[0].status"),
        ({"alerts": [{"status": "firing", "startsAt": "x"}]}, "alerts[0].labels"),
        (
            {"alerts": [{"status": "firing", "labels": {}, "startsAt": "yesterday"}]},
            "alerts[0].startsAt",
        ),
    ],
)
def test_errors_name_the_field(body: dict, field: str) -> None:
    with pytest.raises(AlertPayloadError) as raised:
        parse_alertmanager(body, AlertMapping(), INDEX)
    assert raised.value.field == field


def test_generic_single_and_list() -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    one = parse_generic({"component": "DB-03", "state": "down", "id": "e1"}, INDEX, now=now)
    assert one.observations[0].event.component == "db-03"
    with pytest.raises(AlertPayloadError) as raised:
        parse_generic({"state": "down"}, INDEX, now=now)
    assert raised.value.field == "component"
    many = parse_generic([{"component": "ghost", "state": "ok"}], INDEX, now=now)
    assert many.unmapped[0].name == "ghost"
