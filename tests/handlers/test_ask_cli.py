"""Every intent through `bsm ask --json` on the demo map, as a script would use it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from handlers.conversation import Conversation
from impact.model import State, StatusEvent
from services.model import ModelService
from store import Store

Ask = Callable[[str], dict[str, Any]]


def test_affects_names_what_goes_down_and_the_money(ask_json: Ask) -> None:
    answer = ask_json("what does dns affect?")
    assert answer["intent"] == "affects" and answer["ok"] is True
    assert answer["subjects"] == ["dns"]
    assert answer["down"][:2] == ["online-checkout", "payments"]  # tier 1, highest revenue first
    assert answer["revenue_at_risk"] == 32000
    assert answer["summary"].startswith("dns outage takes down 7 business services (tier-1: Online")
    assert "$32,000/h at risk" in answer["summary"]


def test_affects_redundancy_holds(ask_json: Ask) -> None:
    answer = ask_json("what does db-03 affect?")
    assert answer["down"] == []
    assert "online-checkout" in answer["protected"]
    assert answer["summary"].startswith(
        "db-03 alone takes nothing down; orders-db-cluster drops to 2 of 3"
    )
    assert answer["components_impacted"] > 0


def test_whatif_two_nodes_of_the_cluster_take_checkout_down(ask_json: Ask) -> None:
    answer = ask_json("what if db-01 and db-02 fail?")
    assert answer["intent"] == "whatif"
    assert answer["subjects"] == ["db-01", "db-02"]
    assert "online-checkout" in answer["down"]
    assert {"name": "online-checkout", "before": "ok", "after": "down"} in answer["changes"]


def test_depends_lists_every_level(ask_json: Ask) -> None:
    answer = ask_json("what does checkout depend on")
    assert answer["subjects"] == ["online-checkout"]
    assert {"checkout-api", "db-03", "dns", "eu-central-1"} <= set(answer["dependencies"])
    assert answer["summary"].startswith("Online Checkout depends on ")


def test_why_on_a_healthy_map_has_nothing_to_explain(ask_json: Ask) -> None:
    answer = ask_json("why is checkout down?")
    assert answer["state"] == "ok" and answer["root_causes"] == []


def test_spof_names_the_single_points(ask_json: Ask) -> None:
    answer = ask_json("single points of failure for checkout")
    assert {"dns", "checkout-api", "cart-service", "cart-cache", "dx-link"} <= set(answer["spofs"])
    assert "db-03" not in answer["spofs"]


def test_path_finds_the_chain_in_either_order(ask_json: Ask) -> None:
    forward = ask_json("path from online-checkout to db-03")
    backward = ask_json("path from db-03 to online checkout")
    assert forward["paths"][0] == ["online-checkout", "checkout-api", "orders-db", "db-03"]
    assert backward["paths"] == forward["paths"]


def test_status_lists_every_business_service(ask_json: Ask) -> None:
    answer = ask_json("how is everything?")
    assert answer["summary"] == "All 8 business services ok"
    assert [s["name"] for s in answer["services"]][:2] == ["online-checkout", "payments"]
    assert answer["services"][0] == {
        "name": "online-checkout",
        "state": "ok",
        "tier": 1,
        "causes": [],
    }


def test_owner_and_channel(ask_json: Ask) -> None:
    answer = ask_json("who owns online checkout?")
    assert answer["owner"] == "checkout-team" and answer["channel"] == "#inc-checkout"


def test_sla_without_events_says_no_data(ask_json: Ask) -> None:
    answer = ask_json("sla checkout last 7 days")
    assert answer["intent"] == "sla" and answer["window"] == "last 7 days"
    assert answer["sla"][0]["availability"] is None
    assert "no data" in answer["summary"]


def test_unknown_name_suggests(ask_json: Ask) -> None:
    answer = ask_json("what does chekout depend on")
    assert answer["ok"] is False
    assert set(answer["suggestions"]) == {"checkout-api", "online-checkout"}
    assert "did you mean" in answer["summary"]


def test_ambiguous_name_lists_candidates(ask_json: Ask) -> None:
    answer = ask_json("impact of db-0")
    assert answer["ok"] is False
    assert answer["ambiguous"] == {"db-0": ["db-01", "db-02", "db-03"]}


def test_nonsense_gets_help_not_a_traceback(ask_json: Ask) -> None:
    answer = ask_json("lorem ipsum dolor sit amet")
    assert answer["intent"] == "help" and answer["ok"] is False
    assert "what does db-03 affect?" in answer["examples"]["affects"]


def test_help(ask_json: Ask) -> None:
    assert ask_json("help")["ok"] is True


def test_json_lines_from_stdin(demo_db_url: str, ask_cli: Callable[..., Any]) -> None:
    lines = ask_cli(
        ["--json", "-"], demo_db_url, stdin="status\n\nimpact db-03\nwhat if dns fails\n"
    )
    assert [line["intent"] for line in lines] == ["status", "affects", "whatif"]


def test_text_answer_starts_with_the_summary(demo_db_url: str, ask_cli: Callable[..., Any]) -> None:
    output = ask_cli(["--no-color", "what", "does", "dns", "affect?"], demo_db_url)
    assert output.splitlines()[0].startswith("dns outage takes down 7 business services")
    assert "[XX] Online Checkout" in output


def test_answers_follow_recorded_events(demo_store: Store) -> None:
    conversation = Conversation(ModelService(demo_store))
    assert conversation.ask("why is checkout down?").data["state"] == "ok"
    now = datetime.now(UTC)
    demo_store.record_events([StatusEvent("payment-gateway", State.DOWN, now)])
    answer = conversation.ask("why is checkout down?")
    assert answer.data["root_causes"] == ["payment-gateway"]
    assert answer.summary == "Online Checkout is down because of payment-gateway (down)"
    assert conversation.ask("status").summary.startswith("2 of 8 business services failing")


def test_why_names_the_outage_cause_before_a_degradation(demo_store: Store) -> None:
    # db-01 alone leaves orders-db at 2 of 3: it degrades checkout; payment-gateway takes it down
    conversation = Conversation(ModelService(demo_store))
    now = datetime.now(UTC)
    demo_store.record_events(
        [StatusEvent("db-01", State.DOWN, now), StatusEvent("payment-gateway", State.DOWN, now)]
    )
    answer = conversation.ask("why is checkout down?")
    assert answer.summary == (
        "Online Checkout is down because of payment-gateway (down); also degraded by db-01"
    )
    assert answer.data["root_causes"] == ["payment-gateway", "db-01"]
    assert answer.data["paths"][0] == ["payment-gateway", "payments-api", "online-checkout"]


def test_an_iso_quarter_is_the_sla_window(ask_json: Ask) -> None:
    # "2026-Q3" as typed (upper case, after "in"): the calendar quarter July-September 2026
    answer = ask_json("how was uptime of Customer Support Desk in 2026-Q3")
    assert answer["ok"], answer["summary"]
    assert answer["subjects"] == ["customer-support"]
    assert answer["window"] == "Q3 2026"
    assert answer["sla"][0]["start"] == "2026-07-01T00:00:00+00:00"
    assert answer["sla"][0]["end"] == "2026-10-01T00:00:00+00:00"


def test_sla_on_a_map_without_business_services_says_so(
    ask_cli: Callable[..., Any], tmp_path: Any
) -> None:
    answer = ask_cli(["--json", "sla"], f"sqlite:///{tmp_path / 'empty.db'}")
    assert answer["ok"] is False
    assert "no business services" in answer["summary"]
