"""Rules a service map must satisfy, shared by the YAML parser and programmatic imports.

Each `*_problem` function returns None for a good value, else a message naming the value
and the fix. `check_service_map` applies the rules to an already-built `ServiceMap`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from impact.model import NAME_PATTERN, Component, HealthCheck, ServiceMap, name_key
from impact.service_hours import ServiceHoursError, parse_service_hours
from impact.suggest import Suggester
from store.errors import MapError, shown
from store.schema import ComponentRow, GroupRow

# Text longer than its column is refused here, not by the database: PostgreSQL would fail
# with an error naming no field, SQLite would store it, so one map would import on one
# backend only. None: unbounded text.
TEXT_FIELDS = ("kind", "title", "owner", "channel", "runbook_url", "description", "status_page")
TEXT_LIMITS: dict[str, int | None] = {
    key: getattr(ComponentRow.c[key].type, "length", None)
    for key in (*TEXT_FIELDS, "name", "service_hours")
}
GROUP_NAME_LIMIT: int = GroupRow.c["name"].type.length  # type: ignore[attr-defined]
TIMINGS = ("timeout_s", "interval_s")

# Suggestions scan every name; past this many per map the rest go without "did you mean".
MAX_SUGGESTIONS = 100


def name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return f"name must be text, got {shown(name)}"
    if not NAME_PATTERN.match(name):
        return (
            f"bad name {_shown(name)}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    return _length_problem("name", name, TEXT_LIMITS["name"])


def tier_problem(tier: object) -> str | None:
    if isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= 4:
        return f"tier must be 1 (most critical) to 4, got {shown(tier)}"
    return None


def sla_problem(sla: object) -> str | None:
    if not _is_number(sla) or not 0 < float(sla) <= 100:  # type: ignore[arg-type]
        return f"sla is an availability in percent (0 < sla <= 100, e.g. 99.9), got {_quoted(sla)}"
    return None


def revenue_problem(revenue: object) -> str | None:
    if not _is_number(revenue) or float(revenue) < 0:  # type: ignore[arg-type]
        return f"revenue_per_hour must be a finite number >= 0, got {_quoted(revenue)}"
    return None


def text_problem(field: str, text: str, limit: int | None = None) -> str | None:
    """Text a database can store: no NUL character, no longer than the column `limit`."""
    if "\x00" in text:
        return f"{field} {_shown(text)} contains a NUL character (\\x00): remove it"
    return _length_problem(field, text, limit if limit is not None else TEXT_LIMITS.get(field))


def check_url_problem(
    url: str, field: str = "check url", example: str = "https://host/health"
) -> str | None:
    """A URL the bot may fetch or link (a health check, a status page): http(s) with a host."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        shown = scheme.lower()[:20] if sep else "none"
        return f"{field} must be http:// or https://, not {shown!r}: e.g. {example}"
    if not rest.split("/")[0].rsplit("@")[-1]:
        return f"{field} names no host: e.g. {example}"
    return None


def status_page_problem(url: str) -> str | None:
    """A vendor status page: an http(s) URL with a host."""
    return check_url_problem(url, "status_page", "https://status.vendor.example")


def _length_problem(field: str, text: str, limit: int | None) -> str | None:
    if limit is not None and len(text) > limit:
        return f"{field} {_shown(text)} is {len(text)} characters long: shorten it to {limit}"
    return None


def _shown(text: str) -> str:
    """`text` as quoted in a message: long text shows its start only."""
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}..."


def _quoted(value: object) -> str:
    """`value` as quoted in a message: a 400-digit number shows its start only."""
    shown = repr(value)
    return shown if len(shown) <= 40 else f"{shown[:40]}..."


def labels_problems(labels: Mapping[Any, Any]) -> list[tuple[str, str]]:
    """(label key, problem) for every label whose key or value cannot be stored."""
    problems = []
    for key, value in labels.items():
        for part, text in (("key", key), ("value", value)):
            if isinstance(text, str) and (problem := text_problem(f"label {part}", text)):
                problems.append((str(key), problem))
    return problems


def timing_problem(value: object, whole: bool = False) -> str | None:
    """A health-check setting: a positive (whole) number a JSON column can hold."""
    wanted = int if whole else (int, float)
    if not isinstance(value, wanted) or not _is_number(value) or value <= 0:
        return f"must be a positive {'whole ' if whole else ''}number, got {_quoted(value)}"
    return None


def hours_problem(hours: object) -> str | None:
    if not isinstance(hours, str):
        return f'service_hours must be text like "Mon-Fri 08:00-20:00 UTC", got {shown(hours)}'
    if problem := text_problem("service_hours", hours):
        return problem
    try:
        parse_service_hours(hours)
    except ServiceHoursError as error:
        return str(error)
    return None


