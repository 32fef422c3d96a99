"""Digest answers: schedule, list, cancel and post SLA digests; build a digest from the store.

    /bsm digest schedule #channel daily 09:00 Europe/Berlin [tier 1 | svc-a svc-b]
    /bsm digest schedule #channel weekly mon 09:00 [TZ] [...]
    /bsm digest schedule #channel monthly [DAY] 09:00 [TZ] [...]
    /bsm digest list | digest cancel ID | digest now [#channel] [tier 1 | svc-a ...]

The schedule is stored (`store.digests`) and handed to the scheduler through `DigestHooks`
(`bot.scheduler` installs them in `bsm serve`). Without a running scheduler a schedule is
still stored, a scheduler that starts later picks it up, and `digest now` shows the digest
instead of posting it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from handlers.answer import Answer, Item, Section
from handlers.request import Request
from impact.digest import Cadence, Digest, build_digest, cause_text, line_text
from impact.engine import ImpactModel
from impact.errors import ImpactError, close_names
from impact.model import Component, State, StatusEvent, name_key
from impact.service_hours import parse_service_hours, timezone_named
from impact.sla import History, SlaReport, availability_by_day, sla_report
from impact.timeline import service_timelines
from impact.windows import Window
from store.digests import DigestSchedule, DigestStore, Selector
from store.errors import StoreError

DEFAULT_TARGET = 99.9
LOOKBACK = timedelta(days=1)  # events read before a replay's start (see replay_events)
_NAMES_PER_QUERY = 500  # components per query: bound parameters are limited
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
USAGE = (
    "digest schedule #channel daily 09:00 Europe/Berlin [tier 1 | service ...]",
    "digest schedule #channel weekly mon 09:00 UTC",
    "digest schedule #channel monthly 1 09:00 UTC",
    "digest list",
    "digest cancel ID",
    "digest now #channel",
)
_CHANGES = frozenset({"schedule", "cancel"})
_CHANNEL = re.compile(
    r"^(?:<#(?P<id>[CG][A-Z0-9]+)(?:\|[^>]*)?>|(?P<name>#[\w.\-]+)|(?P<raw>[CG][A-Z0-9]{6,}))$"
)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class DigestRequestError(ValueError):
    """A digest command that cannot be read; the message names the word and the fix."""


class DigestHooks(Protocol):
    """What a running scheduler does when schedules change or a digest is asked for now."""

    def scheduled(self, schedule: DigestSchedule) -> datetime | None: ...
    def cancelled(self, schedule_id: int) -> None: ...
    def post_now(self, channel: str, selector: Selector) -> str: ...


_hooks: list[DigestHooks] = []  # the running scheduler's hooks (bsm serve), if any


def install_hooks(hooks: DigestHooks | None) -> None:
    """Make `hooks` (or none) the ones chat answers use; the scheduler calls this."""
    _hooks[:] = [hooks] if hooks is not None else []


def digest(req: Request) -> Answer:
    """The conversation's `digest` intent; scheduling and cancelling need a bsm admin."""
    from handlers.commands import actor, arguments, gate

    words = arguments(req.text, ("digest", "digests"))
    verb = words[0].casefold() if words else ""
    if verb in _CHANGES and (refused := gate(req, "digest", "change digest schedules")):
        return refused
    who = actor(req)
    answer = answer_digest(
        req.text,
        req.store,
        _hooks[0] if _hooks else None,
        user_id=who.name,
    )
    if answer.ok and verb in _CHANGES:
        _audit(req.store, who.name, req.origin, verb, answer)
    return answer


def _audit(store: Any, actor: str, origin: str, verb: str, answer: Answer) -> None:
    """The audit entry of a schedule change (the digest store writes none of its own)."""
    if verb == "schedule":
        schedule = answer.data["schedule"]
        store.audit(actor, "digest.schedule", origin, schedule["channel"], None, schedule)
    else:
        store.audit(actor, "digest.cancel", origin, None, None, {"summary": answer.summary})


