"""The schema revision read without Alembic (a store at head never imports it) is the one
Alembic itself reads: the head of the scripts, and the database's current revision."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from store import Store, database


def _alembic_head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_the_head_is_alembics_head() -> None:
    assert database.head_revision(create_engine("sqlite://")) == _alembic_head()


def test_a_branch_is_left_to_alembic(tmp_path: Path, monkeypatch) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, down in (("a", None), ("b", '"a"'), ("c", '"a"')):  # two heads: b and c
        text = f'revision = "{name}"\ndown_revision = {down or "None"}\n'
        (versions / f"{name}.py").write_text(text)
    asked: list[str] = []
    monkeypatch.setattr(database, "_alembic_head", lambda location: asked.append(location))
    database._head(str(tmp_path))
    assert asked == [str(tmp_path)]


def test_the_current_revision_is_alembics(store: Store) -> None:
    with store.engine.connect() as connection:
        expected = MigrationContext.configure(connection).get_current_revision()
    assert expected == _alembic_head()
    assert database.current_revision(store.engine) == expected


def test_a_new_database_has_no_revision(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert database.current_revision(engine) is None
