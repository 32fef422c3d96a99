"""`bsm sync` reads `BSM_OUTBOUND_ALLOW` and refuses hosts outside it (issue 13, finding 3)."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))  # outbound_servers

from outbound_servers import answer, serving

from bot.cli import main as cli

MAP = b"version: 1\ncomponents:\n  - name: web\n"


def test_outbound_cli_sync_refuses_a_host_outside_the_allow_list(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bsm.db'}"
    runner = CliRunner()
    with serving(answer(200, MAP)) as (source, seen):
        env = {"BSM_DATABASE_URL": db, "BSM_OUTBOUND_ALLOW": "192.0.2.0/24"}
        refused = runner.invoke(cli, ["sync", "run", f"{source}/m.yaml", "--dry-run"], env=env)
        assert seen == []
        env["BSM_OUTBOUND_ALLOW"] = "127.0.0.1"
        allowed = runner.invoke(cli, ["sync", "run", f"{source}/m.yaml", "--dry-run"], env=env)

    assert refused.exit_code == 1
    assert "outside the outbound allow-list (BSM_OUTBOUND_ALLOW)" in refused.output
    assert allowed.exit_code == 0, allowed.output
    assert seen == ["/m.yaml"]
