"""Answers about failure impact: affects (what a failure takes down) and whatif (on top of now)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from handlers.answer import Action, Answer, Item, Section
from handlers.request import Request
from handlers.wording import (
    FULL_CAP,
    LIST_CAP,
    capped,
    capped_built,
    details,
    joined,
    money,
    plural,
)
from impact.engine import ImpactModel
from impact.model import State
from impact.results import AffectsResult, GroupImpact, ServiceImpact, WhatIfResult

ANSWERS_KEPT = 64  # subjects whose affects answer is kept per states


def affects(req: Request) -> Answer:
    """What a failure of the subjects would take down: alone (on an otherwise healthy
    map), and, when something is failing now, given what is down now. Everything but its
    actions (which carry the question's text) is kept per states (`ImpactModel.kept`, for
    `ANSWERS_KEPT` subjects): in a storm the same question asked again builds nothing."""
    kept = req.model.kept_each("affects answers", req.subjects, lambda: _affects(req), ANSWERS_KEPT)
    summary, sections, notes, data, result = kept
    return Answer(
        intent="affects",
        summary=summary,
        subjects=req.subjects,
        sections=sections,
        notes=notes,
        actions=_impact_actions(req, result, simulate=True),
        data=dict(data),
    )


_Affects = tuple[str, tuple[Section, ...], tuple[str, ...], dict[str, object], AffectsResult]


def _affects(req: Request) -> _Affects:
    result = req.model.affects(list(req.subjects))
    who = req.label(req.subjects)
    summary = _impact_summary(req, result, f"{who} outage")
    sections = _impact_sections(req, result)
    data = _impact_data(result)
    notes = ["Hypothetical: everything else assumed healthy."]
    failing = failing_now(req)
    if failing:  # only what the subjects add is shown: not the whole what-if
        more = _ranked(req.model.newly_down(list(req.subjects)))
        if more:
            names = joined([req.display(s.name) for s in more], 2)
            summary += (
                f"; with {joined(failing, 3)} down now, losing {who} takes "
                f"{plural(len(more), 'more business service')} down: {names}"
            )
            traced = _through_subject(req, more)
            given = capped_built("Down given what is down now", traced, _item_of(req))
            sections = (given, *sections)
        else:
            summary += f"; with {joined(failing, 3)} down now, losing {who} takes nothing more down"
        notes = ["Alone: everything else healthy; given now: on top of the current states."]
        data |= {"failing_now": failing, "down_given_now": [s.name for s in more]}
    return summary, sections, tuple(notes), data, result


def failing_now(req: Request) -> list[str]:
    """Components reported down or degraded now (the subjects aside); the sorted list of
    them kept per states (a storm's thousands, read by every affects answer)."""
    subjects = set(req.subjects)
    return [n for n in req.model.kept("failing now", _failing) if n not in subjects]


def _failing(model: ImpactModel) -> tuple[str, ...]:
    failing = (State.DOWN, State.DEGRADED)
    return tuple(sorted(n for n, st in model.observed().items() if st in failing))


def _through_subject(req: Request, services: Sequence[ServiceImpact]) -> list[ServiceImpact]:
    """`services` with their path from the asked subject when they have one: a service lost
    because a subject fails on top of now reads "via db-03 -> orders-db -> ...", not via
    the component that was already down. Looked up for the items shown inline only."""
    via: dict[str, tuple[str, ...]] = {}
    for subject in req.subjects:  # the first subject with a path gives it
        shown = [s.name for s in services[:LIST_CAP] if s.name not in via]
        for name, paths in zip(shown, req.model.paths_to(shown, subject), strict=True):
            if paths:
                via[name] = tuple(reversed(paths[0]))
    return [replace(s, path=via[s.name]) if s.name in via else s for s in services]


def _newly(result: WhatIfResult, state: State) -> list[ServiceImpact]:
    """The business services the what-if moves into `state`, by business impact."""
    moved = {c.name for c in result.changes if c.after == state and c.before != state}
    listed = result.affects.down if state == State.DOWN else result.affects.degraded
    return [s for s in _ranked(listed) if s.name in moved]


def whatif(req: Request) -> Answer:
    """What a failure of the subjects would change, on top of the current states."""
    result: WhatIfResult = req.model.whatif(list(req.subjects))
    who = req.label(req.subjects)
    changes = tuple(
        Item(f"{req.display(c.name)}: {c.before} -> {c.after}", c.after) for c in result.changes
    )
    sections = _impact_sections(req, result.affects)
    if changes:
        sections = (capped("Changes from now", changes), *sections)
    summary = _impact_summary(req, result.affects, f"Now, a {who} outage")
    if not result.changes and (result.affects.down or result.affects.degraded):
        summary += " (no change: already failing)"
    already = [c for c in req.model.status().services if c.state == State.DOWN]
    more = _newly(result, State.DOWN)
    if already:  # the headline counts the loss beyond what is down now
        lost = joined([req.display(s.name) for s in more], 2)
        extra = sum(s.revenue_per_hour for s in more)
        lost += f", {money(extra)} more at risk" if extra else ""
        head = (
            f"Now, a {who} outage takes {plural(len(more), 'more business service')} down ({lost})"
            if more
            else f"Now, a {who} outage takes nothing more down"
        )
        down_now = joined([req.display(s.name) for s in already], 3)
        summary = f"{head}; already down: {down_now}"
        if more:
            newly = capped_built("Newly down", _through_subject(req, more), _item_of(req))
            sections = (newly, *sections)
    watched = _focus(req, result)
    if watched:
        summary += f"; {watched}"
    data = _impact_data(result.affects) | {
        "changes": [
            {"name": c.name, "before": str(c.before), "after": str(c.after)} for c in result.changes
        ],
        "newly_down": [s.name for s in more],
        "already_down": [s.name for s in already],
    }
    return Answer(
        intent="whatif",
        summary=summary,
        subjects=req.subjects,
        sections=sections,
        notes=("Simulated on top of the current states.",),
        actions=_impact_actions(req, result.affects, simulate=False),
        data=data,
    )


def _focus(req: Request, result: WhatIfResult) -> str | None:
    """What happens to the service a question watched ("what happens to checkout if ...")."""
    phrase = req.question.args.get("focus")
    found = req.names.resolve(phrase) if phrase else ()
    if len(found) != 1:
        return None
    name = found[0]
    if name in req.subjects:
        return f"{req.display(name)} is one of the failures simulated"
    change = next((c for c in result.changes if c.name == name), None)
    if change is not None:
        return f"{req.display(name)} goes {change.before} -> {change.after}"
    return f"{req.display(name)} stays {req.model.state_of(name)}"


def _impact_summary(req: Request, result: AffectsResult, lead: str) -> str:
    """`<lead> takes down N business services (tier-1: ...), $X/h at risk`, or what held."""
    down = _ranked(result.down)
    if down:
        tier1 = [req.display(s.name) for s in down if s.tier == 1]
        named = f"tier-1: {joined(tier1)}" if tier1 else joined([req.display(s.name) for s in down])
        text = f"{lead} takes down {plural(len(down), 'business service')} ({named})"
        if result.revenue_at_risk:
            text += f", {money(result.revenue_at_risk)} at risk"
        if result.degraded:
            text += f"; {len(result.degraded)} more degraded"
        return text
    subject = req.label(req.subjects)
    # "db-01 alone takes", "kafka-01 and kafka-02 together take"
    takes = "alone takes" if len(req.subjects) == 1 else "together take"
    degraded = joined([req.display(s.name) for s in _ranked(result.degraded)])
    held = [g for g in result.groups if g.holds]
    if held:
        groups = "; ".join(f"{g.name} drops to {g.up} of {len(g.members)}" for g in held[:3])
        text = f"{subject} {takes} nothing down; {groups}"
        if result.degraded:
            text += f"; {plural(len(result.degraded), 'business service')} degraded ({degraded})"
        return text
    if result.degraded:
        count = plural(len(result.degraded), "business service")
        return f"{lead} degrades {count} ({degraded}) but takes none down"
    if result.components_impacted:
        hit = plural(result.components_impacted, "component")
        return f"{subject} {takes.split()[1]} no business service down ({hit} impacted)"
    return f"{subject} {takes.split()[1]} nothing down"


def _ranked(services: Sequence[ServiceImpact]) -> list[ServiceImpact]:
    """Business impact order: tier first, then revenue per hour."""
    return sorted(services, key=lambda s: (s.tier or 9, -s.revenue_per_hour, s.name))


def _service_item(req: Request, s: ServiceImpact, saved: bool = False) -> Item:
    tier = f"tier {s.tier}" if s.tier else None
    revenue = money(s.revenue_per_hour) if s.revenue_per_hour else None
    via = f"via {' -> '.join(s.path)}" if len(s.path) >= 2 else None
    kept = "kept up by redundancy" if saved else None
    return Item(req.display(s.name), s.state, details(tier, revenue, kept, s.owner, s.channel, via))


def _item_of(req: Request) -> Callable[[ServiceImpact], Item]:
    return lambda s: _service_item(req, s)


def _group_item(g: GroupImpact) -> Item:
    lost = f"lost {joined(g.failed_members, FULL_CAP)}" if g.failed_members else None
    state = State.DEGRADED if g.holds else State.DOWN
    text = f"{g.name}: {g.up} of {len(g.members)} up, needs {g.required}"
    return Item(text, state, details(f"for {g.dependant}", lost))


def _impact_sections(req: Request, result: AffectsResult) -> tuple[Section, ...]:
    """The sections, with items built only for what is shown (`capped_built`)."""
    sections = []
    if result.down:
        down = _ranked(result.down)
        sections.append(capped_built("Down", down, _item_of(req)))
    if result.degraded:
        protected = set(result.protected)
        degraded = _ranked(result.degraded)
        sections.append(
            capped_built("Degraded", degraded, lambda s: _service_item(req, s, s.name in protected))
        )
    shown = {s.name for s in result.degraded}
    saved = [n for n in result.protected if n not in shown]
    if saved:
        saved_item = lambda n: Item(req.display(n), State.OK, "saved by redundancy")  # noqa: E731
        sections.append(capped_built("Protected", saved, saved_item))
    if result.groups:
        sections.append(capped_built("Redundancy", result.groups, _group_item))
    return tuple(sections)


def _impact_actions(req: Request, result: AffectsResult, *, simulate: bool) -> tuple[Action, ...]:
    subjects = ", ".join(req.subjects)
    actions = []
    hit = _ranked(result.down) or _ranked(result.degraded)
    if hit:
        target = hit[0].name
        actions.append(
            Action(
                "show_paths",
                f"Paths to {req.display(target)}",
                f"path from {target} to {req.subjects[0]}",
            )
        )
    if simulate:
        actions.append(
            Action(
                "simulate",
                "Simulate now",
                f"what if {subjects} fail{'s' if len(req.subjects) == 1 else ''}",
            )
        )
    actions.append(Action("share", "Share in channel", req.text))
    return tuple(actions)


def _impact_data(result: AffectsResult) -> dict[str, object]:
    return {
        "down": [s.name for s in _ranked(result.down)],
        "degraded": [s.name for s in _ranked(result.degraded)],
        "protected": list(result.protected),
        "components_impacted": result.components_impacted,
        "revenue_at_risk": result.revenue_at_risk,
        "groups": [
            {
                "name": g.name,
                "dependant": g.dependant,
                "up": g.up,
                "required": g.required,
                "members": len(g.members),
                "holds": g.holds,
            }
            for g in result.groups
        ],
    }
