"""What the store records about incidents, as typed facts: no English, only what happened.

`TimelineEntry` is one thing that happened to an incident (opened, changed, resolved,
acknowledged) with its fields; `Notice` is the incident as its Slack notice shows it.
Both travel through the outbox as JSON (`to_json` / `from_json`); the words people read
are written by the renderers (`bot.render.notices`, `handlers.incident_answers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from impact.model import State
from impact.results import StateChange


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class EntryKind(StrEnum):
    """What a timeline entry records (the values are those of the `kind` column)."""

    OPENED = "opened"
    CHANGED = "changed"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "ack"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened to an incident; which fields are set depends on `kind`.

    opened: `services` (with states), `causes`, `planned`; changed: `changes` and the new
    root `causes`; resolved: `duration_s`; acknowledged: `user`. `note` holds a line kept
    from before entries were typed that could not be read back into fields.
    """

    at: datetime
    kind: EntryKind
    services: tuple[tuple[str, State], ...] = ()
    causes: tuple[str, ...] = ()
    planned: bool = False
    changes: tuple[StateChange, ...] = ()
    duration_s: float | None = None
    user: str | None = None
    note: str | None = None

    def facts(self) -> dict[str, Any]:
        """The fields as JSON (without `at` and `kind`, which have columns of their own)."""
        facts: dict[str, Any] = {}
        if self.services:
            facts["services"] = [[name, state.value] for name, state in self.services]
        if self.causes:
            facts["causes"] = list(self.causes)
        if self.planned:
            facts["planned"] = True
        if self.changes:
            facts["changes"] = [[c.name, c.before.value, c.after.value] for c in self.changes]
        for key in ("duration_s", "user", "note"):
            if (value := getattr(self, key)) is not None:
                facts[key] = value
        return facts

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "kind": self.kind.value, **self.facts()}

    @classmethod
    def from_facts(cls, at: datetime, kind: str, facts: Mapping[str, Any]) -> TimelineEntry:
        duration = facts.get("duration_s")
        return cls(
            at=at,
            kind=EntryKind(kind),
            services=tuple((str(n), State(s)) for n, s in facts.get("services", ())),
            causes=tuple(str(c) for c in facts.get("causes", ())),
            planned=bool(facts.get("planned", False)),
            changes=tuple(
                StateChange(str(n), State(b), State(a)) for n, b, a in facts.get("changes", ())
            ),
            duration_s=float(duration) if duration is not None else None,
            user=facts.get("user"),
            note=facts.get("note"),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TimelineEntry:
        return cls.from_facts(datetime.fromisoformat(data["at"]), data["kind"], data)


@dataclass(frozen=True, slots=True)
class NoticeService:
    """A business service on a notice, with what the map says about it."""

    name: str
    state: State
    title: str | None = None
    tier: int | None = None
    owner: str | None = None
    channel: str | None = None
    revenue_per_hour: float = 0.0

    @property
    def display(self) -> str:
        return self.title or self.name


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    user: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """An incident as its notice shows it, as of one revision."""

    incident: int
    status: IncidentStatus
    planned: bool
    revision: int
    services: tuple[NoticeService, ...]
    causes: tuple[str, ...]
    revenue_at_risk: float
    started_at: datetime
    resolved_at: datetime | None = None
    duration_s: float | None = None
    acknowledged: tuple[Acknowledgement, ...] = ()
    alerts_left_out: int = 0  # alerts behind its causes that the sender did not send
    priority: str = ""  # P1-P4 by the map's rules ("" in notices written before them)

    def to_json(self) -> dict[str, Any]:
        return {
            "alerts_left_out": self.alerts_left_out,
            "priority": self.priority,
            "incident": self.incident,
            "status": self.status.value,
            "planned": self.planned,
            "revision": self.revision,
            "services": [_service_json(s) for s in self.services],
            "causes": list(self.causes),
            "revenue_at_risk": self.revenue_at_risk,
            "started_at": self.started_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "duration_s": self.duration_s,
            "acknowledged": [{"user": a.user, "at": a.at.isoformat()} for a in self.acknowledged],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Notice:
        resolved, duration = data.get("resolved_at"), data.get("duration_s")
        return cls(
            incident=int(data["incident"]),
            status=IncidentStatus(data["status"]),
            planned=bool(data.get("planned")),
            revision=int(data.get("revision", 1)),
            services=tuple(_service(s) for s in data["services"]),
            causes=tuple(str(c) for c in data["causes"]),
            revenue_at_risk=float(data.get("revenue_at_risk") or 0.0),
            started_at=datetime.fromisoformat(data["started_at"]),
            resolved_at=datetime.fromisoformat(resolved) if resolved else None,
            duration_s=float(duration) if duration is not None else None,
            acknowledged=_acks(data.get("acknowledged") or ()),
            alerts_left_out=int(data.get("alerts_left_out") or 0),
            priority=str(data.get("priority") or ""),
        )


@dataclass(frozen=True, slots=True)
class ThreadReply:
    """A reply under a notice: one timeline entry of the incident."""

    incident: int
    entry: TimelineEntry
    resolved: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"incident": self.incident, "entry": self.entry.to_json(), "resolved": self.resolved}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ThreadReply:
        entry = TimelineEntry.from_json(data["entry"])
        return cls(int(data["incident"]), entry, bool(data.get("resolved")))


def _service_json(service: NoticeService) -> dict[str, Any]:
    return {
        "name": service.name,
        "title": service.title,
        "state": service.state.value,
        "tier": service.tier,
        "owner": service.owner,
        "channel": service.channel,
        "revenue_per_hour": service.revenue_per_hour,
    }


def _service(data: Mapping[str, Any]) -> NoticeService:
    return NoticeService(
        name=str(data["name"]),
        state=State(data["state"]),
        title=data.get("title"),
        tier=data.get("tier"),
        owner=data.get("owner"),
        channel=data.get("channel"),
        revenue_per_hour=float(data.get("revenue_per_hour") or 0.0),
    )


def _acks(data: Sequence[Mapping[str, Any]]) -> tuple[Acknowledgement, ...]:
    return tuple(Acknowledgement(str(a["user"]), datetime.fromisoformat(a["at"])) for a in data)
