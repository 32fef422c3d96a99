"""The pages over the demo map: states from the map by hand, valid HTML, 404 with suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest
from webkit import OUTAGE, Served, parse

from impact.model import State


def tile_state(page: str, name: str) -> str:
    marker = f'id="tile-{name}" data-name="{name}" data-state="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_overview_during_the_demo_outage(served: Served) -> None:
    served.kiosk()
    served.record(OUTAGE, State.DOWN, "demo outage")
    page = served.client.get("/dashboard")
    assert page.status_code == 200
    parse(page.text)
    # By hand from demo.yaml: payment-gateway is a hard dependency of payments and of
    # payments-api, which online-checkout needs: both down. db-01 is one of three
    # orders-db nodes of which two must be up: the order database holds, degraded (a
    # failing dependency of any kind degrades), and so does whatever reads it:
    # order-fulfilment (fulfilment-service -> orders-api -> orders-db) and
    # internal-reporting (etl-jobs -> orders-db). Product search touches neither.
    assert tile_state(page.text, "online-checkout") == "down"
    assert tile_state(page.text, "payments") == "down"
    assert tile_state(page.text, "order-fulfilment") == "degraded"
    assert tile_state(page.text, "internal-reporting") == "degraded"
    assert tile_state(page.text, "product-search") == "ok"
    # Worst first, then the most important: both tier-1 services lead, checkout (more
    # revenue per hour) first.
    order = [t for t in page.text.split('data-name="')[1:]]
    names = [t[: t.index('"')] for t in order]
    assert names[:2] == ["online-checkout", "payments"]
    # Revenue at risk: 14000 + 9500 per hour (both are down).
    assert "Revenue at risk: $23,500/h" in page.text


def test_filters(served: Served) -> None:
    served.kiosk()
    served.record(OUTAGE, State.DOWN)
    page = served.client.get("/dashboard?state=down").text
    assert 'data-name="online-checkout"' in page and 'data-name="payments"' in page
    assert 'data-name="product-search"' not in page
    page = served.client.get("/dashboard?owner=search-team").text
    assert 'data-name="product-search"' in page and 'data-name="payments"' not in page
    page = served.client.get("/dashboard?tier=2&state=bogus").text
    assert 'data-name="product-search"' in page and 'data-name="payments"' not in page


def test_api_overview_matches_the_chat_status(served: Served) -> None:
    served.kiosk()
    served.record(OUTAGE, State.DOWN)
    body = served.client.get("/dashboard/api/overview").json()
    states = {s["name"]: s["state"] for s in body["services"]}
    assert states["online-checkout"] == "down" and states["payments"] == "down"
    assert body["revenue_at_risk"] == 23500
    # One implementation, two surfaces: the chat's status answer says the same.
    from handlers.conversation import Conversation

    answer = Conversation(served.models).ask("status")
    assert {r["name"]: r["state"] for r in answer.data["services"]} == states


def test_service_page(served: Served) -> None:
    served.kiosk()
    served.record(OUTAGE, State.DOWN)
    page = served.client.get("/dashboard/services/payments")
    assert page.status_code == 200
    parse(page.text)
    assert "<svg" in page.text and 'class="edge cause"' in page.text
    assert "payment-gateway" in page.text
    assert page.text.count('class="day ') == 90 + 30
    assert "payments-team" in page.text and "#inc-payments" in page.text


def test_component_page(served: Served) -> None:
    served.kiosk()
    served.record(OUTAGE, State.DOWN, "demo outage")
    page = served.client.get("/dashboard/components/payment-gateway")
    assert page.status_code == 200
    parse(page.text)
    assert "demo outage" in page.text  # its recent events
    assert "/dashboard/services/payments" in page.text


def test_a_component_asked_as_a_service_redirects(served: Served) -> None:
    served.kiosk()
    answer = served.client.get("/dashboard/services/db-01", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/components/db-01"


@pytest.mark.parametrize("path", ["/dashboard/services/paymnets", "/dashboard/components/db-1"])
def test_unknown_names_suggest(served: Served, path: str) -> None:
    served.kiosk()
    page = served.client.get(path)
    assert page.status_code == 404
    parse(page.text)
    assert "Did you mean" in page.text
    assert ("payments" if "serv" in path else "db-01") in page.text


def test_incidents_and_whatif(served: Served) -> None:
    served.kiosk()
    served.alert(OUTAGE, State.DOWN)
    page = served.client.get("/dashboard/incidents")
    assert page.status_code == 200
    parse(page.text)
    assert "incident-1" in page.text and "payment-gateway" in page.text
    # db-02 down too: two of three orders-db nodes are gone, so the order database falls.
    page = served.client.get("/dashboard/whatif?components=db-02")
    assert page.status_code == 200
    parse(page.text)
    assert "/dashboard/services/order-fulfilment" in page.text
    bad = served.client.get("/dashboard/whatif?components=db-0x")
    assert bad.status_code == 400 and "components:" in bad.text


def test_dark_theme_for_walls(served: Served) -> None:
    served.kiosk()
    page = served.client.get("/dashboard?theme=dark").text
    assert '<html lang="en" class="theme-dark">' in page
    parse(page)


def test_an_open_incident_is_linked_from_its_tiles_and_the_banner(served: Served) -> None:
    served.kiosk()
    served.alert(("payment-gateway",), State.DOWN)
    [incident] = served.desk.incidents(open_only=True)
    page = served.client.get("/dashboard").text
    link = f'href="/dashboard/incidents#incident-{incident.id}"'
    payments = page[page.index('id="tile-payments"') :]
    assert link in payments[: payments.index("</article>")]
    banner = page[page.index('id="banner"') : page.index('id="tiles"')]
    assert f"#{incident.id}" in banner and link in banner
    product = page[page.index('id="tile-product-search"') :]
    assert "Open incident" not in product[: product.index("</article>")]


def test_component_page_says_what_it_takes_down_alone(served: Served) -> None:
    served.kiosk()
    page = served.client.get("/dashboard/components/payments-api").text
    # By hand: online-checkout and payments depend hard on payments-api.
    alone = page[page.index('id="alone-h"') : page.index('id="dep-h"')]
    assert "2 business services down" in alone
    assert (
        "/dashboard/services/online-checkout" in alone and "/dashboard/services/payments" in alone
    )


def test_a_database_that_is_away_is_a_503_page(served: Served) -> None:
    served.kiosk()
    served.store.engine.dispose()
    Path(served.store.url_text().removeprefix("sqlite:///")).unlink()
    served.models.invalidate()
    page = served.client.get("/dashboard/incidents")
    assert page.status_code == 503
    parse(page.text)
