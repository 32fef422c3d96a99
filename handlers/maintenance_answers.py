"""Maintenance windows from chat: failures inside one are planned work, not outages.

    maintenance <component> for 2h [reason]
    maintenance list
    maintenance end <id>

After a window starts or ends the incidents are reconciled at once, so an open incident's
notice turns into (or out of) a muted "planned" notice without waiting for the next alert.
"""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.answer import Answer, Item, Section
from handlers.commands import CommandError, actor, duration, failed, number
from handlers.commands import resolve as resolve_name
from handlers.policy import MAINTENANCE_ADD, MAINTENANCE_END, MAINTENANCE_LIST, command_words
from handlers.request import Request
from impact.model import MaintenanceWindow, State
from services.risk import maintenance_warnings, preview_risk
from store import StoreError

USAGE = (
    "maintenance db-03 for 2h [reason]",
    "maintenance list",
    "maintenance end ID",
)
_REASON_LEAD = frozenset({"because", "reason", "reason:", "-", "--", ":", "for"})


def maintenance(req: Request) -> Answer:
    """The `maintenance` intent: add, list or end windows."""
    words = command_words("maintenance", req.text)
    verb = words[0].casefold() if words else "list"
    try:
        if verb in MAINTENANCE_LIST:
            return _list(req)
        if verb in MAINTENANCE_END:
            return _end(req, words[1:])
        return _add(req, words[1:] if verb in MAINTENANCE_ADD else words)
    except (CommandError, StoreError) as error:
        return failed("maintenance", error, USAGE)


def _add(req: Request, words: list[str]) -> Answer:
    found = next(
        ((i, d) for i in range(len(words)) if (d := duration(words[i:])) is not None), None
    )
    if found is None:
        raise CommandError("say for how long, e.g. `maintenance db-03 for 2h`")
    index, (length, used) = found
    subject = words[:index]
    if subject and subject[-1].casefold() == "for":
        subject = subject[:-1]
    if not subject:
        raise CommandError("say which component, e.g. `maintenance db-03 for 2h`")
    name = resolve_name(req.names, " ".join(subject))
    reason_words = words[index + used :]
    while reason_words and reason_words[0].casefold() in _REASON_LEAD:
        reason_words = reason_words[1:]
    reason = " ".join(reason_words) or None
    start = datetime.now(UTC)
    window = MaintenanceWindow(name, start, start + length, reason, actor(req).name)
    warnings = maintenance_warnings(preview_risk(req.store, req.model, [name], start, window.end))
    stored = req.store.add_maintenance(window, origin=req.origin)
    _reconcile(req)
    return Answer(
        "maintenance",
        f"Maintenance #{stored.id} on {name} until {stored.end:%Y-%m-%d %H:%M} UTC: "
        "its failures are planned work, not outages",
        (name,),
        notes=(*(f"Warning: {w}" for w in warnings), *((f"Reason: {reason}",) if reason else ())),
        data={"window": _json(stored), "warnings": list(warnings)},
    )


def _end(req: Request, words: list[str]) -> Answer:
    window_id = number(words, "maintenance window", "maintenance end 3")
    ended = req.store.end_maintenance(
        window_id, datetime.now(UTC), actor=actor(req).name, origin=req.origin
    )
    _reconcile(req)
    return Answer(
        "maintenance",
        f"Ended maintenance #{ended.id} on {ended.component}: its failures page again",
        (ended.component,),
        data={"window": _json(ended)},
    )


def _reconcile(req: Request) -> None:
    """Turn open incidents into (or out of) planned work now, not at the next alert."""
    if req.incidents is not None:
        req.incidents.reconcile()


def _list(req: Request) -> Answer:
    now = datetime.now(UTC)
    windows = [w for w in req.store.maintenance_windows() if w.end > now]
    if not windows:
        return Answer(
            "maintenance",
            "No maintenance windows now or planned",
            notes=USAGE[:1],
            data={"windows": []},
        )
    items = tuple(_item(w, now) for w in windows)
    return Answer(
        "maintenance",
        f"{len(windows)} maintenance window{'s' * (len(windows) != 1)}",
        sections=(Section("Maintenance", items),),
        notes=("End one with `maintenance end ID`.",),
        data={"windows": [_json(w) for w in windows]},
    )


def _item(window: MaintenanceWindow, now: datetime) -> Item:
    when = (
        f"until {window.end:%Y-%m-%d %H:%M} UTC"
        if window.covers(now)
        else f"from {window.start:%Y-%m-%d %H:%M} to {window.end:%H:%M} UTC"
    )
    by = f"by {window.created_by}" if window.created_by else None
    detail = "; ".join(p for p in (window.reason, by) if p)
    return Item(f"#{window.id} {window.component} {when}", State.MAINTENANCE, detail)


def _json(window: MaintenanceWindow) -> dict[str, object]:
    return {
        "id": window.id,
        "component": window.component,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "reason": window.reason,
        "created_by": window.created_by,
    }
