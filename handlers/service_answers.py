"""Answers about services themselves: status, owner, and the SLA placeholder."""

from __future__ import annotations

from handlers.answer import Action, Answer, Item, Section
from handlers.outage_facts import at_minimum_warning, groups_at_minimum
from handlers.request import Request
from handlers.risk_answers import margin_items
from handlers.wording import capped, capped_built, details, joined, money, plural
from impact.engine import ImpactModel
from impact.results import ServiceStatus


def status(req: Request) -> Answer:
    """Every business service worst first, or the state of the components asked about."""
    if req.subjects:
        return _subject_status(req)
    result = req.model.status()
    services = result.services
    failing = [s for s in services if s.state.is_failing]
    data: dict[str, object] = {"services": list(req.model.kept("status rows", _status_rows))}
    risky = margin_items(req.model, req.names)  # groups at their minimum: one loss from down
    risk_sections = (Section("At risk", risky),) if risky else ()
    if risky:
        data["at_risk"] = [i.text for i in risky]
    listed = capped_built("Business services", services, _status_item)
    share = (Action("share", "Share in channel", req.text),)
    if not failing:
        summary = f"All {plural(len(services), 'business service')} ok"
        others = [s for s in services if s.state.severity > 0]
        if others:
            summary += f" ({joined([f'{_title(s)} {s.state}' for s in others])})"
        return Answer(
            "status",
            summary,
            (),
            (listed, *risk_sections),
            actions=share,
            data=data,
        )
    worst = joined([f"{_title(s)} {s.state}" for s in failing])
    summary = f"{len(failing)} of {plural(len(services), 'business service')} failing: {worst}"
    at_risk = result.revenue_at_risk
    if at_risk:
        summary += f", {money(at_risk)} lost"
    actions = (
        Action(
            "show_paths",
            f"Why is {_title(failing[0])} {failing[0].state}?",
            f"why is {failing[0].name} {failing[0].state}",
        ),
        *share,
    )
    return Answer(
        "status",
        summary,
        (),
        (listed, *risk_sections),
        actions=actions,
        data=data,
    )


def _page(url: str | None) -> str | None:
    return f"status page {url}" if url else None


def _title(s: ServiceStatus) -> str:
    return s.title or s.name


def _status_item(s: ServiceStatus) -> Item:
    tier = f"tier {s.tier}" if s.tier else None
    causes = f"caused by {joined(list(s.causes))}" if s.causes else None
    return Item(_title(s), s.state, details(tier, causes, s.owner))


def _status_rows(model: ImpactModel) -> tuple[dict[str, object], ...]:
    """The answer's data rows of every business service: built once per states (`kept`),
    as a status question in a storm reads the same states as the one before it."""
    return tuple(_status_row(s) for s in model.status().services)


def _status_row(s: ServiceStatus) -> dict[str, object]:
    return {"name": s.name, "state": str(s.state), "tier": s.tier, "causes": list(s.causes)}


def _subject_status(req: Request) -> Answer:
    states = {n: req.model.state_of(n) for n in req.subjects}
    summary = "; ".join(f"{req.display(n)} is {s}" for n, s in states.items())
    rows = {n: req.names.component(n) for n in states}
    items = [
        Item(req.display(n), s, details(rows[n].owner, _page(rows[n].status_page)))
        for n, s in states.items()
    ]
    data: dict[str, object] = {
        "services": [
            {"name": n, "state": str(s), "tier": rows[n].tier, "status_page": rows[n].status_page}
            for n, s in states.items()
        ]
    }
    asked = set(req.subjects)
    thin = [g for g in groups_at_minimum(req) if asked & {g.dependant, *g.members}]
    if thin:
        summary += "; warning: " + "; ".join(at_minimum_warning(g) for g in thin)
        data["at_minimum"] = [g.name for g in thin]
    actions = [Action("share", "Share in channel", req.text)]
    failing = [n for n, s in states.items() if s.is_failing]
    if failing:
        actions.insert(
            0,
            Action(
                "show_paths",
                f"Why is {failing[0]} failing?",
                f"why is {failing[0]} {states[failing[0]]}",
            ),
        )
    return Answer(
        "status",
        summary,
        req.subjects,
        (capped("State", items),),
        actions=tuple(actions),
        data=data,
    )


def owner(req: Request) -> Answer:
    """Who owns the subjects and where to reach them."""
    rows = [req.names.component(n) for n in req.subjects]
    items = [
        Item(
            c.name,
            None,
            details(c.owner or "no owner set", c.channel, c.runbook_url, _page(c.status_page)),
        )
        for c in rows
    ]
    first = rows[0]
    where = f" ({first.channel})" if first.channel else ""
    if len(rows) == 1:
        who = first.owner or "nobody (no owner in the map)"
        summary = f"{req.display(first.name)} is owned by {who}{where}"
    else:
        summary = "; ".join(f"{c.name}: {c.owner or 'no owner'}" for c in rows)
    data = {
        "owner": first.owner,
        "channel": first.channel,
        "runbook": first.runbook_url,
        "status_page": first.status_page,
        "owners": [
            {
                "name": c.name,
                "owner": c.owner,
                "channel": c.channel,
                "runbook": c.runbook_url,
                "status_page": c.status_page,
            }
            for c in rows
        ],
    }
    escalation = [
        f"Escalate: post in {first.channel} first" if first.channel else None,
        f"then page the {first.owner} on-call" if first.owner else None,
        f"runbook: {first.runbook_url}" if first.runbook_url else None,
        f"vendor status page: {first.status_page}" if first.status_page else None,
    ]
    hints = tuple(h for h in escalation if h)
    sections = [capped("Owners", items)]
    if hints:
        sections.append(Section("Escalation", tuple(Item(h) for h in hints)))
    return Answer(
        "owner",
        summary,
        req.subjects,
        tuple(sections),
        actions=(
            Action("ask", f"What does {first.name} affect?", f"what does {first.name} affect?"),
            Action("share", "Share in channel", req.text),
        ),
        data=data,
    )
