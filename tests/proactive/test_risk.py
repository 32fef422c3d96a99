"""`bsm risk` and the chat preview on the demo map, against answers worked out by hand.

Hand reading of store/demo/demo.yaml for db-03 (member of orders-db-cluster, 3 nodes, min 2):
- db-03 alone: the cluster holds with 2 of 3, so orders-db is degraded (a lost member
  degrades its dependant), and with it Online Checkout (checkout-api -> orders-db), Order
  Fulfilment (fulfilment-service -> orders-api -> orders-db), Customer Support (support-portal
  -> orders-api) and Internal Reporting (soft etl-jobs -> orders-db). Nothing goes down.
  The cluster is left at its minimum: one more node down takes orders-db down, so the first
  three go down (all hard paths); Internal Reporting only through a soft edge, so it is not
  at risk (it stays degraded).
- with db-01 already down: the cluster falls (1 of 3), the three go down, Internal
  Reporting is degraded, nothing is left at a minimum, and db-01 is an overlapping failure.
Service hours (Europe/Berlin, UTC+1 in December): Fulfilment Mon-Sat 06-22, Support Mon-Fri
08-20 and Sat 09-14, Reporting Mon-Fri 08-18, Checkout 24x7.
- Sat 2026-12-05 02:00-04:00 UTC (03-05 Berlin): only Checkout is in its hours.
- Wed 2026-12-09 10:00-12:00 UTC (11-13 Berlin): all four are.
Overrun budget: an overrun as long as the window, right after it, in scheduled seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from handlers.conversation import Conversation
from impact.model import MaintenanceWindow, State, StatusEvent
from impact.windows import WindowError, parse_when
from services.model import ModelService
from services.risk import preview_risk
from store import Store

SATURDAY = datetime(2026, 12, 5, 2, tzinfo=UTC)
WEDNESDAY = datetime(2026, 12, 9, 10, tzinfo=UTC)
TWO_HOURS = timedelta(hours=2)
ORDERS = {"online-checkout", "order-fulfilment", "customer-support"}
ALL_FOUR = ORDERS | {"internal-reporting"}
CHANNELS = ["#inc-checkout", "#inc-data", "#inc-fulfilment", "#inc-support"]
DECEMBER_S = 31 * 86400


def _preview(store: Store, start: datetime) -> dict[str, object]:
    model = ModelService(store).current().model
    return preview_risk(store, model, ["db-03"], start, start + TWO_HOURS).to_dict()


def _fail_db01(store: Store) -> None:
    store.record_events([StatusEvent("db-01", State.DOWN, SATURDAY - timedelta(days=3))])


def test_outside_service_hours_without_failures(demo_store: Store) -> None:
    found = _preview(demo_store, SATURDAY)
    assert found["down"] == []
    assert set(found["degraded"]) == ALL_FOUR  # type: ignore[arg-type]
    assert set(found["at_risk"]) == ORDERS  # type: ignore[arg-type]
    assert found["in_service_hours"] == ["online-checkout"]
    assert found["budget_s"] == {}
    assert found["overlaps"] == {"maintenance": [], "failures": []}
    assert found["notify"]["channels"] == CHANNELS  # type: ignore[index]
    [margin] = found["margins"]  # type: ignore[misc]
    assert (margin["group"], margin["up"], margin["required"]) == ("orders-db-cluster", 2, 2)


def test_inside_service_hours_without_failures(demo_store: Store) -> None:
    found = _preview(demo_store, WEDNESDAY)
    assert set(found["at_risk"]) == ORDERS  # type: ignore[arg-type]
    assert set(found["in_service_hours"]) == ALL_FOUR  # type: ignore[arg-type]
    assert found["budget_s"] == {}


def test_outside_service_hours_with_a_current_failure(demo_store: Store) -> None:
    _fail_db01(demo_store)
    found = _preview(demo_store, SATURDAY)
    assert set(found["down"]) == ORDERS  # type: ignore[arg-type]
    assert found["degraded"] == ["internal-reporting"]
    assert found["at_risk"] == []
    assert found["in_service_hours"] == ["online-checkout"]
    # overrun Sat 04:00-06:00 UTC: Checkout 2 h; Fulfilment from 05:00 UTC (06:00 Berlin) 1 h;
    # Support opens 08:00 UTC on Saturdays: nothing
    assert found["budget_s"] == {
        "online-checkout": 7200.0,
        "order-fulfilment": 3600.0,
        "customer-support": 0.0,
    }
    # Checkout's December budget: 0.05 % of 31 days = 1339.2 s
    share = found["budget_share"]["online-checkout"]  # type: ignore[index]
    assert share == pytest.approx(7200 / (0.0005 * DECEMBER_S))
    assert found["overlaps"]["failures"] == ["db-01"]  # type: ignore[index]


def test_inside_service_hours_with_a_current_failure(demo_store: Store) -> None:
    _fail_db01(demo_store)
    found = _preview(demo_store, WEDNESDAY)
    assert set(found["in_service_hours"]) == ALL_FOUR  # type: ignore[arg-type]
    # overrun Wed 12:00-14:00 UTC (13-15 Berlin): inside every schedule
    assert found["budget_s"] == dict.fromkeys(sorted(ORDERS), 7200.0)
    # Fulfilment's December: 27 days that are not Sundays x 16 h, 0.5 % of it = 7776 s
    share = found["budget_share"]["order-fulfilment"]  # type: ignore[index]
    assert share == pytest.approx(7200 / (0.005 * 27 * 16 * 3600))


def test_an_overlapping_window_on_the_same_group_is_taken_down_too(demo_store: Store) -> None:
    demo_store.add_maintenance(
        MaintenanceWindow("db-01", SATURDAY - timedelta(hours=1), SATURDAY + timedelta(hours=1))
    )
    demo_store.add_maintenance(  # on the same group but another night: no overlap
        MaintenanceWindow(
            "db-02", SATURDAY + timedelta(days=1), SATURDAY + timedelta(days=1, hours=1)
        )
    )
    found = _preview(demo_store, SATURDAY)
    [window] = found["overlaps"]["maintenance"]  # type: ignore[index]
    assert window["component"] == "db-01"
    assert set(found["down"]) == ORDERS  # type: ignore[arg-type]


def test_cli_json_and_text(demo_store: Store) -> None:
    url = demo_store.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    args = ["risk", "db-03", "--at", "2026-12-05T02:00Z", "--for", "2h", "--db", url]
    result = runner.invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert set(found["at_risk"]) == ORDERS
    assert found["in_service_hours"] == ["online-checkout"]
    text = runner.invoke(main, [*args, "--no-color"])
    assert text.exit_code == 0, text.output
    assert "orders-db-cluster: 2 of 3 up, needs 2" in text.output
    bad = runner.invoke(main, ["risk", "db-03", "--at", "funday 02:00", "--db", url])
    assert bad.exit_code != 0 and "funday" in bad.output


def test_chat_what_if_with_a_time_is_a_preview(demo_store: Store) -> None:
    conversation = Conversation(ModelService(demo_store))
    answer = conversation.ask("what if we take db-03 down saturday 02:00 for 2h?", origin="cli")
    assert answer.intent == "risk", answer.summary
    assert set(answer.data["at_risk"]) == ORDERS
    start = datetime.fromisoformat(answer.data["start"])
    assert start.weekday() == 5 and (start.hour, start.minute) == (2, 0)
    assert datetime.fromisoformat(answer.data["end"]) - start == TWO_HOURS
    plain = conversation.ask("what if db-03 goes down?", origin="cli")
    assert plain.intent == "whatif"  # without a time it stays the plain what-if


NOW = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("saturday 02:00", datetime(2026, 12, 5, 2, tzinfo=UTC)),
        ("sat 02:00", datetime(2026, 12, 5, 2, tzinfo=UTC)),
        ("tomorrow 02:00", datetime(2026, 12, 3, 2, tzinfo=UTC)),
        ("wednesday 10:00", datetime(2026, 12, 9, 10, tzinfo=UTC)),  # today's has passed
        ("wed 20:00", datetime(2026, 12, 2, 20, tzinfo=UTC)),
        ("today 22:00", datetime(2026, 12, 2, 22, tzinfo=UTC)),
        ("now", NOW),
        ("2026-12-05T02:00Z", datetime(2026, 12, 5, 2, tzinfo=UTC)),
        ("2026-12-05", datetime(2026, 12, 5, tzinfo=UTC)),
    ],
)
def test_when_reader(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


def test_when_reader_names_what_it_cannot_read() -> None:
    with pytest.raises(WindowError, match="funday"):
        parse_when("funday 02:00", NOW)
    with pytest.raises(WindowError, match="25:00"):
        parse_when("saturday 25:00", NOW)
