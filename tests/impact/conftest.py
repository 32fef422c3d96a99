"""Small hand-built maps for the engine tests, written the way the map file reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from impact.engine import ImpactModel
from impact.model import Component, Dependency, DependencyKind, RedundancyGroup, ServiceMap, State

Spec = Mapping[str, Sequence[Any]]


def build_map(spec: Spec, business: Mapping[str, Mapping[str, Any]] | None = None) -> ServiceMap:
    """`spec`: name -> deps; a dep is "x" (hard), ("soft", "x"), or ("group", min, [members])
    with min an int or a "60%" string. `business`: business service name -> attributes."""
    business = business or {}
    names = set(spec) | set(business)
    deps: list[Dependency] = []
    groups: list[RedundancyGroup] = []
    for source, targets in spec.items():
        for target in targets:
            if isinstance(target, str):
                deps.append(Dependency(source, target))
                names.add(target)
            elif target[0] == "soft":
                deps.append(Dependency(source, target[1], DependencyKind.SOFT))
                names.add(target[1])
            else:
                groups.append(_group(source, target[1], tuple(target[2]), len(groups)))
                names.update(target[2])
    components = [_component(n, business.get(n)) for n in sorted(names)]
    return ServiceMap.build(components, deps, groups)


def _group(source: str, minimum: int | str, members: tuple[str, ...], i: int) -> RedundancyGroup:
    name = f"{source}-group{i}"
    if isinstance(minimum, str):
        return RedundancyGroup(name, source, members, min_percent=float(minimum.rstrip("%")))
    return RedundancyGroup(name, source, members, min_up=minimum)


def _component(name: str, attrs: Mapping[str, Any] | None) -> Component:
    if attrs is None:
        return Component(name)
    return Component(name, kind="business_service", **attrs)


@pytest.fixture
def model() -> Callable[..., ImpactModel]:
    def make(
        spec: Spec,
        business: Mapping[str, Mapping[str, Any]] | None = None,
        states: Mapping[str, State] | None = None,
    ) -> ImpactModel:
        return ImpactModel.from_map(build_map(spec, business), states)

    return make
