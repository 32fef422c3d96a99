"""Change-risk preview from chat and the CLI: what planned work would do to the business.

    risk db-03 at saturday 02:00 for 2h
    what if we take db-03 down saturday 02:00 for 2h?

The words are read with the one grammar (`handlers.commands`): the components are the
words naming map components, the start is "at WHEN" or a weekday/"tomorrow"/ISO moment
("now" when none is given), the length is "for DURATION" (default 1h).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.answer import Answer, Item, Section
from handlers.commands import CommandError, duration, failed, is_moment_word, when
from handlers.commands import resolve as resolve_name
from handlers.names import NameIndex
from handlers.request import Request
from impact.clock import utcnow
from impact.engine import ImpactModel
from impact.errors import ImpactError
from impact.model import State
from impact.queries import business_key
from impact.risk import Margin, RiskPreview, current_margins
from services.risk import preview_risk

USAGE = (
    "risk db-03 at saturday 02:00 for 2h",
    "what if we take db-03 down tomorrow 02:00 for 90m?",
)
DEFAULT_LENGTH = timedelta(hours=1)


def risk(req: Request) -> Answer:
    """The `risk` intent: the preview of taking components down for a window."""
    try:
        names, start, length = read_plan(req.text, req.names, utcnow())
        if req.store is None or not hasattr(req.store, "maintenance_windows"):
            raise CommandError("the preview needs the database (current failures, windows)")
        preview = preview_risk(req.store, req.model, names, start, start + length)
    except (CommandError, ImpactError) as error:
        return failed("risk", error, USAGE)
    return risk_answer(preview)


def read_plan(text: str, names: NameIndex, now: datetime) -> tuple[list[str], datetime, timedelta]:
    """Components, start and length of the planned work `text` describes."""
    words = [w.strip("?!.,;") for w in text.split()]
    words = [w for w in words if w]
    components: list[str] = []
    moment_words: list[str] = []
    length: timedelta | None = None
    i = 0
    while i < len(words):
        word, folded = words[i], words[i].casefold()
        if folded == "for" and i + 1 < len(words):
            found = duration(words[i + 1 :])
            if found is not None:
                length, used = found
                i += 1 + used
                continue
        if folded == "at" and i + 1 < len(words):
            i += 1
            continue
        if is_moment_word(word):
            moment_words.append(word)
            i += 1
            continue
        exact = names.exact(word)
        if exact is not None and not names.component(exact).is_business:
            components.append(exact)
        i += 1
    if not components:
        raise CommandError("say which components the work takes down, e.g. `risk db-03 ...`")
    start = when(" ".join(moment_words), now) if moment_words else now
    return list(dict.fromkeys(components)), start, length or DEFAULT_LENGTH


def risk_answer(preview: RiskPreview) -> Answer:
    """The preview as an answer: sections per finding, `data` the JSON fields."""
    title = preview.titles
    label = ", ".join(preview.components)
    hours = preview.seconds / 3600
    span = f"{preview.start:%a %Y-%m-%d %H:%M}-{preview.end:%H:%M} UTC ({hours:g}h)"
    hit = len(preview.down) + len(preview.degraded)
    summary = (
        f"Taking {label} down {span}: {len(preview.down)} down, "
        f"{len(preview.degraded)} degraded, {len(preview.at_risk)} left at their minimum"
        if hit or preview.at_risk
        else f"Taking {label} down {span} touches no business service"
    )
    in_hours = set(preview.in_service_hours)

    def item(name: str, state: State, detail: str) -> Item:
        when_text = "inside service hours" if name in in_hours else "outside service hours"
        return Item(title.get(name, name), state, f"{detail}; {when_text}" if detail else when_text)

    sections = []
    if preview.down:
        sections.append(
            Section(
                "Would go down",
                tuple(item(s, State.DOWN, _budget(preview, s)) for s in preview.down),
            )
        )
    if preview.degraded:
        sections.append(
            Section(
                "Would be degraded",
                tuple(item(s, State.DEGRADED, "") for s in preview.degraded),
            )
        )
    if preview.margins:
        sections.append(
            Section(
                "Left at their redundancy minimum",
                tuple(
                    Item(
                        f"{m.group}: {m.up} of {len(m.members)} up, needs {m.required}",
                        State.DEGRADED,
                        "one more loss hits " + ", ".join(title.get(s, s) for s in m.services),
                    )
                    for m in preview.margins
                ),
            )
        )
    overlaps = [
        Item(
            f"maintenance #{w.id} on {w.component}",
            State.MAINTENANCE,
            f"{w.start:%Y-%m-%d %H:%M}-{w.end:%H:%M} UTC",
        )
        for w in preview.overlapping_windows
    ] + [Item(f"{name} is failing now", State.DOWN) for name in preview.overlapping_failures]
    if overlaps:
        sections.append(Section("Overlaps", tuple(overlaps)))
    notes = []
    if preview.owners or preview.channels:
        notes.append("Notify: " + ", ".join((*preview.owners, *preview.channels)))
    return Answer(
        "risk",
        summary,
        preview.components,
        tuple(sections),
        tuple(notes),
        data=preview.to_dict(),
    )


def _budget(preview: RiskPreview, name: str) -> str:
    seconds = preview.budget_s.get(name)
    if not seconds:
        return "an overrun costs no error budget"
    share = preview.budget_share.get(name)
    part = f" ({share:.0%} of the month's budget)" if share is not None else ""
    return f"an overrun as long costs {seconds / 60:g} min of error budget{part}"


def margin_items(model: ImpactModel, names: NameIndex) -> tuple[Item, ...]:
    """One line per redundancy group at its minimum now (status, the Home, `margins`)."""
    return tuple(_margin_item(m, names) for m in current_margins(model.fork()))


def _margin_item(margin: Margin, names: NameIndex) -> Item:
    ranked = sorted(  # by business impact: tier 1 first, then revenue per hour
        (names.component(s) for s in margin.services), key=lambda c: business_key(c, State.OK)
    )
    hit = ", ".join(c.display for c in ranked)
    lost = f"; {', '.join(margin.lost)} lost" if margin.lost else ""
    return Item(
        f"At risk: {margin.group} is down to {margin.up} of {len(margin.members)} "
        f"(needs {margin.required})",
        State.DEGRADED,
        f"one more loss takes {hit} down{lost}",
    )


def margins(req: Request) -> Answer:
    """The `margins` intent: "what is at risk?", "margins for checkout"."""
    found = current_margins(req.model.fork())
    try:
        wanted = _subjects(req)
    except CommandError as error:
        return failed("margins", error, ("what is at risk?", "margins for online-checkout"))
    if wanted:
        found = tuple(m for m in found if wanted & {m.group, m.dependant, *m.members, *m.services})
    scope = f" for {', '.join(sorted(wanted))}" if wanted else ""
    data = {
        "at_risk": sorted({s for m in found for s in m.services}),
        "margins": [
            {
                "group": m.group,
                "up": m.up,
                "required": m.required,
                "members": list(m.members),
                "lost": list(m.lost),
                "services": list(m.services),
            }
            for m in found
        ],
    }
    if not found:
        return Answer(
            "margins", f"Nothing at risk{scope}: every redundancy group has margin", data=data
        )
    items = tuple(_margin_item(m, req.names) for m in found)
    services = {s for m in found for s in m.services}
    return Answer(
        "margins",
        f"{len(services)} business service{'s' * (len(services) != 1)} at risk{scope}: "
        f"{len(found)} redundancy group{'s' * (len(found) != 1)} at the minimum",
        tuple(sorted(services)),
        (Section("At their redundancy minimum", items),),
        data=data,
    )


def _subjects(req: Request) -> set[str]:
    """The names after "for"/"of" in "margins for checkout" (resolved, business first)."""
    words = [w.strip("?!.,;") for w in req.text.split()]
    lead = next((i for i, w in enumerate(words) if w.casefold() in ("for", "of", "on")), None)
    if lead is None or lead + 1 >= len(words):
        return set()
    phrase = " ".join(words[lead + 1 :])
    found = req.names.resolve(phrase)
    return {found[0]} if found else {resolve_name(req.names, phrase)}  # raises: suggestions