def answer_digest(
    request_text: str,
    store: Any,
    scheduler_hooks: DigestHooks | None,
    *,
    user_id: str | None = None,
    channel_id: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """Answer one `digest ...` command against `store` (a `store.Store`)."""
    words = request_text.split()
    if words and words[0].lstrip("/").casefold() in ("bsm", "digest", "digests"):
        words = words[1 + (words[0].casefold() in ("bsm", "/bsm")) :]
        if words and words[0].casefold() in ("digest", "digests"):
            words = words[1:]
    verb = words[0].casefold() if words else "help"
    moment = now or datetime.now(UTC)
    try:
        if verb == "schedule":
            return _schedule(words[1:], store, scheduler_hooks, user_id, moment)
        if verb == "list":
            return _list(DigestStore(store.engine), moment)
        if verb == "cancel":
            return _cancel(words[1:], store, scheduler_hooks)
        if verb == "now":
            return _now(words[1:], store, scheduler_hooks, channel_id, moment)
    except (DigestRequestError, StoreError, ImpactError) as error:
        return Answer("digest", f"Cannot do that: {error}", ok=False, notes=USAGE)
    return Answer("digest", "SLA digests: schedule one, list, cancel or post one now", notes=USAGE)


def _schedule(
    words: list[str], store: Any, hooks: DigestHooks | None, user: str | None, now: datetime
) -> Answer:
    if len(words) < 2:
        raise DigestRequestError("say where and how often, e.g. `digest schedule #ops daily 09:00`")
    channel, cadence, rest = _channel(words[0]), words[1].casefold(), words[2:]
    weekday = monthday = None
    if cadence == "weekly":
        weekday, rest = _weekday(rest), rest[1:]
    elif cadence == "monthly" and rest and rest[0].isdigit():
        monthday, rest = int(rest[0]), rest[1:]
    elif cadence not in ("daily", "monthly"):
        raise DigestRequestError(f"cadence {words[1]!r}: use daily, weekly or monthly")
    clock, rest = _clock(rest)
    tz, rest = _timezone(rest)
    selector = _selector(rest, store)
    schedule = DigestSchedule(
        0,
        channel,
        cadence,
        clock,
        tz,
        selector,
        weekday,
        monthday or (1 if cadence == "monthly" else None),
        user,
    )
    stored = DigestStore(store.engine).add(schedule, now)
    next_run = hooks.scheduled(stored) if hooks else None
    when = next_run or cadence_of(stored).next_fire(now)
    note = "" if hooks else " (a running `bsm serve` picks it up within a minute)"
    return Answer(
        "digest",
        f"Scheduled digest {stored.id}: {stored.when} to {stored.channel} for {selector.label};"
        f" next on {when.astimezone(cadence_of(stored).tz):%Y-%m-%d %H:%M %Z}{note}",
        data={"schedule": _schedule_json(stored)},
    )


def _list(digests: DigestStore, now: datetime) -> Answer:
    schedules = digests.schedules()
    if not schedules:
        return Answer("digest", "No digests are scheduled", notes=USAGE[:1])
    items = tuple(
        Item(
            f"{s.id}: {s.when} to {s.channel}",
            State.OK,
            f"{s.selector.label}; next "
            f"{cadence_of(s).next_fire(now).astimezone(cadence_of(s).tz):%Y-%m-%d %H:%M %Z}",
        )
        for s in schedules
    )
    return Answer(
        "digest",
        f"{len(schedules)} digest{'s' * (len(schedules) != 1)} scheduled",
        sections=(Section("Scheduled digests", items),),
        data={"schedules": [_schedule_json(s) for s in schedules]},
    )


def _cancel(words: list[str], store: Any, hooks: DigestHooks | None) -> Answer:
    if not words or not words[0].isdigit():
        raise DigestRequestError("say which one: `digest cancel ID` (`digest list` shows the ids)")
    cancelled = DigestStore(store.engine).cancel(int(words[0]))
    if hooks:
        hooks.cancelled(cancelled.id)
    return Answer(
        "digest", f"Cancelled digest {cancelled.id} ({cancelled.when} to {cancelled.channel})"
    )


def _now(
    words: list[str], store: Any, hooks: DigestHooks | None, here: str | None, now: datetime
) -> Answer:
    channel = _channel(words[0]) if words and _CHANNEL.match(words[0]) else here
    rest = words[1:] if words and _CHANNEL.match(words[0]) else words
    selector = _selector(rest, store)
    if hooks is not None and channel:
        ts = hooks.post_now(channel, selector)
        return Answer(
            "digest", f"Posted the SLA digest for {selector.label} to {channel}", data={"ts": ts}
        )
    window = Window(now - timedelta(days=7), now, "last 7 days")
    shown = digest_answer(digest_for(store, selector, window, now=now))
    return Answer(
        shown.intent,
        shown.summary,
        sections=shown.sections,
        notes=("Not posted: no Slack connection here.",),
    )


def digest_answer(shown: Digest) -> Answer:
    """A digest as an `Answer` (for `digest now` without Slack and `bsm ask`)."""
    lines = tuple(Item(line_text(line), line.state) for line in shown.lines)
    sections = [Section(f"SLA, {shown.window.label}, worst first", lines)]
    if shown.changes:
        sections.append(
            Section("Changed since the previous period", tuple(Item(c) for c in shown.changes))
        )
    if shown.top_causes:
        sections.append(Section("Top causes", tuple(Item(cause_text(c)) for c in shown.top_causes)))
    return Answer("digest", shown.summary, sections=tuple(sections))


# -- from the store to a digest --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    """Each selected service's history over a span, ready for many SLA questions."""

    services: list[Component]
    histories: dict[str, History]

    def report(self, service: Component, window: Window, now: datetime) -> SlaReport:
        return sla_report(
            self.histories[service.name],
            target=service.sla or DEFAULT_TARGET,
            window=window,
            now=now,
            hours=parse_service_hours(service.service_hours),
            service=service.name,
        )

    def days(
        self, service: Component, window: Window, now: datetime
    ) -> list[tuple[Any, float | None]]:
        hours = parse_service_hours(service.service_hours)
        return availability_by_day(
            self.histories[service.name], window=window, now=now, tz=hours.tz, hours=hours
        )


def measure(store: Any, services: Sequence[Component], start: datetime, end: datetime) -> Measured:
    """Replay the store's events once for `services` over [start, end)."""
    service_map = store.load_map()
    timelines = service_timelines(
        ImpactModel.from_map(service_map),
        replay_events(store, service_map.components, start, end),
        start,
        end,
        [s.name for s in services],
        maintenance=store.maintenance_windows() if hasattr(store, "maintenance_windows") else (),
    )
    return Measured(list(services), {name: History(t) for name, t in timelines.items()})


def replay_events(
    store: Any, components: Collection[str], start: datetime, end: datetime
) -> list[StatusEvent]:
    """The events a replay over [start, end) needs, without reading the whole history.

    The states at `start` come from each component's last reports before it: a day of
    lookback holds them for every component that reported in that day; the earlier history
    is read only for the components that did not (a quiet component's last state still holds).
    """
    if not hasattr(store, "events"):  # a map without history: every window is "no data"
        return []
    since = start - LOOKBACK
    recent: list[StatusEvent] = store.events(since=since, until=end)
    heard = {name_key(e.component) for e in recent if e.at <= start}
    quiet = [name for name in components if name_key(name) not in heard]
    older: list[StatusEvent] = []
    for first in range(0, len(quiet), _NAMES_PER_QUERY):
        older += store.events(until=since, components=quiet[first : first + _NAMES_PER_QUERY])
    return older + recent


def digest_for(
    store: Any,
    selector: Selector,
    window: Window,
    previous: Window | None = None,
    *,
    now: datetime,
) -> Digest:
    """The digest of the services `selector` picks over `window`, compared with `previous`."""
    from impact.digest import previous_window

    previous = previous or previous_window(window)
    services = selector.pick(store.load_map().components.values())
    measured = measure(store, services, previous.start, min(window.end, now))
    return build_digest(
        [measured.report(s, window, now) for s in services],
        [measured.report(s, previous, now) for s in services],
        window=window,
        previous_window=previous,
        titles={s.name: s.display for s in services},
        days={s.name: measured.days(s, window, now) for s in services},
        generated_at=now,
    )


def cadence_of(schedule: DigestSchedule) -> Cadence:
    hour, minute = (int(part) for part in schedule.time.split(":"))
    return Cadence(
        schedule.cadence,
        hour,
        minute,
        timezone_named(schedule.tz),
        schedule.weekday,
        schedule.monthday,
    )


# -- reading the command ---------------------------------------------------------------


def _channel(word: str) -> str:
    match = _CHANNEL.match(word)
    if match is None:
        raise DigestRequestError(f"{word!r} is not a channel: write it as #channel")
    return match["id"] or match["name"] or match["raw"]


def _weekday(words: list[str]) -> int:
    day = words[0].casefold()[:3] if words else ""
    if day not in DAYS:
        got = repr(words[0]) if words else "nothing"
        raise DigestRequestError(f"weekly needs a day: {got} is not one of {', '.join(DAYS)}")
    return DAYS.index(day)


def _clock(words: list[str]) -> tuple[str, list[str]]:
    match = _TIME.match(words[0]) if words else None
    if match is None:
        got = repr(words[0]) if words else "nothing"
        raise DigestRequestError(f"time {got}: write the time as HH:MM, e.g. 09:00")
    return f"{int(match[1]):02d}:{match[2]}", words[1:]


def _timezone(words: list[str]) -> tuple[str, list[str]]:
    if words and ("/" in words[0] or words[0].upper() in ("UTC", "GMT")):
        name = "UTC" if words[0].upper() in ("UTC", "GMT") else words[0]
        timezone_named(name)  # raises with a did-you-mean for a misspelt zone
        return name, words[1:]
    return "UTC", words


def _selector(words: list[str], store: Any) -> Selector:
    words = [
        w for w in re.split(r"[\s,]+", " ".join(words)) if w and w.casefold() not in ("and", "for")
    ]
    if not words or [w.casefold() for w in words] in (["all"], ["everything"]):
        return Selector()
    if words[0].casefold() == "tier":
        if len(words) != 2 or not words[1].isdigit() or not 1 <= int(words[1]) <= 4:
            raise DigestRequestError(f"tier {' '.join(words[1:])!r}: use tier 1 to tier 4")
        return Selector(tier=int(words[1]))
    business = [c for c in store.load_map().components.values() if c.is_business]
    keys = {c.key: c.name for c in business} | {
        (c.title or "").casefold(): c.name for c in business if c.title
    }
    names = []
    for word in words:
        if word.casefold() not in keys:
            hint = close_names(word, [c.name for c in business])
            maybe = f"; did you mean {hint[0]}?" if hint else ""
            raise DigestRequestError(f"unknown business service {word!r}{maybe}")
        names.append(keys[word.casefold()])
    return Selector(services=tuple(names))


def _schedule_json(s: DigestSchedule) -> dict[str, Any]:
    return {
        "id": s.id,
        "channel": s.channel,
        "cadence": s.cadence,
        "time": s.time,
        "weekday": s.weekday,
        "monthday": s.monthday,
        "tz": s.tz,
        "selector": str(s.selector),
        "created_by": s.created_by,
    }
