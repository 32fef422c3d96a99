"""One entry of a map file (a business service or a component) to domain values.

Problems are collected on the parser (`errors`) with their location; parsing goes on so a
single run reports every problem in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from impact.model import (
    BUSINESS_KIND,
    Component,
    Dependency,
    DependencyKind,
    HealthCheck,
    RedundancyGroup,
    name_key,
)
from impact.suggest import Suggester
from store.errors import MapError, shown
from store.validation import (
    check_url_problem,
    group_name_problem,
    hours_problem,
    labels_problems,
    revenue_problem,
    sla_problem,
    status_page_problem,
    text_problem,
    tier_problem,
    timing_problem,
    unknown_key_message,
)

TEXT_KEYS = ("title", "owner", "channel", "runbook_url", "description", "status_page")
COMMON_KEYS = (
    "name",
    *TEXT_KEYS,
    "tier",
    "sla",
    "revenue_per_hour",
    "service_hours",
    "labels",
    "check",
    "depends_on",
)
COMPONENT_KEYS = (*COMMON_KEYS, "kind")
CHECK_KEYS = ("url", "expect_status", "timeout_s", "interval_s", "failures_before_down")
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
Checker = Callable[[object], str | None]
NUMBER_CHECKS: dict[str, Checker] = {
    "tier": tier_problem,
    "sla": sla_problem,
    "revenue_per_hour": revenue_problem,
    "service_hours": hours_problem,
}


def default_group_name(dependant: str, members: tuple[str, ...] | list[str]) -> str:
    """The name of a group the file leaves unnamed: `<dependant>:any_of[<members>]`."""
    return f"{dependant}:any_of[{','.join(members)}]"


class EntryParser:
    """Turns entries into components, dependencies and groups; `names` maps keys to names."""

    def __init__(self, names: dict[str, str], suggester: Suggester) -> None:
        self.names = names
        self.suggester = suggester
        self.errors: list[MapError] = []
        self.dependencies: list[Dependency] = []
        self.groups: list[RedundancyGroup] = []
        self.group_names: dict[str, str] = {}

    def error(self, where: str, message: str) -> None:
        self.errors.append(MapError(where, message))

    def parse(self, where: str, entry: Any, business: bool) -> Component | None:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or self.names.get(name_key(name)) != name:
            return None  # reported while collecting names
        allowed = COMMON_KEYS if business else COMPONENT_KEYS
        for key in entry:
            if key not in allowed:
                message = unknown_key_message(key, allowed)
                if business and key == "kind":
                    message = (
                        "unknown key 'kind': business services always have kind business_service"
                    )
                self.error(where, message)
        fields = self._fields(where, entry)
        kind = BUSINESS_KIND if business else self._kind(where, entry.get("kind", "service"))
        self._depends_on(where, name, entry.get("depends_on"))
        try:
            return Component(name=name, kind=kind, **fields)
        except TypeError:
            return None

    def _kind(self, where: str, kind: Any) -> str:
        if not isinstance(kind, str) or not kind.strip():
            self.error(
                f"{where}.kind", f"kind must be text like service or database, got {shown(kind)}"
            )
            return "service"
        if problem := text_problem("kind", kind):
            self.error(f"{where}.kind", problem)
        return kind

    def _fields(self, where: str, entry: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for key in TEXT_KEYS:
            if entry.get(key) is not None:
                if not isinstance(entry[key], str):
                    self.error(f"{where}.{key}", f"must be text, got {shown(entry[key])}")
                elif problem := text_problem(key, entry[key]) or (
                    key == "status_page" and status_page_problem(entry[key])
                ):
                    self.error(f"{where}.{key}", problem)
                fields[key] = str(entry[key])
        for key, problem_of in NUMBER_CHECKS.items():
            if entry.get(key) is not None:
                if problem := problem_of(entry[key]):
                    self.error(f"{where}.{key}", problem)
                else:  # a bad value may not even convert (10**400 to float)
                    fields[key] = entry[key]
        for key in ("sla", "revenue_per_hour"):
            if isinstance(fields.get(key), int | float):
                fields[key] = float(fields[key])
        if entry.get("labels") is not None:
            fields["labels"] = self._labels(f"{where}.labels", entry["labels"])
        if entry.get("check") is not None:
            fields["check"] = self._check(f"{where}.check", entry["check"])
        return fields

    def _labels(self, where: str, labels: Any) -> dict[str, str]:
        if not isinstance(labels, dict):
            self.error(where, f"labels must be a mapping of text to text, got {shown(labels)}")
            return {}
        result = {}
        for key, value in labels.items():
            if isinstance(value, dict | list) or value is None:
                self.error(f"{where}.{key}", f"label values must be text, got {shown(value)}")
            result[str(key)] = str(value)
        for key, problem in labels_problems(result):
            self.error(f"{where}.{key}", problem)
        return result

    def _check(self, where: str, check: Any) -> HealthCheck | None:
        if isinstance(check, str):
            check = {"url": check}
        if not isinstance(check, dict) or not isinstance(check.get("url"), str):
            self.error(where, "check needs a url, e.g. check: {url: https://host/health}")
            return None
        for key in check:
            if key not in CHECK_KEYS:
                self.error(where, unknown_key_message(key, CHECK_KEYS))
        if problem := text_problem("url", check["url"]) or check_url_problem(check["url"]):
            self.error(f"{where}.url", problem)
        values = {k: v for k, v in check.items() if k in CHECK_KEYS}
        for key in ("expect_status", "failures_before_down", "timeout_s", "interval_s"):
            whole = key in ("expect_status", "failures_before_down")
            if key in values and (problem := timing_problem(values[key], whole)):
                self.error(f"{where}.{key}", problem)
                values.pop(key)
        for key in ("timeout_s", "interval_s"):
            if key in values:
                values[key] = float(values[key])
        return HealthCheck(**values)

    def _depends_on(self, where: str, dependant: str, items: Any) -> None:
        if items is None:
            return
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list):
            self.error(f"{where}.depends_on", f"must be a list, got {shown(items)}")
            return
        seen: set[str] = set()
        own = name_key(dependant)
        for index, item in enumerate(items):
            if isinstance(item, str) and self._plain(dependant, own, item, seen):
                continue
            at = f"{where}.depends_on[{index}]"
            if isinstance(item, dict) and "any_of" in item:
                self._group(at, dependant, item)
            else:
                self._dependency(at, dependant, item, seen)

    def _plain(self, dependant: str, own: str, item: str, seen: set[str]) -> bool:
        """The common case, a known name listed once: add it; False leaves it to be reported."""
        # The fast path of big maps: no location string, one casefold per dependency.
        key = name_key(item)
        target = self.names.get(key)
        if target is None or key == own or key in seen:
            return False
        seen.add(key)
        self.dependencies.append(Dependency(dependant, target, DependencyKind.HARD))
        return True

    def _resolve(self, where: str, name: Any) -> str | None:
        if not isinstance(name, str):
            self.error(where, f"a dependency is a component name, got {shown(name)}")
            return None
        resolved = self.names.get(name_key(name))
        if resolved is None:
            self.error(where, f"unknown component {name!r}{self.suggester.hint(name)}")
        return resolved

    def _dependency(self, where: str, dependant: str, item: Any, seen: set[str]) -> None:
        kind = DependencyKind.HARD
        if isinstance(item, dict):
            for key in item:
                if key not in ("name", "kind"):
                    self.error(where, unknown_key_message(key, ("name", "kind", "any_of", "min")))
            if item.get("kind", "hard") not in ("hard", "soft"):
                self.error(
                    f"{where}.kind", f"kind must be hard or soft, got {shown(item.get('kind'))}"
                )
            else:
                kind = DependencyKind(item.get("kind", "hard"))
            item = item.get("name")
        target = self._resolve(where, item)
        if target is None:
            return
        if name_key(target) == name_key(dependant):
            self.error(where, f"{dependant!r} cannot depend on itself")
        elif name_key(target) in seen:
            self.error(where, f"duplicate dependency on {target!r}")
        else:
            seen.add(name_key(target))
            self.dependencies.append(Dependency(dependant, target, kind))

    def _group(self, where: str, dependant: str, item: dict[str, Any]) -> None:
        for key in item:
            if key not in ("any_of", "min", "name"):
                self.error(where, unknown_key_message(key, ("any_of", "min", "name")))
        members = self._members(where, dependant, item["any_of"])
        if members is None:
            return
        min_up, min_percent = self._min(f"{where}.min", item.get("min", 1), len(members))
        name = item.get("name", default_group_name(dependant, members))
        if not isinstance(name, str) or not name.strip():
            self.error(f"{where}.name", f"group name must be text, got {shown(name)}")
            return
        if problem := group_name_problem(name):
            self.error(f"{where}.name", f"{problem} (name the group with `name:`)")
            return
        if name_key(name) in self.group_names:
            self.error(
                f"{where}.name",
                f"duplicate group name {name!r} (first at {self.group_names[name_key(name)]})",
            )
            return
        self.group_names[name_key(name)] = where
        if min_up is not None or min_percent is not None:
            self.groups.append(
                RedundancyGroup(name, dependant, tuple(members), min_up, min_percent)
            )

    def _members(self, where: str, dependant: str, any_of: Any) -> list[str] | None:
        if not isinstance(any_of, list) or not any_of:
            self.error(
                f"{where}.any_of", f"any_of is a non-empty list of components, got {shown(any_of)}"
            )
            return None
        members: list[str] = []
        for index, name in enumerate(any_of):
            member = self._resolve(f"{where}.any_of[{index}]", name)
            if member is None:
                continue
            if name_key(member) == name_key(dependant):
                self.error(f"{where}.any_of[{index}]", f"{dependant!r} cannot be in its own group")
            elif name_key(member) in {name_key(m) for m in members}:
                self.error(f"{where}.any_of[{index}]", f"{member!r} is listed twice")
            else:
                members.append(member)
        return members if len(members) == len(any_of) else None

    def _min(self, where: str, value: Any, size: int) -> tuple[int | None, float | None]:
        if isinstance(value, str) and (match := PERCENT.match(value)):
            percent = float(match[1])
            if 0 < percent <= 100:
                return None, percent
            self.error(where, f"min {shown(value)} must be a percentage above 0% and at most 100%")
        elif isinstance(value, int) and not isinstance(value, bool):
            if 1 <= value <= size:
                return value, None
            self.error(
                where,
                f"min {value} is larger than the group ({size} members)"
                if value > size
                else f"min must be at least 1, got {value}",
            )
        else:
            self.error(
                where,
                f'min is a member count like 2 or a percentage like "60%", got {shown(value)}',
            )
        return None, None
