"""`maintenance` warns when a window leaves a group at its minimum or overlaps another one
on the same group (demo map: orders-db-cluster, db-01..db-03, needs 2)."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main
from handlers.conversation import Conversation
from services.model import ModelService
from store import Store


def test_chat_warns_about_the_minimum_then_about_the_overlap(demo_store: Store) -> None:
    asker = Conversation(ModelService(demo_store))
    first = asker.ask("maintenance db-03 for 1h patching", origin="cli")
    assert first.ok, first.summary
    [warning] = first.data["warnings"]
    assert warning.startswith("orders-db-cluster is left at its minimum (2 of 3, needs 2)")
    second = asker.ask("maintenance db-02 for 30m", origin="cli")
    warnings = second.data["warnings"]
    assert any(
        "takes online-checkout, order-fulfilment, customer-support down" in w for w in warnings
    )
    assert any(w.startswith("it overlaps maintenance #") and "db-03" in w for w in warnings)
    assert len(demo_store.maintenance_windows()) == 2  # warned, and created


def test_no_warning_where_redundancy_is_not_touched(demo_store: Store) -> None:
    answer = Conversation(ModelService(demo_store)).ask(
        "maintenance bastion-01 for 1h", origin="cli"
    )
    assert answer.ok and answer.data["warnings"] == []


def test_cli_prints_the_warning(demo_store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(
        "BSM_DATABASE_URL", demo_store.engine.url.render_as_string(hide_password=False)
    )
    result = CliRunner().invoke(main, ["maintenance", "add", "db-03", "--for", "1h"])
    assert result.exit_code == 0, result.output
    assert "warning: orders-db-cluster is left at its minimum" in result.output
