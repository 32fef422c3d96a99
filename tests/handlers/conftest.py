"""Fixtures of the conversation tests: the demo map, its name index, a demo store."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import pytest

from handlers.names import NameIndex
from impact.model import ServiceMap
from store.mapfile import parse_map


@pytest.fixture(scope="session")
def demo_map() -> ServiceMap:
    return parse_map(files("store").joinpath("demo/demo.yaml").read_text("utf-8"))


@pytest.fixture(scope="session")
def demo_names(demo_map: ServiceMap) -> NameIndex:
    return NameIndex(demo_map.components.values())


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory, demo_map: ServiceMap) -> str:
    """A SQLite file holding the demo map, shared by the read-only CLI tests."""
    from store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('ask') / 'bsm.db'}"
    store = Store(url=url)
    store.import_map(demo_map, actor="tests")
    store.close()
    return url


@pytest.fixture
def ask_json(demo_db_url: str) -> Callable[[str], dict[str, Any]]:
    """Run `bsm ask --json QUESTION` on the demo map; returns the parsed JSON object."""
    return lambda question, url=demo_db_url: run_ask(["--json", question], url)


def run_ask(args: list[str], url: str, stdin: str | None = None) -> Any:
    from click.testing import CliRunner

    from bot.cli import main

    result = CliRunner().invoke(main, ["ask", "--db", url, *args], input=stdin)
    assert result.exit_code == 0, result.output
    if "--json" not in args:
        return result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return lines[0] if stdin is None else lines


@pytest.fixture
def ask_cli() -> Callable[..., Any]:
    """`run_ask` for tests that pass their own arguments or stdin."""
    return run_ask
