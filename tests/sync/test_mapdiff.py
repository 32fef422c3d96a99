"""The pure map diff: what people are told a sync changed."""

from __future__ import annotations

from impact.mapdiff import diff_maps
from impact.model import Component, Dependency, DependencyKind, ServiceMap


def test_diff_reports_added_removed_and_changed_parts() -> None:
    old = ServiceMap.build(
        [Component("api", owner="a"), Component("db"), Component("cache")],
        [Dependency("api", "db"), Dependency("api", "cache")],
    )
    new = ServiceMap.build(
        [Component("API", owner="b"), Component("db"), Component("queue")],
        [Dependency("api", "db", DependencyKind.SOFT), Dependency("api", "queue")],
    )

    diff = diff_maps(old, new)

    assert [c.name for c in diff.added_components] == ["queue"]
    assert [c.name for c in diff.removed_components] == ["cache"]
    assert [(c.name, c.fields) for c in diff.changed_components] == [("API", ("owner",))]
    assert [(e.source, e.target) for e in diff.added_edges] == [("api", "queue")]
    assert [(e.source, e.target) for e in diff.removed_edges] == [("api", "cache")]
    assert [c.after.kind for c in diff.changed_edges] == [DependencyKind.SOFT]
    assert diff.as_dict(limit=0)["counts"]["edges_added"] == 1


def test_identical_maps_have_an_empty_diff() -> None:
    service_map = ServiceMap.build([Component("a", labels={"x": "1"})], [])
    same = ServiceMap.build([Component("A", labels={"x": "1"})], [])

    assert diff_maps(service_map, same).is_empty
