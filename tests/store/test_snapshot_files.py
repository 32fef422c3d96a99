"""The snapshot file beside an SQLite database: used only while it is the row's (version,
size, checksum) and intact, else the database's copy or a compile takes over.

The reference is a fresh compile of the same map (`ImpactModel.from_map`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import update

from impact.engine import ImpactModel
from services.model import ModelService
from store import Store, load_map_file
from store.snapshots import FILE_HEADER, SnapshotRow
from tests.store.test_snapshots import same_answers

DEMO = Path(__file__).resolve().parents[2] / "store" / "demo" / "demo.yaml"


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Store, int, Path]:
    """An SQLite store with the demo map, its snapshot saved by a first process."""
    store = Store(f"sqlite:///{tmp_path / 'bsm.db'}")
    store.import_map(load_map_file(DEMO), actor="tests")
    first = ModelService(store)
    version = first.current().version
    first.flush()
    path = store.snapshots.path(version)
    assert path is not None and path.exists()
    return store, version, path


def restart(store: Store) -> ModelService:
    """A second process: its model, checked against a fresh compile of the map."""
    models = ModelService(store)
    same_answers(models.current().model, ImpactModel.from_map(store.load_map()))
    return models


def sources(store: Store, version: int) -> list[str]:
    return [copy.source for copy in store.snapshots.copies(version) if copy.intact()]


def test_the_file_beside_the_database_holds_the_rows_bytes(saved: tuple[Store, int, Path]):
    store, version, path = saved
    assert path == Path(store.engine.url.database or "").absolute().with_name(
        f"bsm.db.snapshot-{version}"
    )
    assert path.read_bytes()[FILE_HEADER:] == store.snapshots.load(version)
    assert sources(store, version) == ["file", "database"]
    assert [p.name for p in path.parent.iterdir() if ".tmp" in p.name] == []  # renamed


def test_a_restart_loads_the_file_without_the_rows_bytes(saved: tuple[Store, int, Path]):
    store, version, _ = saved
    with store.engine.begin() as connection:  # the row's bytes damaged: the file serves
        connection.execute(update(SnapshotRow).values(data=b"torn"))
    assert restart(store).loaded_from_snapshot == [version]


@pytest.mark.parametrize("damage", ["flipped", "torn", "missing", "header", "empty"])
def test_a_damaged_or_missing_file_gives_way_to_the_database_copy(
    saved: tuple[Store, int, Path], damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    store, version, path = saved
    data = bytearray(path.read_bytes())
    if damage == "flipped":  # one byte of an array altered: only the checksum sees it
        data[-1] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "torn":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "missing":
        path.unlink()
    elif damage == "header":  # another checksum in the header: not the row's snapshot
        data[40] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(b"")
    assert sources(store, version) == ["database"]
    with caplog.at_level(logging.WARNING, logger="services.model"):
        models = restart(store)
    assert models.loaded_from_snapshot == [version]
    assert models.compiled_versions == []
    if damage == "flipped":
        assert f"snapshot file of map version {version} damaged" in caplog.text


def test_both_copies_damaged_compile_again(saved: tuple[Store, int, Path]) -> None:
    store, version, path = saved
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with store.engine.begin() as connection:
        connection.execute(update(SnapshotRow).values(data=b"torn"))
    assert store.snapshots.load(version) is None
    models = restart(store)
    assert models.loaded_from_snapshot == [] and models.compiled_versions == [version]


def test_a_file_of_another_snapshot_of_the_same_version_is_not_used(
    saved: tuple[Store, int, Path],
) -> None:
    """The file is keyed by version and checksum: a row saved anew (another database's
    snapshot of that version, restored from a backup) does not read the old file."""
    store, version, path = saved
    other = ImpactModel.from_map(load_map_file(DEMO)).to_snapshot({"other": True})
    kept = path.read_bytes()
    store.snapshots.save(version, other)
    path.write_bytes(kept)  # the file of the snapshot before
    assert sources(store, version) == ["database"]
    assert store.snapshots.load(version) == other


def test_old_files_go_with_their_rows(saved: tuple[Store, int, Path]) -> None:
    store, version, path = saved
    data = store.snapshots.load(version)
    assert data is not None
    for later in (version + 1, version + 2):
        store.snapshots.save(later, data)
    assert store.snapshots.versions() == [version + 1, version + 2]
    assert not path.exists()
    names = sorted(p.name for p in path.parent.iterdir() if ".snapshot-" in p.name)
    assert names == [f"bsm.db.snapshot-{version + 1}", f"bsm.db.snapshot-{version + 2}"]


def test_a_file_that_cannot_be_written_leaves_the_database_copy(
    saved: tuple[Store, int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, version, path = saved
    data = store.snapshots.load(version)
    assert data is not None
    path.unlink()

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    store.snapshots.save(version, data)
    monkeypatch.undo()
    assert not path.exists()
    assert [p.name for p in path.parent.iterdir() if ".tmp" in p.name] == []
    assert sources(store, version) == ["database"]
    assert restart(store).loaded_from_snapshot == [version]


def test_a_database_in_memory_keeps_no_file() -> None:
    memory = Store("sqlite:///:memory:")  # one connection per thread: saved in this one
    memory.import_map(load_map_file(DEMO), actor="tests")
    version = memory.map_version()
    memory.snapshots.save(version, ImpactModel.from_map(memory.load_map()).to_snapshot())
    assert memory.snapshots.path(version) is None
    assert sources(memory, version) == ["database"]


def test_postgresql_keeps_the_database_copy_only(store: Store) -> None:
    """`store` runs on an SQLite file and on PostgreSQL; the file is for the former only."""
    store.import_map(load_map_file(DEMO), actor="tests")
    models = ModelService(store)
    version = models.current().version
    models.flush()
    has_file = store.engine.dialect.name == "sqlite"
    assert (store.snapshots.path(version) is not None) == has_file
    assert sources(store, version) == (["file", "database"] if has_file else ["database"])
    assert restart(store).loaded_from_snapshot == [version]


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_random_map_read_from_its_mapped_file_answers_as_a_fresh_compile(
    tmp_path: Path, seed: int
) -> None:
    import random

    from tests.store.test_snapshots import random_map

    service_map = random_map(random.Random(seed), 80)
    store = Store(f"sqlite:///{tmp_path / 'bsm.db'}")
    store.snapshots.save(7, ImpactModel.from_map(service_map).to_snapshot())
    copy = next(iter(store.snapshots.copies(7)))
    assert copy.source == "file" and isinstance(copy.data, memoryview)
    model = ImpactModel.from_snapshot(copy.data)
    assert copy.intact()
    same_answers(model, ImpactModel.from_map(service_map))
