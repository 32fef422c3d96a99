"""State-aware answers on the demo's scripted outage (db-01 and payment-gateway down).

Expected values by hand from store/demo/demo.yaml: payment-gateway down takes payments-api
down, hence Payments and Online Checkout (checkout-api and the service need payments-api).
db-01 down leaves orders-db-cluster at 2 of 3 (it needs 2): degraded. Losing db-03 as
well takes orders-db down: orders-api, then fulfilment-service (Order Fulfilment, tier 2)
and support-portal (Customer Support Desk) go down; Online Checkout is down already.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.conversation import Conversation
from impact.model import State, StatusEvent
from services.model import ModelService
from store import Store

OUTAGE = ("db-01", "payment-gateway")


@pytest.fixture
def outage(demo_store: Store) -> Conversation:
    now = datetime.now(UTC)
    demo_store.record_events([StatusEvent(n, State.DOWN, now) for n in OUTAGE])
    return Conversation(ModelService(demo_store))


def test_affects_answers_alone_and_given_what_is_down_now(outage: Conversation) -> None:
    answer = outage.ask("what does db-03 affect?")
    assert answer.ok
    assert answer.summary.startswith("db-03 alone takes nothing down;")
    assert (
        "with db-01 and payment-gateway down now, losing db-03 takes 2 more business services"
        " down: Order Fulfilment and Customer Support Desk" in answer.summary
    )
    assert answer.data["failing_now"] == ["db-01", "payment-gateway"]
    assert answer.data["down_given_now"] == ["order-fulfilment", "customer-support"]
    first = answer.sections[0]
    assert first.title == "Down given what is down now"
    assert all(
        item.detail and "-> orders-db -> orders-api ->" in item.detail for item in first.items
    )


def test_affects_on_a_healthy_map_says_only_alone(demo_store: Store) -> None:
    answer = Conversation(ModelService(demo_store)).ask("what does db-03 affect?")
    assert "down now" not in answer.summary and "failing_now" not in answer.data


def test_whatif_headline_counts_the_loss_beyond_now(outage: Conversation) -> None:
    answer = outage.ask("what if db-03 fails?")
    # the additional revenue: Order Fulfilment $2,800/h; Customer Support Desk has none
    assert answer.summary.startswith(
        "Now, a db-03 outage takes 2 more business services down "
        "(Order Fulfilment and Customer Support Desk, $2,800/h more at risk); already down:"
    )
    assert set(answer.data["already_down"]) == {"online-checkout", "payments"}
    assert answer.data["newly_down"] == ["order-fulfilment", "customer-support"]
    assert answer.sections[0].title == "Newly down"
    # each newly lost service by its path from db-03, the asked failure (not from db-01)
    assert [i.detail.split(" · via ")[-1] for i in answer.sections[0].items if i.detail] == [
        "db-03 -> orders-db -> orders-api -> fulfilment-service -> order-fulfilment",
        "db-03 -> orders-db -> orders-api -> support-portal -> customer-support",
    ]


def test_spof_marks_the_members_that_are_single_points_now(outage: Conversation) -> None:
    # Order Fulfilment is degraded through orders-db at 2 of 3: db-02 or db-03 alone takes it down
    answer = outage.ask("single points of failure for order fulfilment")
    assert answer.data["spofs_now"] == ["db-02", "db-03"]
    assert "right now also db-02 and db-03 (orders-db-cluster at its minimum)" in answer.summary
    assert "db-02" not in answer.data["spofs"]  # not a single point by design
    [listed] = answer.sections  # the single points of right now lead the list
    assert [i.text for i in listed.items[:2]] == ["db-02", "db-03"]


def test_status_names_whom_one_more_loss_hits_by_business_impact(outage: Conversation) -> None:
    # orders-db-cluster at 2 of 3: one more loss takes orders-db down, so Order Fulfilment
    # (tier 2) and Customer Support Desk (tier 3) go down; tier 2 first.
    answer = outage.ask("status")
    [at_risk] = [s for s in answer.sections if s.title == "At risk"]
    assert at_risk.items[0].detail == (
        "one more loss takes Order Fulfilment, Customer Support Desk down; db-01 lost"
    )


def test_a_failing_single_point_is_marked(outage: Conversation) -> None:
    answer = outage.ask("single points of failure for payments")
    [listed] = answer.sections
    gateway = next(i for i in listed.items if i.text == "payment-gateway")
    assert gateway.detail is not None and gateway.detail.startswith("failing now")


def test_vendor_status_page_in_owner_and_status_answers(outage: Conversation) -> None:
    # demo.yaml: payment-gateway's status page is https://status.payflow.example
    owner = outage.ask("who owns payment-gateway?")
    assert owner.data["status_page"] == "https://status.payflow.example"
    [escalation] = [s for s in owner.sections if s.title == "Escalation"]
    assert escalation.items[-1].text == "vendor status page: https://status.payflow.example"
    status = outage.ask("is mail-provider up?")
    assert status.sections[0].items[0].detail == (
        "marketing-team · status page https://status.postwerk.example"
    )


def test_status_of_a_member_warns_that_its_group_is_at_its_minimum(outage: Conversation) -> None:
    answer = outage.ask("is db-02 ok?")
    assert answer.summary == (
        "db-02 is ok; warning: orders-db-cluster is at its minimum (2 of 3 up, needs 2): "
        "one more failure takes orders-db down"
    )


def test_why_says_since_when_the_incident_and_whom_to_call(outage: Conversation) -> None:
    answer = outage.ask("why is payments down?")
    assert answer.summary == "Payments is down because of payment-gateway (down)"
    assert set(answer.data["since"]) == {"payment-gateway"}
    assert answer.notes[0].startswith("payment-gateway failing since ")
    assert "No open incident about it" in answer.notes
    [contacts] = [s for s in answer.sections if s.title == "Who to call"]
    # demo.yaml: payment-gateway is owned by payments-team, with the vendor's status page;
    # no channel of its own: that of Payments (payments-team, which needs it directly)
    assert [(i.text, i.detail) for i in contacts.items] == [
        (
            "payment-gateway",
            "payments-team · status page https://status.payflow.example · via payments: "
            "#inc-payments",
        )
    ]
    assert answer.actions[0].value == "what does payment-gateway affect?"


def test_owner_carries_channel_runbook_and_escalation(demo_store: Store) -> None:
    answer = Conversation(ModelService(demo_store)).ask("who owns orders-db?")
    assert answer.summary == "orders-db is owned by database-team (#team-dba)"
    assert answer.data["runbook"] == "https://runbooks.northwind.example/dba/orders-db"
    [escalation] = [s for s in answer.sections if s.title == "Escalation"]
    assert [i.text for i in escalation.items] == [
        "Escalate: post in #team-dba first",
        "then page the database-team on-call",
        "runbook: https://runbooks.northwind.example/dba/orders-db",
    ]


def test_depends_shows_failing_branches_first_and_says_what_was_cut(
    outage: Conversation,
) -> None:
    # Online Checkout's dependencies in map order: web-storefront, checkout-api,
    # payments-api, ...; checkout-api needs payments-api, down with payment-gateway, so
    # the checkout-api branch leads (web-storefront, first in the map, is ok).
    answer = outage.ask("what does online checkout depend on?")
    shown = [i.text.strip() for i in answer.sections[0].items]
    assert shown[0] == "checkout-api"
    assert {"db-01", "payment-gateway"} <= set(shown)  # the failing leaves are on screen
    assert "web-storefront" not in shown[:10]
    assert any("depth 5" in note for note in answer.notes)


def test_budget_has_one_wording_for_headline_and_body() -> None:
    from types import SimpleNamespace

    from handlers.sla_answers import budget

    spent = SimpleNamespace(error_budget_s=300.0, error_budget_left_s=-3840.0)
    left = SimpleNamespace(error_budget_s=300.0, error_budget_left_s=120.0)
    assert budget(spent) == "5m error budget overspent by 1h 04m"  # type: ignore[arg-type]
    assert budget(left) == "2m of 5m error budget left"  # type: ignore[arg-type]


def test_spof_is_ordered_by_business_impact_even_when_long(demo_store: Store) -> None:
    # 31 single points for Online Checkout on the demo map; dns takes 7 business services
    # down ($32,000/h), cart-cache only Online Checkout ($14,000/h): dns ranks first.
    answer = Conversation(ModelService(demo_store)).ask("spofs for online checkout")
    spofs = answer.data["spofs"]
    assert len(spofs) > 25
    assert spofs.index("dns") < spofs.index("cart-cache")


def test_sla_during_the_outage_words_the_budget_once(outage: Conversation) -> None:
    # payment-gateway down takes Payments down: one incident so far this month
    answer = outage.ask("sla payments this month")
    [row] = answer.sections[0].items
    assert row.detail is not None and "1 incident ·" in row.detail
    spent = answer.summary.split("; ")[-1]
    assert "error budget" in spent and spent in row.detail  # headline and body agree


def test_why_finds_a_node_s_team_channel_and_runbook_on_its_cluster(outage: Conversation) -> None:
    # db-01 (database-team) has neither; orders-db, one hop up, same team: #team-dba, runbook
    answer = outage.ask("why is order fulfilment degraded?")
    [contacts] = [s for s in answer.sections if s.title == "Who to call"]
    assert [(i.text, i.detail) for i in contacts.items] == [
        (
            "db-01",
            "database-team · via orders-db: #team-dba · "
            "runbook https://runbooks.northwind.example/dba/orders-db",
        )
    ]
    assert answer.actions[0].value == "what does db-01 affect?"  # the next useful question
