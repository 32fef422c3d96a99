"""The service-map file (YAML, version 1): parse and validate into a `ServiceMap`, dump back.

Validation collects every problem at once, each with its location in the file, e.g.
`components[3].depends_on[1]: unknown component 'db-9' (did you mean 'db-03'?)`.
`dump_map` writes YAML that re-imports to an identical store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from impact.model import (
    Component,
    DependencyKind,
    RedundancyGroup,
    ServiceMap,
    name_key,
)
from store.errors import MapError, MapValidationError, StoreError
from store.map_policies import SECTION as POLICIES
from store.map_policies import about_key, dump_policies, location, parse_policies
from store.mapentry import EntryParser, default_group_name
from store.records import Progress
from store.validation import name_hints, name_problem, unknown_key_message
from store.yamlsafe import Marked, Marks, load_yaml_document

VERSION = 1
TOP_KEYS = ("version", "business_services", "components", POLICIES)
SECTIONS = ("business_services", "components")
PROGRESS_STEP = 1000  # entries between progress reports
Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_map_file(path: str | Path) -> ServiceMap:
    """Read and validate a map file; raises `MapValidationError` listing every problem."""
    return parse_map(read_text(path))


def read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(f"cannot read map file {str(path)!r}: {error}") from None


def load_yaml(text: str) -> Any:
    """YAML to plain data; syntax errors and alias bombs become a `MapValidationError`."""
    return load_yaml_document(text)


def parse_map(
    text_or_data: str | dict[str, Any],
    progress: Progress | None = None,
    known: Mapping[str, str] | None = None,
) -> ServiceMap:
    """Parse YAML text (or already-loaded data) into a validated `ServiceMap`.

    `progress(done, total)` is called as entries are checked (after the YAML is read).
    `known` (name key -> name, e.g. the stored map for a merge) are names references may
    use besides the file's own; the file's names win for what they define.
    """
    data = load_yaml(text_or_data) if isinstance(text_or_data, str) else text_or_data
    errors: list[MapError] = []
    if not isinstance(data, dict):
        raise MapValidationError(
            [MapError("file", "a map file is a YAML mapping with `version: 1`")]
        )
    errors += top_level_errors(data)
    entries = {section: _entries(data, section, errors) for section in SECTIONS}
    names = {**(known or {}), **_collect_names(entries, errors)}
    parser = EntryParser(names, name_hints(names.values()))
    components: list[Component] = []
    total, done = sum(len(found) for found in entries.values()), 0
    for section in SECTIONS:
        for index, entry in entries[section]:
            component = parser.parse(f"{section}[{index}]", entry, section == "business_services")
            if component is not None:
                components.append(component)
            done += 1
            if progress is not None and (done % PROGRESS_STEP == 0 or done == total):
                progress(done, total)
    errors += parser.errors
    policies = None
    if data.get(POLICIES) is not None:
        policies, problems = parse_policies(data[POLICIES])
        errors += [MapError(location(path), message) for path, message in problems]
    if errors:
        raise MapValidationError(errors)
    return ServiceMap.build(components, parser.dependencies, parser.groups, policies)


def top_level_errors(data: dict[str, Any]) -> list[MapError]:
    errors = [
        MapError("top level", unknown_key_message(k, TOP_KEYS)) for k in data if k not in TOP_KEYS
    ]
    if "version" not in data:
        errors.append(MapError("version", "missing: add `version: 1` at the top of the file"))
    elif data["version"] != VERSION:
        errors.append(MapError("version", f"unsupported version {data['version']!r}: use 1"))
    return errors


def parse_map_files(
    files: list[tuple[str, Marked]],
    progress: Progress | None = None,
    known: Mapping[str, str] | None = None,
) -> ServiceMap:
    """Map files (one document each) parsed as one map: names may be used across files.

    Every error carries its file, line and column, read off the node marks of `files`
    (documents loaded without marks point at line 1), and a duplicate name names both places.
    """
    errors: list[MapError] = []
    combined: dict[str, Any] = {"version": VERSION, **{section: [] for section in SECTIONS}}
    origins: dict[str, list[tuple[str, Marks, int]]] = {section: [] for section in SECTIONS}
    policies, policies_at = None, ""
    for file, marked in files:
        data = marked.data
        if not isinstance(data, dict):
            message = "a map file is a YAML mapping with `version: 1`"
            errors.append(_at(MapError("file", message), file, marked.marks, ()))
            continue
        for error in top_level_errors(data):
            key = _unknown_key(error.message)
            path: tuple[str | int, ...] = (key,) if key else (error.location,)
            errors.append(_at(error, file, marked.marks, path, key=key is not None))
        if data.get(POLICIES) is not None:
            line = marked.marks.key((POLICIES,))[0]
            if policies_at:
                message = f"given twice: first at {policies_at}; one file holds the policies"
                error = MapError(POLICIES, message)
                errors.append(_at(error, file, marked.marks, (POLICIES,), key=True))
            else:
                policies, problems = parse_policies(data[POLICIES])
                errors += [
                    _at(
                        MapError(location(where), message),
                        file,
                        marked.marks,
                        where,
                        key=about_key(message),
                    )
                    for where, message in problems
                ]
            policies_at = policies_at or f"{file}:{line}"
        for section in SECTIONS:
            value = data.get(section)
            if value is None:
                continue
            if not isinstance(value, list):
                kind = type(value).__name__
                error = MapError(section, f"must be a list of entries, got {kind}")
                errors.append(_at(error, file, marked.marks, (section,)))
                continue
            combined[section] += value
            origins[section] += [(file, marked.marks, index) for index in range(len(value))]
    try:
        service_map = parse_map(combined, progress, known)
    except MapValidationError as error:
        errors += [_relocated(e, origins) for e in error.errors]
        service_map = ServiceMap()
    if errors:
        raise MapValidationError(errors)
    service_map.policies = policies
    return service_map


ENTRY_PLACE = re.compile(r"(business_services|components)\[(\d+)\]")
PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
UNKNOWN_KEY = re.compile(r"^unknown key '([^']*)'")


def _unknown_key(message: str) -> str | None:
    found = UNKNOWN_KEY.match(message)
    return found.group(1) if found else None


def _at(
    error: MapError, file: str, marks: Marks, path: tuple[str | int, ...], *, key: bool = False
) -> MapError:
    line, column = marks.key(path) if key else marks.at(path)
    return replace(error, file=file, line=line, column=column)


def _relocated(error: MapError, origins: dict[str, list[tuple[str, Marks, int]]]) -> MapError:
    """An error of the combined map placed in its own file, with the file's own indexes."""
    found = ENTRY_PLACE.match(error.location)
    if found is None:
        return error
    file, marks, index = origins[found.group(1)][int(found.group(2))]
    rest = error.location[found.end() :]
    parts = [key or int(number) for key, number in PATH_PART.findall(rest)]
    path: tuple[str | int, ...] = (found.group(1), index, *parts)

    def place(match: re.Match[str]) -> str:  # "first at components[3]" -> file:line
        other_file, other_marks, other = origins[match.group(1)][int(match.group(2))]
        line = other_marks.at((match.group(1), other))[0]
        return f"{match.group(1)}[{other}], {other_file}:{line}"

    key = _unknown_key(error.message)
    line, column = marks.key((*path, key)) if key else marks.at(path)
    return replace(
        error,
        location=f"{found.group(1)}[{index}]{rest}",
        message=ENTRY_PLACE.sub(place, error.message),
        file=file,
        line=line,
        column=column,
    )


