"""`bsm priorities` / "what should we fix first?" and `bsm report risks` / "top risks" on the
demo map (store/demo/demo.yaml), with the expected order worked out by hand from the map.

Revenue per hour from the map: online-checkout 14,000 (tier 1), payments 9,500 (tier 1),
product-search 4,200, order-fulfilment 2,800, customer-accounts 1,500, marketing-newsletter
300, customer-support and internal-reporting none: 32,300 in all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import main
from handlers.conversation import Conversation
from impact.model import State, StatusEvent
from services.model import ModelService
from store import Store


def bsm(store: Store, *args: str) -> Result:
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(main, [*args, "--db", url], catch_exceptions=False)


def down(store: Store, *names: str, at: datetime | None = None) -> None:
    when = at or datetime.now(UTC) - timedelta(minutes=5)
    store.record_events([StatusEvent(n, State.DOWN, when, "tests") for n in names])


def test_the_scripted_outage_fixes_the_gateway_first(demo_store: Store) -> None:
    # The demo's scripted outage: db-01 and payment-gateway down.
    # payment-gateway: payments needs it directly, online-checkout through payments-api
    #   -> fixing it brings back 14,000 + 9,500 = 23,500 $/h, tier 1.
    # db-01: orders-db-cluster needs 2 of db-01..03 and still has 2 -> nothing is down
    #   because of it: 0 $/h, second.
    down(demo_store, "db-01", "payment-gateway")
    rows = json.loads(bsm(demo_store, "priorities", "--json").output)
    assert [r["component"] for r in rows] == ["payment-gateway", "db-01"]
    assert set(rows[0]["restores"]) >= {"online-checkout", "payments"}
    assert rows[0]["revenue_per_hour"] == 23_500
    assert rows[0]["best_tier"] == 1
    assert rows[1]["revenue_per_hour"] == 0


def test_one_member_of_a_group_still_short_restores_nothing(demo_store: Store) -> None:
    # All three database nodes and the gateway down. Fixing the gateway brings back payments
    # (9,500 $/h) but not online-checkout, which still needs orders-db. Fixing one node leaves
    # orders-db-cluster at 1 of the 2 members it needs: nothing comes back, and it says so.
    down(demo_store, "db-01", "db-02", "db-03", "payment-gateway")
    rows = json.loads(bsm(demo_store, "priorities", "--json").output)
    assert [r["component"] for r in rows] == ["payment-gateway", "db-01", "db-02", "db-03"]
    assert rows[0]["restores"] == ["payments"] and rows[0]["revenue_per_hour"] == 9_500
    for row in rows[1:]:
        assert row["restores"] == [] and row["still_short"] == ["orders-db-cluster"]
    text = bsm(demo_store, "priorities").output.splitlines()
    assert text[1] == (
        "2. db-01 (down): fixing it alone restores nothing: orders-db-cluster of orders-db"
        " would still have 1 of 2 needed members up"
    )


def test_chat_answers_what_to_fix_first(demo_store: Store) -> None:
    down(demo_store, "db-01", "payment-gateway")
    answer = Conversation(ModelService(demo_store)).ask("what should we fix first?")
    assert answer.intent == "priorities"
    assert answer.summary.startswith("Fix payment-gateway first")
    assert answer.summary == (
        "Fix payment-gateway first: restores online-checkout and payments, $23,500/h back,"
        " best tier 1"
    )


def test_risk_register_ranks_tier1_spofs_by_exposure(demo_store: Store, tmp_path: Path) -> None:
    # History (within 90 days): payment-gateway failed 3 times, dns once, db-01 5 times,
    # newsletter-service 4 times.
    # payment-gateway: 23,500 $/h x 3 = 70,500 -> first.
    # eu-central-1, k8s-control-plane, k8s-prod take every service down (32,300 $/h) and
    #   never failed (counted once): 32,300 each, by name.
    # dns: everything but marketing-newsletter: 32,300 - 300 = 32,000 x 1.
    # db-01 takes nothing down alone (2 of 3 nodes remain): not a risk at all.
    # newsletter-service: marketing-newsletter (tier 4) 300 x 4 = 1,200, after every
    #   tier-1 single point of failure (it takes no tier-1 service down).
    start = datetime.now(UTC) - timedelta(days=30)
    events = []
    for name, times in (
        ("payment-gateway", 3),
        ("dns", 1),
        ("db-01", 5),
        ("newsletter-service", 4),
    ):
        for i in range(times):
            at = start + timedelta(days=i + 1)
            events += [
                StatusEvent(name, State.DOWN, at, "tests"),
                StatusEvent(name, State.OK, at + timedelta(minutes=10), "tests"),
            ]
    demo_store.record_events(events)
    rows = json.loads(bsm(demo_store, "report", "risks", "--top", "500", "--json").output)
    names = [r["component"] for r in rows]
    assert names[:5] == ["payment-gateway", "eu-central-1", "k8s-control-plane", "k8s-prod", "dns"]
    assert rows[0]["exposure"] == 70_500 and rows[0]["failures"] == 3
    assert rows[4]["revenue_per_hour"] == 32_000
    assert "db-01" not in names
    newsletter = names.index("newsletter-service")
    assert rows[newsletter]["exposure"] == 1_200
    flags = [r["tier1_spof"] for r in rows]
    assert flags == sorted(flags, reverse=True)  # every tier-1 SPOF before any other risk
    assert not rows[newsletter]["tier1_spof"]
    text = bsm(demo_store, "report", "risks").output
    assert text.splitlines()[0] == (
        "1. payment-gateway: tier-1 single point of failure; takes down online-checkout"
        " and payments ($23,500/h), 3 failures in the history; a second payment-gateway would"
        " protect $23,500/h"
    )
    pdf = tmp_path / "risks.pdf"
    assert bsm(demo_store, "report", "risks", "--pdf", str(pdf)).exit_code == 0
    tool = shutil.which("pdftotext")
    if tool is not None:  # the PDF's text is checked in test_sla_report where it must be
        flat = " ".join(
            subprocess.run(
                [tool, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
            ).stdout.split()
        )
        assert "a second payment-gateway would protect $23,500/h" in flat
        assert "/h/h" not in flat
        assert flat.index("payment-gateway") < flat.index("eu-central-1")
    answer = Conversation(ModelService(demo_store)).ask("top risks")
    assert answer.intent == "risks" and answer.summary.startswith("Top risk: payment-gateway")
