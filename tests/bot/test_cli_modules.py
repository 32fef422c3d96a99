"""The CLI modules share one options module and import no private names from each other."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "bot" / "cli"


def cli_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from bot.cli.X import name` in `path`, lazy ones included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.cli.")
        for alias in node.names
    ]


def test_no_private_names_cross_cli_modules() -> None:
    private = {
        path.name: [f"{m}.{n}" for m, n in cli_imports(path) if n.startswith("_")]
        for path in CLI.glob("*.py")
    }
    assert {k: v for k, v in private.items() if v} == {}


def test_shared_options_come_from_the_options_module() -> None:
    shared = {"DB_OPTION", "open_store", "use_color", "DURATION", "moment"}
    elsewhere = {
        path.name: sorted(f"{m}.{n}" for m, n in cli_imports(path) if n in shared)
        for path in CLI.glob("*.py")
    }
    wrong = {
        k: [i for i in v if not i.startswith("bot.cli.options.")] for k, v in elsewhere.items()
    }
    assert {k: v for k, v in wrong.items() if v} == {}
    assert not any(m == "bot.cli.ask" for m, _ in cli_imports(CLI / "sla.py"))
