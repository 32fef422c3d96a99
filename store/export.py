"""Exports of a service map: the YAML map format, Graphviz DOT and Mermaid flowcharts.

Graph exports draw hard dependencies as solid arrows, soft ones dashed, and a redundancy
group as its own node ("2 of 3") between the dependant and its members. Cycles are drawn
as they are stored.
"""

from __future__ import annotations

from collections.abc import Callable

from impact.model import Component, DependencyKind, RedundancyGroup, ServiceMap
from store.errors import StoreError
from store.mapfile import dump_map

EXPORT_FORMATS = ("yaml", "dot", "mermaid")


def export_map(service_map: ServiceMap, fmt: str = "yaml") -> str:
    """`service_map` as text in `fmt` (yaml, dot or mermaid)."""
    exporters: dict[str, Callable[[ServiceMap], str]] = {
        "yaml": dump_map,
        "dot": to_dot,
        "mermaid": to_mermaid,
    }
    if fmt not in exporters:
        raise StoreError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    return exporters[fmt](service_map)


def _group_label(group: RedundancyGroup) -> str:
    need = f"{group.min_label}" if group.min_percent is not None else str(group.min_up)
    return f"{group.name}\\n{need} of {len(group.members)}"


def _node_label(component: Component) -> str:
    details = [component.kind]
    if component.tier is not None:
        details.append(f"tier {component.tier}")
    if component.sla is not None:
        details.append(f"SLA {component.sla:g}%")
    title = component.display if component.title else component.name
    return f"{title}\\n({', '.join(details)})"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n") + '"'


def to_dot(service_map: ServiceMap) -> str:
    """Graphviz DOT: `dot -Tsvg map.dot > map.svg`."""
    lines = ["digraph service_map {", "  rankdir=LR;", '  node [shape=box, style="rounded"];']
    for component in service_map.components.values():
        shape = ", shape=doubleoctagon" if component.is_business else ""
        label = _dot_quote(_node_label(component))
        lines.append(f"  {_dot_quote(component.name)} [label={label}{shape}];")
    for dep in service_map.dependencies:
        style = ' [style=dashed, label="soft"]' if dep.kind == DependencyKind.SOFT else ""
        lines.append(f"  {_dot_quote(dep.source)} -> {_dot_quote(dep.target)}{style};")
    for group in service_map.groups:
        node = _dot_quote(f"group:{group.name}")
        lines.append(f"  {node} [label={_dot_quote(_group_label(group))}, shape=diamond];")
        lines.append(f"  {_dot_quote(group.dependant)} -> {node};")
        lines += [f"  {node} -> {_dot_quote(m)} [style=dotted];" for m in group.members]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\\n", "<br>")


def to_mermaid(service_map: ServiceMap) -> str:
    """A Mermaid flowchart (renders in GitHub/GitLab Markdown inside ```mermaid fences)."""
    ids = {name: f"n{index}" for index, name in enumerate(service_map.components)}
    lines = ["flowchart LR"]
    for name, component in service_map.components.items():
        label = _mermaid_text(_node_label(component))
        lines.append(
            f'  {ids[name]}(["{label}"])' if component.is_business else f'  {ids[name]}["{label}"]'
        )
    keys = {c.key: ids[name] for name, c in service_map.components.items()}
    for dep in service_map.dependencies:
        source, target = keys[dep.source.casefold()], keys[dep.target.casefold()]
        arrow = "-. soft .->" if dep.kind == DependencyKind.SOFT else "-->"
        lines.append(f"  {source} {arrow} {target}")
    for index, group in enumerate(service_map.groups):
        node = f"g{index}"
        lines.append(f'  {node}{{"{_mermaid_text(_group_label(group))}"}}')
        lines.append(f"  {keys[group.dependant.casefold()]} --> {node}")
        lines += [f"  {node} -.- {keys[m.casefold()]}" for m in group.members]
    business = [ids[name] for name, c in service_map.components.items() if c.is_business]
    if business:
        lines.append("  classDef business fill:#fde68a,stroke:#b45309")
        lines.append(f"  class {','.join(business)} business")
    return "\n".join(lines) + "\n"