def _is_number(value: object) -> bool:
    """A finite int or float that converts to float (NaN, inf and 10**400 do not)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)  # an int beyond float range raises OverflowError
    except OverflowError:
        return False


def name_hints(names: Iterable[str]) -> Suggester:
    """'did you mean' hints for unknown names, bounded so huge bad maps stay fast."""
    return Suggester(names, budget=MAX_SUGGESTIONS)


def unknown_key_message(key: Any, allowed: Iterable[str]) -> str:
    close = Suggester(allowed).closest(str(key))
    hint = f" (did you mean {close!r}?)" if close else f" (allowed: {', '.join(sorted(allowed))})"
    return f"unknown key {key!r}{hint}"


def check_service_map(
    service_map: ServiceMap, known: Mapping[str, str] | None = None
) -> list[MapError]:
    """Every problem of a programmatically built map (parsed maps already passed these).

    References may also name `known` components (name key -> name: the stored map of a merge).
    """
    errors: list[MapError] = []
    declared: dict[str, str] = {}
    for name, component in service_map.components.items():
        errors += _component_errors(name, component, declared)
    keys = {**(known or {}), **declared}
    suggester = name_hints(keys.values())
    # One casefold per component name instead of two per edge: 500k-edge maps check fast.
    spelled = {name: name_key(name) for name in service_map.components}
    edges: set[tuple[str, str]] = set()
    for index, dep in enumerate(service_map.dependencies):
        edge = (
            spelled.get(dep.source) or name_key(dep.source),
            spelled.get(dep.target) or name_key(dep.target),
        )
        if edge[0] not in keys or edge[1] not in keys:
            names = (dep.source, dep.target)
            errors += _reference_errors(f"dependencies[{index}]", names, keys, suggester)
        if edge[0] == edge[1]:
            errors.append(MapError(f"dependencies[{index}]", f"{dep.source!r} depends on itself"))
        elif edge in edges:
            message = f"duplicate dependency {dep.source} -> {dep.target}"
            errors.append(MapError(f"dependencies[{index}]", message))
        edges.add(edge)
    errors += _group_errors(service_map, keys, suggester)
    return errors


def outside_reference_errors(service_map: ServiceMap, known: Mapping[str, str]) -> list[MapError]:
    """References to names neither in `service_map` nor `known`: for maps checked already
    (by `parse_map` against names that may have changed since)."""
    own = {name_key(name): name for name in service_map.components}
    outside = {
        name
        for dep in service_map.dependencies
        for name in (dep.source, dep.target)
        if name not in service_map.components and name_key(name) not in own
    }
    outside.update(
        name
        for group in service_map.groups
        for name in group.members
        if name not in service_map.components and name_key(name) not in own
    )
    keys = {**known, **own}
    suggester = name_hints(keys.values())
    return _reference_errors("references", sorted(outside), keys, suggester)


def _component_errors(name: str, component: Component, keys: dict[str, str]) -> list[MapError]:
    where = f"components[{name!r}]"
    problems = [name_problem(name)]
    if component.name != name:
        problems.append(f"keyed as {name!r} but named {component.name!r}")
    if name_key(name) in keys:
        problems.append(f"duplicate name (names are case-insensitive): {keys[name_key(name)]!r}")
    keys.setdefault(name_key(name), name)
    if component.tier is not None:
        problems.append(tier_problem(component.tier))
    if component.sla is not None:
        problems.append(sla_problem(component.sla))
    if component.revenue_per_hour is not None:
        problems.append(revenue_problem(component.revenue_per_hour))
    if component.service_hours is not None:
        problems.append(hours_problem(component.service_hours))
    errors = [MapError(where, p) for p in problems if p]
    return errors + _stored_value_errors(where, component)


def _stored_value_errors(where: str, component: Component) -> list[MapError]:
    """Text, labels and check settings the database could not store as given."""
    errors = [
        MapError(f"{where}.{field}", problem)
        for field in TEXT_FIELDS
        if isinstance(text := getattr(component, field), str)
        and (problem := text_problem(field, text))
    ]
    errors += [
        MapError(f"{where}.labels.{key}", problem)
        for key, problem in labels_problems(component.labels)
    ]
    if isinstance(component.check, HealthCheck):
        errors += _check_errors(f"{where}.check", component.check)
    if isinstance(component.status_page, str) and (
        problem := status_page_problem(component.status_page)
    ):
        errors.append(MapError(f"{where}.status_page", problem))
    return errors


def _check_errors(where: str, check: HealthCheck) -> list[MapError]:
    errors = [
        MapError(f"{where}.{key}", problem)
        for key in ("expect_status", "failures_before_down", *TIMINGS)
        if (problem := timing_problem(getattr(check, key), whole=key not in TIMINGS))
    ]
    if isinstance(check.url, str) and (
        problem := text_problem("url", check.url) or check_url_problem(check.url)
    ):
        errors.append(MapError(f"{where}.url", problem))
    return errors


def _reference_errors(
    where: str, names: Iterable[str], keys: Mapping[str, str], suggester: Suggester
) -> list[MapError]:
    return [
        MapError(where, f"unknown component {name!r}{suggester.hint(name)}")
        for name in names
        if name_key(name) not in keys
    ]


def _group_errors(
    service_map: ServiceMap, keys: Mapping[str, str], suggester: Suggester
) -> list[MapError]:
    errors: list[MapError] = []
    names: set[str] = set()
    for index, group in enumerate(service_map.groups):
        where = f"groups[{index}]"
        errors += _reference_errors(where, (group.dependant, *group.members), keys, suggester)
        if name_key(group.name) in names:
            errors.append(MapError(where, f"duplicate group name {group.name!r}"))
        if problem := group_name_problem(group.name):
            errors.append(MapError(f"{where}.name", problem))
        names.add(name_key(group.name))
        if problem := min_problem(group.min_up, group.min_percent, len(group.members)):
            errors.append(MapError(where, problem))
    return errors


def group_name_problem(name: str) -> str | None:
    return text_problem("group name", name, GROUP_NAME_LIMIT)


def min_problem(min_up: int | None, min_percent: float | None, size: int) -> str | None:
    if (min_up is None) == (min_percent is None):
        return "set exactly one of a member count or a percentage for min"
    if min_up is not None and not 1 <= min_up <= size:
        return f"min {min_up} is not between 1 and the group size {size}"
    if min_percent is not None and not 0 < min_percent <= 100:
        return f"min {min_percent:g}% is not a percentage between 0 and 100"
    return None
