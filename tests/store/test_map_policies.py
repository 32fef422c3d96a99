"""The map file's `policies:` section: defaults, loader errors, storage and round trips.

Expected rules are written out by hand from the section texts below (and from the defaults
stated in impact/priority.py and impact/burn.py); line and column numbers are counted by
hand in the texts (1-based; a column is where the offending key or value starts).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from impact.burn import BurnRule
from impact.policies import DEFAULT_POLICIES, Policies, burn_rules_for
from impact.priority import PriorityRule
from store import MapValidationError, Store, export_map, load_map_file, parse_map, read_map_source

DEMO = Path(__file__).resolve().parents[2] / "store" / "demo" / "demo.yaml"

SHOP = """\
version: 1
business_services:
  - {name: shop, tier: 2, revenue_per_hour: 500, depends_on: [db]}
components:
  - {name: db, kind: database}
"""
POLICIES = """\
policies:
  priority:
    - {priority: P1, revenue_at_least: 400}
    - {priority: P2, services_at_least: 2}
    - {priority: P4, any_failing: true}
  burn:
    1:
      - {long: 2h, short: 10m, factor: 10}
    default:
      - {long: 1d, short: 2h, factor: 2.5}
"""
CUSTOM = Policies(
    priority=(
        PriorityRule("P1", revenue_at_least=400.0),
        PriorityRule("P2", services_at_least=2),
        PriorityRule("P4", any_failing=True),
    ),
    burn={
        "1": (BurnRule(7200.0, 600.0, 10.0),),
        "default": (BurnRule(86400.0, 7200.0, 2.5),),
    },
)


def bsm(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_defaults_are_todays_rules() -> None:
    assert DEFAULT_POLICIES.priority == (
        PriorityRule("P1", tier_at_most=1, revenue_at_least=10_000),
        PriorityRule("P2", tier_at_most=2, revenue_at_least=1_000, services_at_least=3),
        PriorityRule("P3", any_failing=True),
    )
    default_burn = (
        BurnRule(3600.0, 300.0, 14.4),
        BurnRule(21600.0, 1800.0, 6.0),
        BurnRule(259200.0, 21600.0, 1.0),
    )
    assert burn_rules_for(DEFAULT_POLICIES, 1) == default_burn
    assert burn_rules_for(DEFAULT_POLICIES, None) == default_burn


def test_burn_rules_per_tier_fall_back_to_the_maps_default() -> None:
    assert burn_rules_for(CUSTOM, 1) == (BurnRule(7200.0, 600.0, 10.0),)
    assert burn_rules_for(CUSTOM, 3) == (BurnRule(86400.0, 7200.0, 2.5),)
    assert burn_rules_for(CUSTOM, None) == (BurnRule(86400.0, 7200.0, 2.5),)
    only_tier = Policies(burn={"2": (BurnRule(60.0, 30.0, 3.0),)})
    assert burn_rules_for(only_tier, 4) == burn_rules_for(DEFAULT_POLICIES, 4)


def test_a_map_without_the_section_has_no_policies_and_a_part_left_out_keeps_its_default() -> None:
    assert parse_map(SHOP).policies is None
    only_priority = parse_map(
        SHOP + "policies:\n  priority:\n    - {priority: P2, tier_at_most: 3}\n"
    )
    assert only_priority.policies == Policies(priority=(PriorityRule("P2", tier_at_most=3),))
    assert only_priority.policies.burn == DEFAULT_POLICIES.burn


def test_the_demo_map_writes_the_defaults_out() -> None:
    assert load_map_file(DEMO).policies == DEFAULT_POLICIES


def test_the_section_parses_and_dumps_back_equal() -> None:
    parsed = parse_map(SHOP + POLICIES)
    assert parsed.policies == CUSTOM
    again = parse_map(export_map(parsed))
    assert again.policies == CUSTOM and again.components == parsed.components


BAD = """\
version: 1
components:
  - {name: db}
policies:
  priority:
    - {priority: P5, tier_at_most: 1}
    - {priority: P2}
    - {priority: P3, tier_at_most: 0, colour: red}
  burn:
    default:
      - {long: 5m, short: 1h, factor: 2}
      - {long: soon, short: 1m, factor: 0}
    7:
      - {long: 1h, short: 5m, factor: 1}
  escalate: true
