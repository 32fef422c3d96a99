"""Maintenance windows from chat: failures inside one are planned work, not outages.

    maintenance <component> for 2h [reason]
    maintenance <component> at saturday 02:00 for 2h [announce 1h] [reason]
    maintenance list
    maintenance end <id>

A window starts now unless a start is given ("at WHEN": a weekday and a time, tomorrow
HH:MM, an ISO datetime; UTC, the one reader `handlers.commands.when`). "announce 1h" tells
the channels of the business services it would hit that long before it starts (the
`maintenance_announce` job, `services.announce`); ending the window first cancels it.
After a window starts or ends the incidents are reconciled at once, so an open incident's
notice turns into (or out of) a muted "planned" notice without waiting for the next alert.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handlers.answer import Answer, Item, Section
from handlers.commands import (
    CommandError,
    actor,
    duration,
    failed,
    is_moment_word,
    number,
    when,
)
from handlers.commands import resolve as resolve_name
from handlers.policy import MAINTENANCE_ADD, MAINTENANCE_END, MAINTENANCE_LIST, command_words
from handlers.request import Request
from impact.durations import spell_duration
from impact.errors import ImpactError
from impact.model import MaintenanceWindow, State
from services.risk import maintenance_warnings, preview_risk
from store import StoreError

USAGE = (
    "maintenance db-03 for 2h [reason]",
    "maintenance db-03 at saturday 02:00 for 2h announce 1h [reason]",
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
    except (CommandError, StoreError, ImpactError) as error:
        return failed("maintenance", error, USAGE)


def _add(req: Request, words: list[str]) -> Answer:
    now = datetime.now(UTC)
    words, lead = _announce(words)
    words, start = _start(words, now)
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
    later = start > now
    if lead is not None and not later:
        raise CommandError(
            "announce needs a later start: the window would start now, e.g. "
            "`maintenance db-03 at saturday 02:00 for 2h announce 1h`"
        )
    window = MaintenanceWindow(
        name,
        start,
        start + length,
        reason,
        actor(req).name,
        announce_s=lead.total_seconds() if lead else None,
    )
    preview = preview_risk(req.store, req.model, [name], start, window.end)
    warnings = maintenance_warnings(preview)
    stored = req.store.add_maintenance(window, origin=req.origin)
    _reconcile(req)
    when_text = (
        f"from {stored.start:%a %Y-%m-%d %H:%M} to {stored.end:%Y-%m-%d %H:%M} UTC"
        if later
        else f"until {stored.end:%Y-%m-%d %H:%M} UTC"
    )
    notes = [f"Warning: {w}" for w in warnings]
    if lead is not None:
        notes.append(_announced(stored, lead, preview.channels))
    if reason:
        notes.append(f"Reason: {reason}")
    return Answer(
        "maintenance",
        f"Maintenance #{stored.id} on {name} {when_text}: "
        "its failures are planned work, not outages",
        (name,),
        notes=tuple(notes),
        data={"window": _json(stored), "warnings": list(warnings)},
    )


def _announced(window: MaintenanceWindow, lead: timedelta, channels: tuple[str, ...]) -> str:
    at = window.start - lead
    if not channels:
        return "Announcement: no business service is hit, so no channel is told"
    return (
        f"Announced to {', '.join(channels)} at {at:%a %Y-%m-%d %H:%M} UTC "
        f"({spell_duration(lead.total_seconds())} before); ending the window first cancels it"
    )


def _announce(words: list[str]) -> tuple[list[str], timedelta | None]:
    """The words without "announce 1h [before]" (or "--announce 1h"), and that lead."""
    for i, word in enumerate(words):
        if word.casefold().lstrip("-") in ("announce", "announced", "pre-announce"):
            found = duration(words[i + 1 :])
            if found is None:
                raise CommandError("say how long before to announce it, e.g. `announce 1h`")
            lead, used = found
            end = i + 1 + used
            if end < len(words) and words[end].casefold() == "before":
                end += 1
            return words[:i] + words[end:], lead
    return words, None


def _start(words: list[str], now: datetime) -> tuple[list[str], datetime]:
    """The words without the start ("at saturday 02:00", "tomorrow 02:00"), and the start
    (now when none is given). A start is read before the length, or right after it after
    "at"/"from"/"starting"; the rest is the reason, free text."""
    first, used = next(
        ((i, d[1]) for i in range(len(words)) if (d := duration(words[i:])) is not None),
        (len(words), 0),
    )
    moment: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lead = word.casefold() in _START_LEAD and i + 1 < len(words)
        if i < first and (is_moment_word(word) or (lead and is_moment_word(words[i + 1]))):
            if is_moment_word(word):
                moment.append(word)
            i += 1
            continue
        if i == first + used and lead and is_moment_word(words[i + 1]) and not moment:
            i += 1
            while i < len(words) and is_moment_word(words[i]):
                moment.append(words[i])
                i += 1
            continue
        kept.append(word)
        i += 1
    return kept, max(now, when(" ".join(moment), now)) if moment else now  # never in the past


_START_LEAD = frozenset({"at", "from", "starting", "on"})


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
    lead = window.announce_s
    announced = f"announced {spell_duration(lead)} before" if lead else None
    detail = "; ".join(p for p in (window.reason, by, announced) if p)
    return Item(f"#{window.id} {window.component} {when}", State.MAINTENANCE, detail)


def _json(window: MaintenanceWindow) -> dict[str, object]:
    return {
        "id": window.id,
        "component": window.component,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "reason": window.reason,
        "created_by": window.created_by,
        "announce_s": window.announce_s,
    }
