"""Webhook endpoints under hostile bodies: never a 5xx, 400s name a field, 4xx stores nothing.

Requests carry the right token, so every body reaches the parsers. After a 4xx the database
content (every row of every table) must be exactly as before; oversized bodies get 413.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hostile_inputs import INJECTIONS, content_hash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.webhooks import MAX_BODY, webhook_routes
from impact.model import Component, Dependency, ServiceMap
from services.incidents import Incidents
from services.model import ModelService
from store import Store

TOKEN = "hostile-webhook-token"
ENDPOINTS = ("/webhooks/alertmanager", "/webhooks/grafana", "/webhooks/generic")
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def small_map() -> ServiceMap:
    return ServiceMap.build(
        [
            Component("checkout", kind="business_service", tier=1, channel="#inc-checkout"),
            Component("checkout-api"),
            Component("orders-db", kind="database"),
        ],
        [Dependency("checkout", "checkout-api"), Dependency("checkout-api", "orders-db")],
    )


@pytest.fixture
def http(store: Store) -> Iterator[TestClient]:
    store.import_map(small_map(), actor="tests")
    model = ModelService(store)
    model.current()  # warmed, as `bsm serve` does before it reports ready:
    model.flush()  # the compiled snapshot is saved now, not while a request is checked
    desk = Incidents(store, model, clock=lambda: datetime(2026, 11, 28, 9, tzinfo=UTC))
    app = Starlette(routes=webhook_routes(desk, TOKEN))
    with TestClient(
        app, headers={"Authorization": f"Bearer {TOKEN}"}, raise_server_exceptions=False
    ) as client:
        client.store = store  # type: ignore[attr-defined]
        yield client


# -- bodies --------------------------------------------------------------------------------

# NUL included: PostgreSQL cannot store it, the parsers turn it into U+FFFD.
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["\x00", "checkout-api\x00", "a\x00b"]),
    st.sampled_from(INJECTIONS),
    st.sampled_from(["checkout-api", "CHECKOUT-API", "orders-db", "firing", "resolved"]),
    st.sampled_from(["2026-11-28T09:00:00Z", "2026-11-28T09:00:00.123456789Z", "0001-01-01"]),
    st.sampled_from(["down", "degraded", "ok", "up", "critical", "warning", "nope", ""]),
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=20,
)
ANYTHING = st.one_of(TEXT, st.integers(), st.none(), st.booleans(), JSON)


@st.composite
def alert_like(draw: st.DrawFn) -> dict[str, Any]:
    """An Alertmanager alert with any field replaced, dropped or added."""
    alert: dict[str, Any] = {
        "status": draw(st.sampled_from(["firing", "resolved"])),
        "labels": {
            "alertname": draw(TEXT),
            draw(st.sampled_from(["job", "component", "instance", "service"])): draw(TEXT),
            "severity": draw(TEXT),
        },
        "annotations": {"summary": draw(TEXT)},
        "startsAt": "2026-11-28T09:00:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": draw(st.text(max_size=16)),
    }
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from([*alert, "extra"]))
        if draw(st.booleans()):
            alert.pop(key, None)
        else:
            alert[key] = draw(ANYTHING)
    return alert


@st.composite
def generic_like(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {"component": draw(TEXT), "state": draw(TEXT)}
    for key in draw(st.lists(st.sampled_from(["summary", "source", "id", "at", "x"]))):
        item[key] = draw(ANYTHING)
    return item


def nested(depth: int, leaf: Any) -> Any:
    """`leaf` inside `depth` lists and objects, alternating (no recursion to build it)."""
    for level in range(depth):
        leaf = [leaf] if level % 2 else {"alerts": leaf}
    return leaf


def bodies() -> st.SearchStrategy[Any]:
    return st.one_of(
        JSON,
        st.builds(nested, st.integers(1, 80), st.one_of(alert_like(), generic_like())),
        st.builds(
            lambda alerts: {"version": "4", "alerts": alerts}, st.lists(alert_like(), max_size=4)
        ),
        st.builds(lambda alert: {"alerts": alert}, ANYTHING),
        generic_like(),
        st.lists(generic_like(), max_size=4),
    )


# -- properties ----------------------------------------------------------------------------


def post(http: TestClient, endpoint: str, content: bytes) -> tuple[int, dict[str, Any]]:
    before = content_hash(http.store.engine)  # type: ignore[attr-defined]
    response = http.post(endpoint, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, f"{response.status_code} for {content[:300]!r}"
    body = response.json()
    if 400 <= response.status_code < 500:
        after = content_hash(http.store.engine)  # type: ignore[attr-defined]
        assert after == before, f"{response.status_code} but rows changed for {content[:300]!r}"
        assert body["ok"] is False and body["error"]
    if response.status_code == 400:
        assert body.get("field"), f"400 naming no field: {body}"
    return response.status_code, body


@SETTINGS
@given(endpoint=st.sampled_from(ENDPOINTS), content=st.binary(max_size=200))
def test_arbitrary_bytes_never_5xx(http: TestClient, endpoint: str, content: bytes) -> None:
    post(http, endpoint, content)


@SETTINGS
@given(endpoint=st.sampled_from(ENDPOINTS), payload=bodies())
def test_arbitrary_json_never_5xx(http: TestClient, endpoint: str, payload: Any) -> None:
    status, _ = post(http, endpoint, json.dumps(payload).encode())
    assert status in (200, 400)


@settings(SETTINGS, max_examples=20)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    depth=st.one_of(st.integers(60, 2000), st.integers(2000, 400_000)),
    opener=st.sampled_from([b"[", b'{"a":', b'{"alerts":[']),
)
def test_deep_json_is_a_400_naming_body(
    http: TestClient, endpoint: str, depth: int, opener: bytes
) -> None:
    closer = {b"[": b"]", b'{"a":': b"}", b'{"alerts":[': b"]}"}[opener]
    content = opener * depth + b"1" + closer * depth
    if len(content) > MAX_BODY:
        return  # 413, covered below
    status, body = post(http, endpoint, content)
    if depth > 64:
        assert status == 400 and body["field"] == "body"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_oversized_body_refused(http: TestClient, endpoint: str) -> None:
    before = content_hash(http.store.engine)  # type: ignore[attr-defined]
    big = json.dumps({"alerts": [], "pad": "x" * MAX_BODY}).encode()
    response = http.post(endpoint, content=big)
    assert response.status_code == 413
    assert content_hash(http.store.engine) == before  # type: ignore[attr-defined]


def test_oversized_chunked_body_refused(http: TestClient) -> None:
    """No Content-Length to trust: the server counts the bytes as they arrive."""

    def chunks() -> Iterator[bytes]:
        yield b'{"alerts": [], "pad": "'
        for _ in range(MAX_BODY // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = http.post("/webhooks/generic", content=chunks())
    assert response.status_code == 413


def test_wrong_token_refused_and_nothing_stored(http: TestClient) -> None:
    before = content_hash(http.store.engine)  # type: ignore[attr-defined]
    body = {"component": "checkout-api", "state": "down"}
    response = http.post(
        "/webhooks/generic", json=body, headers={"Authorization": "Bearer not-the-token"}
    )
    assert response.status_code == 401
    assert content_hash(http.store.engine) == before  # type: ignore[attr-defined]


def test_deeply_nested_json_is_a_400(http: TestClient) -> None:
    """json.loads of 100,000 nested '[' raised RecursionError: a 500."""
    status, body = post(http, "/webhooks/generic", b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and body["field"] == "body"


def test_nul_in_alert_text_is_stored_as_the_replacement_character(http: TestClient) -> None:
    """PostgreSQL refused NUL and the endpoint answered 503 'retry' forever; SQLite stored it.

    Both now store U+FFFD, so the alert is kept and the backends agree.
    """
    store = http.store  # type: ignore[attr-defined]
    generic = {"component": "checkout-api", "state": "down", "summary": "a\u0000b"}
    assert post(http, "/webhooks/generic", json.dumps(generic).encode())[0] == 200
    alert = {
        "status": "firing",
        "labels": {"alertname": "Nul\x00", "job": "no\x00pe", "k\x00": "v\x00"},
        "annotations": {"summary": "c\x00d"},
        "startsAt": "2026-11-28T09:00:00Z",
        "fingerprint": "f\x00",
    }
    body = json.dumps({"version": "4", "alerts": [alert]}).encode()
    assert post(http, "/webhooks/alertmanager", body)[0] == 200
    assert [e.summary for e in store.events()] == ["a\ufffdb"]
    [unmapped] = Incidents(store, ModelService(store)).unmapped()
    assert (unmapped.name, unmapped.summary) == ("Nul\ufffd", "c\ufffdd")
    assert unmapped.labels["k\ufffd"] == "v\ufffd"


def test_a_time_out_of_range_is_refused_naming_the_field(http: TestClient) -> None:
    # found by test_arbitrary_json_never_5xx: Go's zero time as startsAt underflowed the
    # retention cutoff of unmapped alerts (a 500)
    alert = {"status": "firing", "labels": {"alertname": ""}, "startsAt": "0001-01-01"}
    payload = {"version": "4", "alerts": [alert]}
    status, body = post(http, "/webhooks/alertmanager", json.dumps(payload).encode())
    assert status == 400
    assert "alerts[0].startsAt" in body["error"]