def _entries(data: dict[str, Any], section: str, errors: list[MapError]) -> list[tuple[int, Any]]:
    value = data.get(section)
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(MapError(section, f"must be a list of entries, got {type(value).__name__}"))
        return []
    return list(enumerate(value))


def _collect_names(
    entries: dict[str, list[tuple[int, Any]]], errors: list[MapError]
) -> dict[str, str]:
    """name key -> declared name; reports missing, bad and duplicate names."""
    names: dict[str, str] = {}
    where_declared: dict[str, str] = {}
    for section in SECTIONS:
        for index, entry in entries[section]:
            where = f"{section}[{index}]"
            if not isinstance(entry, dict):
                errors.append(MapError(where, f"must be a mapping with a name, got {entry!r}"))
                continue
            name = entry.get("name")
            if name is None:
                missing = "missing key 'name'" if "name" not in entry else "name is empty (null)"
                errors.append(MapError(where, missing))
            elif problem := name_problem(name):
                errors.append(MapError(f"{where}.name", problem))
            elif name_key(name) in names:
                first = where_declared[name_key(name)]
                message = f"duplicate name {name!r} (names are case-insensitive; first at {first})"
                errors.append(MapError(f"{where}.name", message))
            else:
                names[name_key(name)] = name
                where_declared[name_key(name)] = where
    return names


