"""Follow-ups in the terminal: `bsm ask --session NAME` and `bsm shell` (one session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main


def test_ask_with_a_session_answers_a_follow_up(
    demo_db_url: str, ask_cli: Callable[..., Any]
) -> None:
    ask_cli(["--json", "--session", "night-shift", "what does orders-api depend on"], demo_db_url)
    answer = ask_cli(["--json", "--session", "night-shift", "who owns it?"], demo_db_url)
    assert answer["intent"] == "owner" and answer["subjects"] == ["orders-api"]
    assert answer["summary"] == "orders-api is owned by checkout-team"  # store/demo/demo.yaml
    alone = ask_cli(["--json", "--session", "another", "who owns it?"], demo_db_url)
    assert alone["ok"] is False and "no earlier answer" in alone["summary"]


def test_shell_keeps_one_session(
    demo_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # the readline history file
    typed = "what does payments-api depend on\nwho owns it?\nquit\n"
    result = CliRunner().invoke(main, ["shell", "--db", demo_db_url, "--no-color"], input=typed)
    assert result.exit_code == 0, result.output
    assert "payments-api is owned by payments-team" in result.output


def test_ask_with_a_session_goes_on_with_more(
    demo_db_url: str, ask_cli: Callable[..., Any]
) -> None:
    # The demo map gives Online Checkout 31 single points of failure: 10 shown, then 10 more.
    first = ask_cli(["--json", "--session", "pages", "spofs for online checkout"], demo_db_url)
    assert first["more"] == "more page 2: spofs for online checkout"
    second = ask_cli(["--json", "--session", "pages", "more"], demo_db_url)
    assert second["page"]["number"] == 2
    [page] = second["page"]["items"].values()
    assert page == first["spofs"][10:20]  # the next ten, in the first answer's order
    # the continuation itself works without a session, as a Slack button value does
    again = ask_cli(["--json", "more page 2: spofs for online checkout"], demo_db_url)
    assert again["page"] == second["page"]
    alone = ask_cli(["--json", "more"], demo_db_url)
    assert alone["ok"] is False and alone["summary"].startswith("Nothing to continue")


def test_shell_shows_more_of_a_completed_follow_up(
    demo_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    typed = "who owns online checkout\nsingle points of failure for it?\nmore\nquit\n"
    result = CliRunner().invoke(main, ["shell", "--db", demo_db_url, "--no-color"], input=typed)
    assert result.exit_code == 0, result.output
    assert 'Show more: "more"' in result.output
    assert "More of: single points of failure for online-checkout" in result.output
    assert "Single points of failure (11-20 of 31)" in result.output
