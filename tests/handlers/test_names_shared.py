"""The name index of a map is built once for the threads asking for it together (the
conversation and the snapshot saver of a freshly compiled map): `SharedIndex`."""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest

from handlers.names import NameIndex, SharedIndex
from impact.model import Component, Dependency, ServiceMap


def a_map() -> ServiceMap:
    components = [Component("db-01", title="Orders database"), Component("api"), Component("web")]
    return ServiceMap.build(components, [Dependency("api", "db-01")])


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the indexes built; `gate` (when set) holds a build until it is opened."""
    counted: list[int] = []
    build = NameIndex._build

    def counting(self: NameIndex, components: Any) -> None:
        counted.append(1)
        gate = getattr(held_back, "gate", None)  # set in the thread whose build waits
        if gate is not None:
            started.set()
            assert gate.wait(10)
        build(self, components)

    monkeypatch.setattr(NameIndex, "_build", counting)
    return counted


held_back = threading.local()
started = threading.Event()


def test_the_index_held_is_handed_out_again_and_its_tables_are_the_same(builds: list[int]) -> None:
    service_map = a_map()
    shared = SharedIndex()
    held = shared.index(service_map.components)
    assert shared.index(service_map.components) is held
    assert held.tables() == NameIndex(service_map.components.values()).tables()
    assert len(builds) == 2  # the held one, and the reference built on purpose above
    other = a_map()  # an equal map, another mapping: its own index
    assert shared.index(other.components) is not held


def test_an_index_nobody_holds_is_built_again(builds: list[int]) -> None:
    service_map = a_map()
    shared = SharedIndex()
    shared.index(service_map.components)  # dropped at once
    gc.collect()
    index = shared.index(service_map.components)
    assert len(builds) == 2
    assert index.exact("db-01") == "db-01"


def test_a_reader_asking_during_the_build_waits_for_it(builds: list[int]) -> None:
    service_map = a_map()
    shared = SharedIndex()
    gate = threading.Event()
    found: dict[str, NameIndex] = {}
    started.clear()

    def saver() -> None:
        held_back.gate = gate  # its build waits for the gate
        found["saver"] = shared.index(service_map.components)

    thread = threading.Thread(target=saver)
    thread.start()
    assert started.wait(10)  # the saver is building
    reader = threading.Thread(
        target=lambda: found.setdefault("reader", shared.index(service_map.components))
    )
    reader.start()
    reader.join(0.2)
    assert reader.is_alive()  # waiting for the saver's build, not building its own
    gate.set()
    thread.join(10)
    reader.join(10)
    assert found["reader"] is found["saver"]
    assert len(builds) == 1
