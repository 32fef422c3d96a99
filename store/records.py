"""Values the store returns besides `impact.model` objects: import reports and audit entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from impact.model import ServiceMap

# Called as progress(done, total) while an import writes rows; keeps the store UI-free.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ChangeCount:
    added: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.removed

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.removed} removed"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import changed; `changed` is False for a re-import of the same map."""

    components: ChangeCount
    dependencies: ChangeCount
    groups: ChangeCount
    map_version: int
    policies: bool = False  # the `policies:` section changed

    @property
    def changed(self) -> bool:
        counts = self.components.total + self.dependencies.total + self.groups.total
        return bool(counts) or self.policies

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            part: {"added": count.added, "updated": count.updated, "removed": count.removed}
            for part, count in (
                ("components", self.components),
                ("dependencies", self.dependencies),
                ("groups", self.groups),
            )
        }

    def summary(self) -> str:
        if not self.changed:
            return f"no changes (map version {self.map_version})"
        return "\n".join(
            [
                f"components:   {self.components}",
                f"dependencies: {self.dependencies}",
                f"groups:       {self.groups}",
                *(["policies:     changed"] if self.policies else []),
                f"map version:  {self.map_version}",
            ]
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: who changed what, from where, before and after."""

    id: int
    at: datetime
    actor: str
    origin: str
    action: str
    target: str | None = None
    before: Any = None
    after: Any = None


@dataclass(slots=True)
class ImportedMap:
    """A parsed map plus the names it only references (Backstage refs, CSV endpoints).

    Referenced-only components are created when missing and never overwritten.
    """

    service_map: ServiceMap
    implied: frozenset[str] = field(default_factory=frozenset)
    source: str = "map"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A Slack channel following the components a selector matches."""

    id: int
    channel: str
    selector: str
    created_by: str | None
    created_at: datetime
