"""Answers about the dependency graph: depends, why, spof and path."""

from __future__ import annotations

from handlers.answer import Action, Answer, Item, Section
from handlers.outage_facts import (
    failing_since,
    groups_at_minimum,
    open_incident,
    reach,
)
from handlers.request import Request
from handlers.wording import capped, details, joined, plural
from impact.model import Component, State
from impact.results import DependencyNode

DEFAULT_DEPTH = 3
TREE_CAP = 25
RANKED = 60  # single points ranked by their measured impact; a failure each, so bounded


def depends(req: Request) -> Answer:
    """What the subject needs, as a tree a few levels deep, failing nodes called out."""
    subject = req.subjects[0]
    depth = req.question.depth or DEFAULT_DEPTH
    result = req.model.depends(subject, depth=depth)
    direct = len(result.tree.children)
    rows = [
        item for child in _failing_first(result.tree.children) for item in _tree_items(child, 0)
    ]
    failing = sorted({n for n in result.dependencies if req.model.state_of(n).is_failing})
    summary = (
        f"{req.display(subject)} depends on {plural(len(result.dependencies), 'component')}"
        f" ({direct} direct)"
    )
    summary += f"; failing now: {joined(failing)}" if failing else "; all ok now"
    notes = ["Soft dependencies degrade, never take down; groups show members needed."]
    if _cut(result.tree):
        notes.append(
            f"Cut at {depth} levels (marked ...): ask `deps of {subject} depth {depth + 2}`"
            " to see deeper"
        )
    if len(rows) > TREE_CAP:
        notes.append(f"Showing {TREE_CAP} of {len(rows)} lines, failing branches first")
    return Answer(
        intent="depends",
        summary=summary,
        subjects=req.subjects,
        sections=(capped(f"Dependencies, {depth} levels", rows, TREE_CAP),),
        notes=tuple(notes),
        actions=(
            Action("simulate", "Simulate its failure", f"what if {subject} fails"),
            Action("share", "Share in channel", req.text),
        ),
        data={
            "dependencies": list(result.dependencies),
            "direct": direct,
            "depth": depth,
            "failing": failing,
        },
    )


def _tree_items(node: DependencyNode, level: int) -> list[Item]:
    relation = None if node.relation == "hard" else node.relation
    more = "..." if node.truncated else None
    row = Item("  " * level + node.name, node.state, details(node.group, relation, more))
    children = _failing_first(node.children)
    return [row] + [item for child in children for item in _tree_items(child, level + 1)]


def _failing_first(nodes: tuple[DependencyNode, ...]) -> list[DependencyNode]:
    """Failing branches lead (worst first); the rest keep the map's order."""
    return sorted(nodes, key=lambda n: -_worst(n))


def _worst(node: DependencyNode, seen: dict[int, int] | None = None) -> int:
    """The worst severity in a branch (each node visited once per call)."""
    seen = {} if seen is None else seen
    if id(node) not in seen:
        seen[id(node)] = max([node.state.severity, *(_worst(c, seen) for c in node.children)])
    return seen[id(node)]


def _cut(node: DependencyNode) -> bool:
    return node.truncated or any(_cut(c) for c in node.children)