"""


def test_every_problem_is_named_with_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(BAD)
    with pytest.raises(MapValidationError) as caught:
        read_map_source(path)
    assert [str(error) for error in caught.value.errors] == [
        f"{path}:15:3: policies.escalate: unknown key 'escalate' (allowed: burn, priority)",
        f"{path}:6:18: policies.priority[0].priority: priority must be one of P1, P2, P3, P4, "
        "got 'P5'",
        f"{path}:7:7: policies.priority[1]: a rule needs a condition: one of tier_at_most, "
        "revenue_at_least, services_at_least, any_failing",
        f"{path}:8:39: policies.priority[2].colour: unknown key 'colour' (allowed: any_failing, "
        "priority, revenue_at_least, services_at_least, tier_at_most)",
        f"{path}:8:36: policies.priority[2].tier_at_most: tier_at_most must be a tier 1 to 4, "
        "got 0",
        f"{path}:11:27: policies.burn.default[0].short: short must be a shorter window than long",
        f"{path}:12:16: policies.burn.default[1].long: long must be a window up to 366d "
        """like "5m", "1h" or "3d", got 'soon'""",
        f"{path}:12:41: policies.burn.default[1].factor: factor must be a burn rate > 0 "
        "(e.g. 14.4), got 0",
        f'{path}:13:5: policies.burn.7: a burn key is a tier 1 to 4 or "default", got 7',
    ]


def test_validate_names_the_place_and_two_files_with_policies_name_both(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SHOP + POLICIES)
    (tmp_path / "b.yaml").write_text(
        "version: 1\ncomponents:\n  - {name: cache}\n"
        "policies:\n  priority:\n    - {priority: P1, any_failing: true}\n"
    )
    code, out, _ = bsm("validate", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path / 'b.yaml'}:4:1: policies: given twice: first at {tmp_path / 'a.yaml'}:6; "
        "one file holds the policies"
    ]
    (tmp_path / "b.yaml").write_text("version: 1\ncomponents:\n  - {name: cache}\n")
    code, out, err = bsm("validate", str(tmp_path))
    assert (code, out) == (0, ""), err


def test_store_round_trip_merge_keeps_replace_drops(store: Store) -> None:
    """On SQLite and PostgreSQL."""
    assert store.policies() == DEFAULT_POLICIES
    first = store.import_map(parse_map(SHOP + POLICIES))
    assert first.policies and first.changed
    assert store.policies() == CUSTOM
    assert store.load_map().policies == CUSTOM
    assert parse_map(export_map(store.load_map())).policies == CUSTOM
    again = store.import_map(parse_map(SHOP + POLICIES))
    assert not again.changed and again.map_version == first.map_version
    audit = [e for e in store.audit_log() if e.action == "map.merge"]
    assert len(audit) == 1 and audit[0].after["policies"] == "changed"

    merged = store.import_map(parse_map(SHOP))  # a merge without the section keeps it
    assert not merged.changed and store.policies() == CUSTOM
    only_priority = parse_map(
        SHOP + "policies:\n  priority:\n    - {priority: P3, tier_at_most: 4}\n"
    )
    changed = store.import_map(only_priority)
    assert changed.policies and changed.map_version == first.map_version + 1
    assert store.policies() == Policies(priority=(PriorityRule("P3", tier_at_most=4),))

    replaced = store.import_map(parse_map(SHOP), replace=True)  # a replace makes it equal
    assert replaced.policies and store.policies() == DEFAULT_POLICIES
    assert store.load_map().policies is None
    assert "policies" not in export_map(store.load_map())


def test_diff_and_export_through_the_cli(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'bsm.db'}"
    path = tmp_path / "map.yaml"
    path.write_text(SHOP)
    assert bsm("import", str(path), "--db", db_url)[0] == 0
    path.write_text(SHOP + POLICIES)
    code, out, err = bsm("diff", str(path), "--db", db_url)
    assert code == 0, err
    assert out.splitlines()[:2] == ["~ policies: priority rules", "~ policies: burn rules"]
    code, out, _ = bsm("diff", str(path), "--db", db_url, "--format", "json")
    assert json.loads(out)["policies_changed"] == ["priority", "burn"]
    assert Store(db_url).policies() == DEFAULT_POLICIES  # a diff writes nothing
    code, out, _ = bsm("import", str(path), "--db", db_url)
    assert code == 0 and "policies:     changed" in out
    code, exported, _ = bsm("export", "--db", db_url)
    assert code == 0 and parse_map(exported).policies == CUSTOM
    assert bsm("diff", str(path), "--db", db_url)[1].strip() == (
        "No changes: the stored map already matches."
    )


@pytest.mark.parametrize("window", ["99999999999999w", "367d", "1e400s", "0s", 5])
def test_a_window_nobody_means_is_an_error_not_a_crash(window: object) -> None:
    rule = f"{{long: {window}, short: 1m, factor: 1}}"
    text = f"version: 1\npolicies:\n  burn:\n    default:\n      - {rule}\n"
    with pytest.raises(MapValidationError) as caught:
        parse_map(text)
    [error] = caught.value.errors
    assert error.location == "policies.burn.default[0].long"
