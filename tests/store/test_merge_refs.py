"""A merge import may reference components already stored; a replace stands alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from impact.model import Component, Dependency, DependencyKind, ServiceMap
from store import MapValidationError, Store

TEAM = "version: 1\ncomponents:\n  - {name: team-api, depends_on: [%s]}\n"


def bsm(store: Store, *args: str) -> tuple[int, str]:
    url = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, list(args), env={"BSM_DATABASE_URL": url})
    return result.exit_code, result.output


def team_file(tmp_path: Path, target: str) -> str:
    path = tmp_path / "team.yaml"
    path.write_text(TEAM % target)
    return str(path)


def edges(store: Store) -> set[tuple[str, str]]:
    return {(d.source, d.target) for d in store.load_map().dependencies}


def test_cli_merge_references_a_stored_component(demo_store: Store, tmp_path: Path) -> None:
    code, output = bsm(demo_store, "import", team_file(tmp_path, "dns"))
    assert code == 0, output
    assert ("team-api", "dns") in edges(demo_store)
    assert "dns" in demo_store.load_map().components  # untouched, still there


def test_cli_merge_typo_is_refused_with_a_hint(demo_store: Store, tmp_path: Path) -> None:
    version = demo_store.map_version()
    code, output = bsm(demo_store, "import", team_file(tmp_path, "dsn"))
    assert code != 0
    assert "unknown component 'dsn'" in output and "did you mean 'dns'" in output
    assert demo_store.map_version() == version
    assert "team-api" not in demo_store.load_map().components


def test_cli_replace_validates_the_file_alone(demo_store: Store, tmp_path: Path) -> None:
    version = demo_store.map_version()
    code, output = bsm(demo_store, "import", "--replace", team_file(tmp_path, "dns"))
    assert code != 0
    assert "unknown component 'dns'" in output
    assert demo_store.map_version() == version


def _team_map(target: str) -> ServiceMap:
    return ServiceMap.build(
        [Component("team-api")], [Dependency("team-api", target, DependencyKind.HARD)]
    )


def test_store_merge_references_a_stored_component(demo_store: Store) -> None:
    report = demo_store.import_map(_team_map("dns"))
    assert report.changed
    assert ("team-api", "dns") in edges(demo_store)


@pytest.mark.parametrize("checked", [False, True])
def test_store_merge_typo_and_replace_are_refused(demo_store: Store, checked: bool) -> None:
    version = demo_store.map_version()
    with pytest.raises(MapValidationError, match="did you mean 'dns'"):
        demo_store.import_map(_team_map("dsn"), checked=checked)
    with pytest.raises(MapValidationError, match="unknown component 'dns'"):
        demo_store.import_map(_team_map("dns"), replace=True, checked=checked)
    assert demo_store.map_version() == version
