"""The dependency graph of a service page as SVG: a layered layout, computed here.

The subject sits on the top row, each level of dependencies below it (the level a node is
first reached at; a wide level wraps onto several rows); nodes keep the breadth-first
order, so a row reads left to right as the map lists them. Failing nodes carry their
state as text and an outline, not colour alone; edges on a root-cause path are thick, the
others thin (soft ones dashed). Every node with a page links to it.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from bot.web.figures import Graph, Node

NODE_W, NODE_H = 168, 46
GAP_X, GAP_Y = 24, 56
MARGIN = 12
PER_LINE = 6
LABEL = 22  # characters of a name shown in a box; the full name is in its <title>


def layout(graph: Graph) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Top-left corner of each node's box, and the drawing's width and height.

    A level wider than `PER_LINE` nodes wraps onto more lines, so the drawing stays
    about a screen wide whatever the map.
    """
    rows: dict[int, list[Node]] = {}
    for node in graph.nodes:
        rows.setdefault(node.depth, []).append(node)
    lines = [
        row[i : i + PER_LINE]
        for _, row in sorted(rows.items())
        for i in range(0, len(row), PER_LINE)
    ]
    widest = max((len(line) for line in lines), default=1)
    width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X
    places: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(lines):
        used = len(line) * NODE_W + (len(line) - 1) * GAP_X
        left = (width - used) // 2
        top = MARGIN + number * (NODE_H + GAP_Y)
        for index, node in enumerate(line):
            places[node.name] = (left + index * (NODE_W + GAP_X), top)
    height = MARGIN * 2 + len(lines) * NODE_H + max(0, len(lines) - 1) * GAP_Y
    return places, width, height


def render_svg(graph: Graph, prefix: str = "/dashboard") -> str:
    """The graph as an inline SVG element (role img, titled, with a text description)."""
    places, width, height = layout(graph)
    failing = [n.name for n in graph.nodes if n.state.is_failing]
    description = f"{len(graph.nodes)} components around {graph.subject}; " + (
        f"failing: {', '.join(failing)}" if failing else "none failing"
    )
    parts = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" role="group" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="graph-title graph-desc">',
        f'<title id="graph-title">Dependencies of {escape(graph.subject)}</title>',
        f'<desc id="graph-desc">{escape(description)}</desc>',
    ]
    for source, target, relation in graph.edges:
        (x1, y1), (x2, y2) = places[source], places[target]
        cause = (source, target) in graph.cause_edges
        kind = "edge cause" if cause else f"edge {escape(relation)}"
        parts.append(
            f'<line class="{kind}" x1="{x1 + NODE_W // 2}" y1="{y1 + NODE_H}" '
            f'x2="{x2 + NODE_W // 2}" y2="{y2}"/>'
        )
    for node in graph.nodes:
        parts.append(_node(node, places[node.name], prefix))
    parts.append("</svg>")
    return "".join(parts)


def _node(node: Node, place: tuple[int, int], prefix: str) -> str:
    x, y = place
    name = node.name if len(node.name) <= LABEL else node.name[: LABEL - 1] + "\u2026"
    second = f"{node.label} up" if node.label else node.kind
    box = (
        f'<g class="node state-{escape(node.state.value)}">'
        f"<title>{escape(node.name)}: {escape(node.state.value)}</title>"
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
        f'<text x="{x + 8}" y="{y + 18}" class="name">{escape(name)}</text>'
        f'<text x="{x + 8}" y="{y + 36}" class="meta">'
        f"{escape(node.state.value.upper())} \u00b7 {escape(second)}</text></g>"
    )
    if not node.link:
        return box
    return f'<a href="{prefix}/components/{quote(node.name)}">{box}</a>'
