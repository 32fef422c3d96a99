"""Fixtures of the conversation tests: the demo map, its name index, a demo store."""

from __future__ import annotations

from importlib.resources import files

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