class _FlowList(list[Any]):
    """A list dumped inline: `[a, b, c]`."""


class _FlowDict(dict[str, Any]):
    """A mapping dumped inline: `{a: 1, b: 2}`."""


class _MapDumper(Dumper):  # type: ignore[misc,valid-type]
    pass


_MapDumper.add_representer(
    _FlowList,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)
_MapDumper.add_representer(
    _FlowDict,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
)


def dump_map(service_map: ServiceMap) -> str:
    """YAML for `service_map` in the file format; importing it gives back the same map."""
    outgoing: dict[str, list[Any]] = {}
    for dep in service_map.dependencies:
        item: Any = (
            dep.target if dep.kind == DependencyKind.HARD else {"name": dep.target, "kind": "soft"}
        )
        outgoing.setdefault(name_key(dep.source), []).append(item)
    for group in service_map.groups:
        outgoing.setdefault(name_key(group.dependant), []).append(_group_entry(group))
    document: dict[str, Any] = {"version": VERSION}
    for section, business in (("business_services", True), ("components", False)):
        document[section] = [
            _entry(c, outgoing.get(c.key, []))
            for c in service_map.components.values()
            if c.is_business == business
        ]
    if service_map.policies is not None:
        policies = dump_policies(service_map.policies)
        document[POLICIES] = {
            "priority": [_FlowDict(rule) for rule in policies["priority"]],
            "burn": {t: [_FlowDict(r) for r in rules] for t, rules in policies["burn"].items()},
        }
    return str(
        yaml.dump(document, Dumper=_MapDumper, sort_keys=False, allow_unicode=True, width=100)
    )


def _entry(component: Component, depends_on: list[Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": component.name}
    if not component.is_business:
        entry["kind"] = component.kind
    for key in ("title", "owner", "channel", "tier", "sla", "revenue_per_hour", "service_hours"):
        value = getattr(component, key)
        if value is not None:
            entry[key] = (
                int(value)
                if isinstance(value, float) and value.is_integer() and key != "sla"
                else value
            )
    if component.labels:
        entry["labels"] = dict(component.labels)
    for key in ("runbook_url", "description", "status_page"):
        if getattr(component, key) is not None:
            entry[key] = getattr(component, key)
    if component.check is not None:
        entry["check"] = _check_entry(component)
    if depends_on:
        plain = all(isinstance(item, str) for item in depends_on)
        entry["depends_on"] = (
            _FlowList(depends_on) if plain and len(depends_on) <= 8 else depends_on
        )
    return entry


def _check_entry(component: Component) -> dict[str, Any]:
    assert component.check is not None
    check = component.check
    entry: dict[str, Any] = {"url": check.url}
    defaults = (
        ("expect_status", 200),
        ("timeout_s", 5.0),
        ("interval_s", 30.0),
        ("failures_before_down", 3),
    )
    for key, default in defaults:
        if getattr(check, key) != default:
            entry[key] = getattr(check, key)
    return entry


def _group_entry(group: RedundancyGroup) -> dict[str, Any]:
    entry: dict[str, Any] = {"any_of": _FlowList(group.members), "min": group.min_label}
    if group.min_up is not None:
        entry["min"] = group.min_up
    if group.name != default_group_name(group.dependant, group.members):
        entry["name"] = group.name
    return entry
