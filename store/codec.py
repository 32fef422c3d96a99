"""Conversion between `impact.model` values and row values of the schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from impact.model import Component, HealthCheck, MaintenanceWindow, State, StatusEvent, name_key

# Component columns compared by an import; provenance (`source`) is not a change.
COMPONENT_COLUMNS = (
    "name",
    "kind",
    "title",
    "owner",
    "channel",
    "tier",
    "revenue_per_hour",
    "service_hours",
    "sla",
    "labels",
    "runbook_url",
    "check",
    "description",
    "status_page",
)


def component_values(component: Component) -> dict[str, Any]:
    """The row values of `component` (without id and source), normalised for comparison."""
    return {
        "name": component.name,
        "kind": component.kind,
        "title": component.title,
        "owner": component.owner,
        "channel": component.channel,
        "tier": component.tier,
        "revenue_per_hour": _float(component.revenue_per_hour),
        "service_hours": component.service_hours,
        "sla": _float(component.sla),
        "labels": dict(component.labels),
        "runbook_url": component.runbook_url,
        "check": _check_values(component.check),
        "description": component.description,
        "status_page": component.status_page,
    }


def component_row(component: Component) -> tuple[Any, ...]:
    """`component_values` as a tuple in `COMPONENT_COLUMNS` order: compact for big maps."""
    return (
        component.name,
        component.kind,
        component.title,
        component.owner,
        component.channel,
        component.tier,
        _float(component.revenue_per_hour),
        component.service_hours,
        _float(component.sla),
        dict(component.labels),
        component.runbook_url,
        None if component.check is None else _check_values(component.check),
        component.description,
        component.status_page,
    )


def component_from_row(row: Sequence[Any]) -> Component:
    """The component of a row in `COMPONENT_COLUMNS` order (the order of `Component`'s fields)."""
    (
        name,
        kind,
        title,
        owner,
        channel,
        tier,
        revenue,
        hours,
        sla,
        labels,
        runbook,
        check,
        text,
        page,
    ) = row
    return Component(
        name,
        kind,
        title,
        owner,
        channel,
        tier,
        revenue,
        hours,
        sla,
        labels=dict(labels or {}),
        runbook_url=runbook,
        check=HealthCheck(**check) if check else None,
        description=text,
        status_page=page,
    )


def component_from_values(values: Mapping[Any, Any]) -> Component:
    check = values["check"]
    return Component(
        name=values["name"],
        kind=values["kind"],
        title=values["title"],
        owner=values["owner"],
        channel=values["channel"],
        tier=values["tier"],
        revenue_per_hour=values["revenue_per_hour"],
        service_hours=values["service_hours"],
        sla=values["sla"],
        labels=dict(values["labels"] or {}),
        runbook_url=values["runbook_url"],
        check=HealthCheck(**check) if check else None,
        description=values["description"],
        status_page=values.get("status_page"),
    )


def _check_values(check: HealthCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    values = asdict(check)
    for key in ("timeout_s", "interval_s"):
        values[key] = float(values[key])
    return values


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def event_values(event: StatusEvent) -> dict[str, Any]:
    return {
        "component": event.component,
        "component_key": name_key(event.component),
        "state": State(event.state).value,
        "at": event.at,
        "source": event.source,
        "summary": event.summary,
        "event_id": event.event_id,
    }


def event_from_values(values: Mapping[Any, Any]) -> StatusEvent:
    return StatusEvent(
        component=values["component"],
        state=State(values["state"]),
        at=values["at"],
        source=values["source"],
        summary=values["summary"],
        event_id=values["event_id"],
    )


def window_from_values(values: Mapping[Any, Any]) -> MaintenanceWindow:
    return MaintenanceWindow(
        component=values["component"],
        start=values["start"],
        end=values["end"],
        reason=values["reason"],
        created_by=values["created_by"],
        id=values["id"],
        announce_s=values.get("announce_s"),
    )
