"""The layering promise: imports point inward (impact <- store <- handlers <- bot)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level modules it must never import
FORBIDDEN = {
    "impact": {
        "store",
        "handlers",
        "bot",
        "slack_bolt",
        "slack_sdk",
        "sqlalchemy",
        "alembic",
        "httpx",
    },
    "store": {"handlers", "bot", "slack_bolt", "slack_sdk"},
    "handlers": {"bot", "slack_bolt", "slack_sdk"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_inward(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_slack_only_in_bot() -> None:
    slack_users = [
        str(path.relative_to(ROOT))
        for package in ("impact", "store", "handlers")
        for path in (ROOT / package).rglob("*.py")
        if imported_roots(path) & {"slack_bolt", "slack_sdk"}
    ]
    assert slack_users == []
