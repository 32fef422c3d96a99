"""An incident as its notice shows it, read from its rows and the map (`Notice`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, select

from impact.incidents import is_planned
from impact.model import Component, ServiceMap, State, name_key
from impact.policies import DEFAULT_POLICIES
from impact.priority import Impacted, PriorityRule, incident_priority
from store.alerts import left_out
from store.incident_facts import Acknowledgement, IncidentStatus, Notice, NoticeService
from store.incident_rows import AcknowledgementRow, IncidentRow, IncidentServiceRow
from store.policy_rows import read_policies
from store.schema import ComponentRow


def snapshot(connection: Connection, incident_id: int, service_map: ServiceMap) -> Notice:
    """The notice as of now: what the renderer shows."""
    row = connection.execute(select(IncidentRow).where(IncidentRow.c.id == incident_id)).one()
    services = services_of(connection, incident_id)
    found = _components_named(service_map, services)
    listed = tuple(_notice_service(name, state, found[name]) for name, state in services.items())
    end = row.resolved_at
    impacted = [Impacted(s.state, s.tier, s.revenue_per_hour) for s in listed]
    return Notice(
        incident=incident_id,
        status=IncidentStatus(row.status),
        planned=bool(row.planned) or is_planned(services),
        revision=row.revision,
        services=listed,
        causes=tuple(row.causes),
        revenue_at_risk=sum(s.revenue_per_hour for s in listed if s.state is State.DOWN),
        started_at=row.started_at,
        resolved_at=end,
        duration_s=(end - row.started_at).total_seconds() if end else None,
        acknowledged=acknowledgements(connection, incident_id),
        alerts_left_out=left_out(connection, [name_key(c) for c in row.causes]) if not end else 0,
        priority=incident_priority(impacted, priority_rules(connection)),
    )


def priority_rules(connection: Connection) -> tuple[PriorityRule, ...]:
    """The map's incident priority rules (its `policies:` section, else the defaults)."""
    return (read_policies(connection) or DEFAULT_POLICIES).priority


def priority(
    connection: Connection, services: Sequence[tuple[str, State]], rules: Iterable[PriorityRule]
) -> str:
    """P1-P4 of an incident touching `services` (name, state), from the map's tier and
    revenue of each (a service since removed from the map counts for nothing)."""
    keys = {name_key(name): state for name, state in services}
    rows = connection.execute(
        select(ComponentRow.c.name_key, ComponentRow.c.tier, ComponentRow.c.revenue_per_hour).where(
            ComponentRow.c.name_key.in_(list(keys))
        )
    )
    impacted = [Impacted(keys[key], tier, float(revenue or 0.0)) for key, tier, revenue in rows]
    return incident_priority(impacted, tuple(rules))


def acknowledgements(connection: Connection, incident_id: int) -> tuple[Acknowledgement, ...]:
    """Who acknowledged the incident, first first."""
    acks = connection.execute(
        select(AcknowledgementRow.c.user_id, AcknowledgementRow.c.at)
        .where(AcknowledgementRow.c.incident_id == incident_id)
        .order_by(AcknowledgementRow.c.at)
    ).all()
    return tuple(Acknowledgement(user, at) for user, at in acks)


def _notice_service(name: str, state: State, component: Component | None) -> NoticeService:
    if component is None:
        return NoticeService(name, state)
    return NoticeService(
        name,
        state,
        title=component.title,
        tier=component.tier,
        owner=component.owner,
        channel=component.channel,
        revenue_per_hour=float(component.revenue_per_hour or 0.0),
    )


def components(service_map: ServiceMap, notice: Notice) -> list[Component]:
    """The map's components of the notice's services (whose channels it goes to)."""
    found = _components_named(service_map, [s.name for s in notice.services])
    return [c for c in found.values() if c is not None]


def _components_named(service_map: ServiceMap, names: Iterable[str]) -> dict[str, Component | None]:
    """name -> the map's component of that name (exact, else case-insensitive), or None.

    Looked up by name first: walking every component (100k) per notice is for names the
    map spells otherwise, which is rare.
    """
    components = service_map.components
    found = {name: components.get(name) for name in names}
    missing = {name_key(n) for n, c in found.items() if c is None}
    if missing:
        by_key = {name_key(n): c for n, c in components.items() if name_key(n) in missing}
        found = {n: c if c is not None else by_key.get(name_key(n)) for n, c in found.items()}
    return found


def services_of(connection: Connection, incident_id: int) -> dict[str, State]:
    """The incident's business services with their latest states, in the order they were hit."""
    query = (
        select(IncidentServiceRow.c.service, IncidentServiceRow.c.state)
        .where(IncidentServiceRow.c.incident_id == incident_id)
        .order_by(IncidentServiceRow.c.position)
    )
    return {name: State(state) for name, state in connection.execute(query)}