def why(req: Request) -> Answer:
    """Why the subject is in its state: the root causes among its dependencies."""
    subject = req.subjects[0]
    result = req.model.why(subject)
    name = req.display(subject)
    causes = result.root_causes
    data = {
        "state": str(result.state),
        "root_causes": [c.name for c in causes],
        "paths": [list(c.path) for c in causes],
    }
    if not result.state.is_failing and result.state != State.MAINTENANCE:
        summary = f"{name} is {result.state}: nothing to explain"
        return Answer(
            "why",
            summary,
            req.subjects,
            data=data,
            actions=(Action("share", "Share in channel", req.text),),
        )
    items = [
        Item(
            c.name,
            c.state,
            details(
                "planned maintenance" if c.planned else None,
                f"explains {c.explains}",
                " -> ".join(c.path),
            ),
        )
        for c in causes
    ]
    if causes:
        # the causes that produce the state lead; those that only degrade it follow
        lead = [c for c in causes if c.effect != State.DEGRADED] or list(causes)
        labels = [f"{c.name} ({'maintenance' if c.planned else c.state})" for c in lead]
        summary = f"{name} is {result.state} because of {joined(labels)}"
        also = [c.name for c in causes if c not in lead]
        summary += f"; also degraded by {joined(also)}" if also else ""
    else:
        summary = f"{name} is {result.state} itself; none of its dependencies is failing"
    sections = [capped("Root causes", items)]
    notes: list[str] = []
    culprits = [c.name for c in causes] or [subject]
    since = {n: found for n in culprits if (found := failing_since(req, n))}
    if since:
        first, (start, lasted) = next(iter(since.items()))
        notes.append(f"{first} failing since {start:%Y-%m-%d %H:%M} UTC, for {lasted}")
        data["since"] = {n: at.isoformat() for n, (at, _) in since.items()}
    incident = open_incident(req, [subject, *culprits])
    if incident is not None:
        notes.append(f"Incident #{incident.id} is open since {incident.started_at:%H:%M} UTC")
        data["incident"] = incident.id
    else:
        notes.append("No open incident about it")
    paths = {c.name: c.path for c in causes}
    contacts = [
        Item(n, None, line)
        for n in culprits
        if (line := reach(req.names.component(n), _team_parent(req, paths.get(n, ()))))
    ]
    if contacts:
        sections.append(Section("Who to call", tuple(contacts[:5])))
    nxt = culprits[0]
    return Answer(
        "why",
        summary,
        req.subjects,
        tuple(sections),
        notes=tuple(notes),
        actions=(
            Action("ask", f"What else does {nxt} affect?", f"what does {nxt} affect?"),
            Action("ask", f"Who owns {nxt}?", f"who owns {nxt}?"),
            Action("share", "Share in channel", req.text),
        ),
        data=data,
    )


def spof(req: Request) -> Answer:
    """Components whose failure alone takes the subject down, worst blast radius first;
    without a subject ("any single point of failure?", "spof in the whole map"), those of
    every business service."""
    if not req.subjects:
        return _spof_everywhere(req)
    subject = req.subjects[0]
    result = req.model.spof(subject)
    ranked = _by_blast_radius(req, result.spofs)
    name = req.display(subject)
    now = _single_points_now(req, subject)
    # the single points of right now lead (the headline names them), then by business impact
    items = [
        Item(n, req.model.state_of(n), f"single point now: {g} at its minimum")
        for n, g in now.items()
    ]
    items += [
        Item(
            n,
            req.model.state_of(n),
            details(
                "failing now" if req.model.state_of(n).is_failing else None,
                req.names.component(n).kind,
                req.names.component(n).owner,
            ),
        )
        for n in ranked
    ]
    data: dict[str, object] = {"spofs": ranked, "spofs_now": list(now)}
    share = Action("share", "Share in channel", req.text)
    if not ranked and not now:
        summary = f"{name} has no single point of failure: redundancy absorbs every single failure"
        return Answer("spof", summary, req.subjects, data=data, actions=(share,))
    if not ranked:
        summary = f"{name} has no single point of failure by design"
    else:
        summary = (
            f"{name} has {plural(len(ranked), 'single point')} of failure: {joined(ranked, 5)}"
        )
    if now:
        groups = sorted(set(now.values()))
        summary += f"; right now also {joined(list(now), 3)} ({joined(groups)} at its minimum)"
    ranked = ranked or list(now)
    actions = (
        Action("simulate", f"Simulate {ranked[0]} failing", f"what if {ranked[0]} fails"),
        Action("show_paths", f"Path to {ranked[0]}", f"path from {subject} to {ranked[0]}"),
        share,
    )
    return Answer(
        "spof",
        summary,
        req.subjects,
        (capped("Single points of failure", items),),
        actions=actions,
        data=data,
    )


