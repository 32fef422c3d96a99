"""`bsm ask` in a terminal is the trusted local operator: changes pass, audited as cli."""

from __future__ import annotations

import re

from click.testing import CliRunner

from bot.cli import main
from store import Store


def test_terminal_changes_are_allowed_and_audited_as_the_local_operator(
    demo_store: Store, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("BSM_ADMINS", raising=False)
    url = demo_store.engine.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(main, ["ask", "--db", url, "maintenance db-03 for 45m patching"])

    assert result.exit_code == 0, result.output
    assert re.search(r"Maintenance #\d+ on db-03 until", result.output)
    [entry] = demo_store.audit_log(limit=1)
    assert (entry.action, entry.origin) == ("maintenance.add", "cli")
    assert entry.actor.startswith("local:")
