"""Finding 8: a malformed database URL never shows its password in a CLI error or traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main

PASSWORD = "s3cret-Pw-9137"
MALFORMED = [
    f"postgresql+psycopg://bsm:{PASSWORD}@db.example:notaport/bsm",  # port is not a number
    f"postgresql+psycopg://bsm:{PASSWORD}@/bsm?host=/nonexistent-socket-dir&connect_timeout=1",
]
COMMANDS = [["db", "upgrade"], ["map", "summary"], ["incidents"], ["ask", "status"]]


@pytest.mark.parametrize("url", MALFORMED)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_limits_cli_never_prints_the_database_password(command: list[str], url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, command, env={"BSM_DATABASE_URL": url})
    assert result.exit_code != 0
    shown = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert PASSWORD not in shown
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if command != ["incidents"]:  # the others also take --db
        given = runner.invoke(main, [*command, "--db", url])
        assert given.exit_code != 0 and PASSWORD not in given.output
