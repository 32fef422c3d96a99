"""`bsm sync ...` and `bsm changes` through the real click commands."""

from __future__ import annotations

from typing import Any

import click
from click.testing import CliRunner

from bot.cli.sync import register
from store import Store
from store.sync import MapSync


def bsm() -> click.Group:
    group = click.Group("bsm")
    register(group)
    return group


def invoke(store: Store, *args: str) -> Any:
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(bsm(), [*args, "--db", url], catch_exceptions=False)


def test_add_list_sync_and_changes(store: Store, server: Any, api: Any) -> None:
    server.json(
        "/api/dependencies", api.jaeger([("frontend", "checkout", 9), ("checkout", "db", 4)])
    )

    added = invoke(store, "sync", "add", "jaeger", "jaeger", server.url, "--every", "15m")
    listed = invoke(store, "sync", "list")
    dry = invoke(store, "sync", "jaeger", "--dry-run")
    assert store.map_version() == 0
    synced = invoke(store, "sync", "jaeger")
    changes = invoke(store, "changes", "--since", "1h")

    assert added.exit_code == 0 and "every 15m" in added.output
    assert "jaeger (jaeger)" in listed.output and "every 15m" in listed.output
    assert "Dry run of jaeger: nothing written" in dry.output and "checkout -> db" in dry.output
    assert (
        synced.exit_code == 0 and "+3 / -0 / ~0 components, +2 / -0 dependencies" in synced.output
    )
    assert "+3 / -0 components, +2 / -0 dependencies from 1 syncs" in changes.output
    assert "frontend -> checkout" in changes.output


def test_held_sync_is_listed_and_confirmed(store: Store, server: Any, api: Any) -> None:
    calls = [(f"a{i}", f"b{i}", 1) for i in range(5)]
    server.json("/api/dependencies", api.jaeger(calls))
    invoke(store, "sync", "add", "jaeger", "jaeger", server.url, "--grace", "0s")
    invoke(store, "sync", "jaeger")
    server.json("/api/dependencies", api.jaeger(calls[:2]))

    held = invoke(store, "sync", "jaeger")
    run_id = MapSync(store).pending()[0].id
    listed = invoke(store, "sync", "list")
    confirmed = invoke(store, "sync", "confirm", str(run_id), "--as", "admin")

    assert "Held jaeger: it drops 60% of what it reported (limit 20%)" in held.output
    assert f"bsm sync confirm {run_id}" in listed.output
    assert confirmed.exit_code == 0
    assert "9 now stale" in confirmed.output  # three edges and the six services at their ends
    assert MapSync(store).pending() == []


def test_unknown_source_suggests_the_close_name(store: Store, server: Any) -> None:
    invoke(store, "sync", "add", "backstage-prod", "backstage", server.url)

    result = invoke(store, "sync", "backstage-prd")

    assert result.exit_code == 1
    assert "no sync source 'backstage-prd' (did you mean 'backstage-prod'?)" in result.output


def test_unreachable_source_exits_non_zero_with_the_reason(store: Store) -> None:
    result = invoke(store, "sync", "http://127.0.0.1:9/api/dependencies")

    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/api/dependencies" in result.output
