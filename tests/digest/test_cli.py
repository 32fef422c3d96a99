"""`bsm sla --json` with hand-computed numbers; `bsm events import` errors and atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from digest_data import SMALL_MAP, at

from bot.cli import main
from bot.cli import sla as sla_cli
from store import Store
from store.mapfile import parse_map

if "sla" not in main.commands:
    sla_cli.register(main)


def bsm(store: Store, *args: str) -> Result:
    url = store.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(main, [*args, "--db", url], catch_exceptions=False)


def test_sla_json_matches_the_hand_computed_numbers(small_store: Store) -> None:
    result = bsm(small_store, "sla", "shop", "--from", "2026-11-01", "--to", "2026-11-03", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["scheduled_s"] == 172_800
    assert report["excluded_s"] == 0
    assert report["downtime_s"] == 2_400  # 30 min + the 10 min of the second outage inside
    assert report["availability"] == pytest.approx((172_800 - 2_400) / 172_800 * 100)
    assert report["target"] == 99.0
    assert report["error_budget_s"] == pytest.approx(1_728)
    assert report["error_budget_left_s"] == pytest.approx(-672)
    assert report["incidents"] == 2
    assert report["mttr_s"] == pytest.approx(1_200)


def test_sla_counts_maintenance_as_excluded(small_store: Store) -> None:
    from impact.model import MaintenanceWindow

    small_store.add_maintenance(
        MaintenanceWindow("shop-db", at("2026-11-02T10:00:00"), at("2026-11-02T10:20:00"))
    )
    result = bsm(small_store, "sla", "shop", "--from", "2026-11-01", "--to", "2026-11-03", "--json")
    report = json.loads(result.output)
    assert report["excluded_s"] == 1_200
    assert report["downtime_s"] == 1_200  # 10 of the first 30 min + 10 of the second outage


def test_sla_without_name_lists_every_service_worst_first(small_store: Store) -> None:
    result = bsm(small_store, "sla", "--from", "2026-11-01", "--to", "2026-11-03", "--json")
    reports = json.loads(result.output)
    assert [r["service"] for r in reports] == ["shop", "reports"]
    assert reports[1]["availability"] == 100.0

    text = bsm(small_store, "sla", "--from", "2026-11-01", "--to", "2026-11-03").output
    assert text.splitlines()[0].startswith("shop: 98.611% (target 99%, MISSED)")


def test_sla_of_an_unknown_service_suggests_the_right_name(small_store: Store) -> None:
    result = CliRunner().invoke(main, ["sla", "shp", "--db", _url(small_store)])
    assert result.exit_code == 1
    assert "unknown business service 'shp'; did you mean shop?" in result.output


def test_sla_window_with_no_events_is_no_data(small_store: Store) -> None:
    result = bsm(small_store, "sla", "shop", "--from", "2026-10-01", "--to", "2026-10-02", "--json")
    assert json.loads(result.output)["availability"] is None


def test_events_import_writes_nothing_and_lists_every_bad_row(store: Store, tmp_path: Path) -> None:
    store.import_map(parse_map(_map_text()), actor="tests")
    path = tmp_path / "history.csv"
    path.write_text(
        "component,state,at,summary\n"
        "shop-db,down,2026-11-02T10:00:00Z,disk full\n"
        "shop-bd,down,2026-11-02T10:05:00Z\n"
        "shop-db,broken,2026-11-02T10:06:00Z\n"
        "shop-db,ok,2026-11-02 10:30\n"
        "shop-db,ok\n"
    )
    result = CliRunner().invoke(
        main, ["events", "import", str(path), "--db", _url(store)], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "4 bad rows, nothing imported" in result.output
    assert "line 3: unknown component 'shop-bd'; did you mean shop-db?" in result.output
    assert "line 4: unknown state 'broken'" in result.output
    assert "line 5: time '2026-11-02 10:30' has no timezone" in result.output
    assert "line 6: 2 columns" in result.output
    assert store.events() == []  # the good row on line 2 was not written either


def test_events_import_without_header_is_idempotent(store: Store, tmp_path: Path) -> None:
    store.import_map(parse_map(_map_text()), actor="tests")
    path = tmp_path / "history.csv"
    path.write_text(
        "shop-db,down,2026-11-02T10:00:00Z,disk full\nSHOP-DB,ok,2026-11-02T10:30:00+00:00\n"
    )
    first = CliRunner().invoke(main, ["events", "import", str(path), "--db", _url(store)])
    assert "imported 2 events" in first.output, first.output
    again = CliRunner().invoke(main, ["events", "import", str(path), "--db", _url(store)])
    assert "imported 0 events" in again.output and "(2 already stored)" in again.output
    events = store.events()
    assert [(e.component, e.state.value, e.summary) for e in events] == [
        ("shop-db", "down", "disk full"),
        ("shop-db", "ok", None),
    ]


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _map_text() -> str:
    return SMALL_MAP


def test_sla_text_shows_durations_and_reads_moments_with_the_one_grammar(
    small_store: Store,
) -> None:
    text = bsm(small_store, "sla", "shop", "--from", "2026-11-01", "--to", "2026-11-03").output
    assert "downtime 40m," in text and "MTTR 20m" in text
    bad = CliRunner().invoke(main, ["sla", "shop", "--from", "soon", "--db", small_store.url])
    assert bad.exit_code == 2
    assert "'soon' is not an ISO date or datetime, e.g. 2026-11-01" in bad.output