def _team_parent(req: Request, path: tuple[str, ...] | list[str]) -> Component | None:
    """The first component above a cause on its path with the cause's owner and a channel or
    runbook (a database node's cluster): where the owning team's channel and runbook live."""
    if len(path) < 2:
        return None
    owner = req.names.component(path[0]).owner
    for name in path[1:]:
        above = req.names.component(name)
        if above.owner != owner:
            return None
        if above.channel or above.runbook_url:
            return above
    return None


def _spof_everywhere(req: Request) -> Answer:
    """The single points of failure of the whole map: each takes a business service down."""
    services = [s.name for s in req.model.status().services]
    takes: dict[str, list[str]] = {}
    for service in services:
        for n in req.model.spof(service).spofs:
            takes.setdefault(n, []).append(service)
    ranked = _by_blast_radius(req, tuple(sorted(takes)))
    items = [
        Item(
            n,
            req.model.state_of(n),
            details(
                "failing now" if req.model.state_of(n).is_failing else None,
                f"takes down {joined([req.display(s) for s in takes[n]], 3)}",
                req.names.component(n).owner,
            ),
        )
        for n in ranked
    ]
    data: dict[str, object] = {"spofs": ranked, "services": len(services)}
    share = Action("share", "Share in channel", req.text)
    if not ranked:
        summary = (
            f"No single point of failure in the map: redundancy absorbs every single failure"
            f" of its {plural(len(services), 'business service')}"
        )
        return Answer("spof", summary, (), data=data, actions=(share,))
    summary = (
        f"The map has {plural(len(ranked), 'single point')} of failure across"
        f" {plural(len(services), 'business service')}: {joined(ranked, 5)}"
    )
    actions = (
        Action("simulate", f"Simulate {ranked[0]} failing", f"what if {ranked[0]} fails"),
        share,
    )
    section = capped("Single points of failure", items)
    return Answer("spof", summary, (), (section,), actions=actions, data=data)


def _single_points_now(req: Request, subject: str) -> dict[str, str]:
    """Members of groups at their minimum whose failure now takes `subject` down."""
    found: dict[str, str] = {}
    for group in groups_at_minimum(req):
        for member in group.members:
            if member in group.failed_members or member in found:
                continue
            result = req.model.whatif([member])
            if subject in {c.name for c in result.changes if c.after == State.DOWN}:
                found[member] = group.name
    return found


def _by_blast_radius(req: Request, spofs: tuple[str, ...]) -> list[str]:
    """Order by business impact: the revenue a failure takes down, then how many business
    services; measured for up to `RANKED` single points (the rest follow, by name)."""
    measured = {}
    for n in spofs[:RANKED]:
        hit = req.model.affects([n])
        measured[n] = (-hit.revenue_at_risk, -len(hit.down), n)
    ranked = sorted(measured, key=lambda n: measured[n])
    return ranked + sorted(n for n in spofs if n not in measured)


def path(req: Request) -> Answer:
    """How one component depends on another: shortest dependency paths, either direction."""
    if len(req.subjects) < 2:
        return Answer(
            "path",
            "A path needs two names, e.g. `path online-checkout db-03`",
            req.subjects,
            ok=False,
        )
    a, b = req.subjects[0], req.subjects[1]
    result = req.model.path(a, b)
    if not result.paths:
        reverse = req.model.path(b, a)
        if reverse.paths:
            result, a, b = reverse, b, a
    paths = [list(p) for p in result.paths]
    share = Action("share", "Share in channel", req.text)
    if not paths:
        summary = f"{req.display(a)} and {req.display(b)} do not depend on each other"
        return Answer("path", summary, (a, b), actions=(share,), data={"paths": []})
    hops = len(paths[0]) - 1
    summary = (
        f"{req.display(a)} depends on {req.display(b)} in {plural(hops, 'hop')}: "
        f"{' -> '.join(paths[0])}"
    )
    if len(paths) > 1:
        summary += f" ({len(paths) - 1} more path{'s' if len(paths) > 2 else ''})"
    items = [Item(" -> ".join(p)) for p in paths]
    return Answer(
        "path",
        summary,
        (a, b),
        (capped("Paths", items),),
        actions=(Action("simulate", f"Simulate {b} failing", f"what if {b} fails"), share),
        data={"paths": paths},
    )
