"""What importing a map would change, like a plan, before anything is written.

    plan = plan_import(store, source, replace=False)

The store runs the import itself in a transaction it rolls back (`Store.preview_import`),
so the plan follows the import's own merge rules. Both maps are compiled through
`ModelService`, and a business service's impact has changed when the set of components it
depends on (its closure) or its single points of failure differ. The `policies:` section
is compared part by part (priority rules, burn rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from impact.engine import ImpactModel
from impact.mapdiff import MapDiff, diff_maps
from impact.model import RedundancyGroup, ServiceMap, State, name_key
from impact.policies import Policies
from services.model import ModelService
from store import MapSource, Store


@dataclass(frozen=True, slots=True)
class ServiceImpact:
    """One business service whose impact would change."""

    name: str
    change: str  # "added", "removed" or "changed"
    dependencies_added: tuple[str, ...] = ()
    dependencies_removed: tuple[str, ...] = ()
    spofs_added: tuple[str, ...] = ()
    spofs_removed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "change": self.change,
            "dependencies_added": list(self.dependencies_added),
            "dependencies_removed": list(self.dependencies_removed),
            "spofs_added": list(self.spofs_added),
            "spofs_removed": list(self.spofs_removed),
        }


@dataclass(frozen=True, slots=True)
class ImportPlan:
    diff: MapDiff
    groups_added: tuple[str, ...]
    groups_removed: tuple[str, ...]
    groups_changed: tuple[str, ...]
    services: tuple[ServiceImpact, ...]
    policies_changed: tuple[str, ...] = ()  # "priority", "burn": the parts that change

    @property
    def is_empty(self) -> bool:
        groups = self.groups_added + self.groups_removed + self.groups_changed
        return self.diff.is_empty and not groups and not self.policies_changed

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.diff.as_dict(),
            "groups_added": list(self.groups_added),
            "groups_removed": list(self.groups_removed),
            "groups_changed": list(self.groups_changed),
            "business_services": [service.as_dict() for service in self.services],
            "policies_changed": list(self.policies_changed),
        }


class _Held:
    """A map held in memory, as the model service's source (no states: all healthy)."""

    def __init__(self, service_map: ServiceMap) -> None:
        self.service_map = service_map

    def load_map(self) -> ServiceMap:
        return self.service_map

    def map_version(self) -> int:
        return 0

    def current_states(self, at: Any = None) -> dict[str, State]:
        return {}


def plan_import(store: Store, source: MapSource, *, replace: bool = False) -> ImportPlan:
    """The plan of `bsm import` of `source`; raises `MapValidationError` as the import would."""
    imported = source.imported
    before, after = store.preview_import(
        imported.service_map,
        replace=replace,
        source=imported.source,
        implied=imported.implied,
        checked=source.checked,
    )
    added, removed, changed = _group_changes(before.groups, after.groups)
    return ImportPlan(
        diff_maps(before, after),
        added,
        removed,
        changed,
        _service_impacts(before, after),
        _policy_changes(before.policies, after.policies),
    )


def _policy_changes(before: Policies | None, after: Policies | None) -> tuple[str, ...]:
    """The parts of the stored section that change (added or removed: both parts)."""
    if before == after:
        return ()
    if before is None or after is None:
        return ("priority", "burn")
    changes = (("priority", before.priority != after.priority), ("burn", before.burn != after.burn))
    return tuple(part for part, changed in changes if changed)


def _group_changes(
    before: list[RedundancyGroup], after: list[RedundancyGroup]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    old = {name_key(g.name): g for g in before}
    new = {name_key(g.name): g for g in after}
    return (
        tuple(sorted(new[k].name for k in new.keys() - old.keys())),
        tuple(sorted(old[k].name for k in old.keys() - new.keys())),
        tuple(sorted(new[k].name for k in new.keys() & old.keys() if new[k] != old[k])),
    )


def _service_impacts(before: ServiceMap, after: ServiceMap) -> tuple[ServiceImpact, ...]:
    old_model = ModelService(_Held(before)).current().model
    new_model = ModelService(_Held(after)).current().model
    old = {s.key: s.name for s in before.business_services}
    new = {s.key: s.name for s in after.business_services}
    impacts: list[ServiceImpact] = []
    for key in sorted(old.keys() | new.keys()):
        if key not in old:
            deps, spofs = _impact(new_model, new[key])
            impacts.append(ServiceImpact(new[key], "added", deps, (), spofs, ()))
            continue
        if key not in new:
            deps, spofs = _impact(old_model, old[key])
            impacts.append(ServiceImpact(old[key], "removed", (), deps, (), spofs))
            continue
        old_deps, old_spofs = _impact(old_model, old[key])
        new_deps, new_spofs = _impact(new_model, new[key])
        if (old_deps, old_spofs) != (new_deps, new_spofs):
            impacts.append(
                ServiceImpact(
                    new[key],
                    "changed",
                    _minus(new_deps, old_deps),
                    _minus(old_deps, new_deps),
                    _minus(new_spofs, old_spofs),
                    _minus(old_spofs, new_spofs),
                )
            )
    return tuple(impacts)


def _impact(model: ImpactModel, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every component `name` depends on, and its single points of failure (sorted)."""
    return model.depends(name, depth=0).dependencies, tuple(sorted(model.spof(name).spofs))


def _minus(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, ...]:
    drop = {name_key(n) for n in right}
    return tuple(n for n in left if name_key(n) not in drop)
