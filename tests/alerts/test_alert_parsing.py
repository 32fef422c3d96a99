"""Alert payloads -> observations: label order, instance host, rules, states, field errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from payloads import alertmanager, am_alert

from impact.model import Component, ServiceMap, State
from services.intake import (
    AlertMapping,
    AlertPayloadError,
    ComponentIndex,
    map_rules,
    parse_alertmanager,
    parse_generic,
)

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


def test_the_index_of_a_map_holds_its_names_and_alert_rules() -> None:
    service_map = ServiceMap(
        {
            "Orders-DB": Component("Orders-DB", labels={"alert.job": "pg-(.*)", "team": "data"}),
            "db-03": Component("db-03"),
        }
    )
    index = ComponentIndex.of_map(service_map)
    assert index.find("orders-db") == "Orders-DB" and index.find("DB-03") == "db-03"
    assert index.find("orders") is None
    body = alertmanager(am_alert("A", {"job": "pg-main"}))
    [seen] = parse_alertmanager(body, AlertMapping(), index).observations
    assert seen.event.component == "Orders-DB"


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


def test_generic_fields_longer_than_the_store_keeps_are_refused_by_name() -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    with pytest.raises(AlertPayloadError) as raised:
        parse_generic([{"component": "db-03", "state": "down", "source": "s" * 65}], INDEX, now=now)
    assert raised.value.field == "[0].source"
    with pytest.raises(AlertPayloadError) as raised:
        parse_generic({"component": "c" * 201, "state": "down"}, INDEX, now=now)
    assert raised.value.field == "component"


def test_long_sender_ids_become_stable_keys_that_fit() -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    ids = ["x" * 500, "x" * 499 + "y"]
    events = [
        parse_generic({"component": "db-03", "state": "down", "id": i}, INDEX, now=now)
        .observations[0]
        .event.event_id
        for i in ids
    ]
    assert all(e is not None and len(e) <= 200 for e in events)
    assert events[0] != events[1]  # distinct ids stay distinct
    again = parse_generic({"component": "db-03", "state": "down", "id": ids[0]}, INDEX, now=now)
    assert again.observations[0].event.event_id == events[0]  # and stable for dedup


def test_nul_in_alert_text_becomes_the_replacement_character() -> None:
    """PostgreSQL cannot store NUL: every text an alert stores carries U+FFFD instead."""
    raw = am_alert("Disk\x00Full", {"job": "db-03", "team\x00": "ops\x00"}, fingerprint="f\x00")
    raw["annotations"] = {"summary": "disk\x00full"}
    [seen] = parse_alertmanager(alertmanager(raw), AlertMapping(), INDEX).observations
    assert seen.event.summary == "disk\ufffdfull"
    assert "\x00" not in seen.alert_key + (seen.event.event_id or "")
    item = {"component": "nope\x00", "state": "down", "summary": "a\x00b", "id": "i\x00"}
    [alert] = parse_generic(item, INDEX, now=datetime(2026, 11, 28, tzinfo=UTC)).unmapped
    assert (alert.name, alert.summary) == ("nope\ufffd", "a\ufffdb")
