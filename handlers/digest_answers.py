"""Digest answers: schedule, list, cancel and post SLA digests from chat.

    /bsm digest schedule #channel daily 09:00 Europe/Berlin [tier 1 | svc-a svc-b]
    /bsm digest schedule #channel weekly mon 09:00 [TZ] [...]
    /bsm digest schedule #channel monthly [DAY] 09:00 [TZ] [...]
    /bsm digest list | digest cancel ID | digest now [#channel] [tier 1 | svc-a ...]

The schedule is stored (`store.digests`); a running `bsm serve` finds it due from the
database (`services.digests.DigestService.tick`), whichever replica took the command. The
digest service comes with the request (`Request.digests`): one that can post (`bsm serve`)
posts `digest now`; one that cannot (a terminal) shows the digest instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from handlers.answer import Answer, Item, Section
from handlers.commands import CommandError, actor, channel, clock, is_channel
from handlers.policy import DIGEST_CHANGE, command_words
from handlers.request import Request
from impact.digest import Digest, burn_text, cause_text, line_text
from impact.errors import ImpactError, close_names
from impact.model import State
from impact.service_hours import timezone_named
from services.digests import DigestService, cadence_of, last_seven_days
from services.model import ModelService
from store import DigestSchedule, DigestStore, Selector, StoreError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
USAGE = (
    "digest schedule #channel daily 09:00 Europe/Berlin [tier 1 | service ...]",
    "digest schedule #channel weekly mon 09:00 UTC",
    "digest schedule #channel monthly 1 09:00 UTC",
    "digest list",
    "digest cancel ID",
    "digest now #channel",
)


class DigestRequestError(ValueError):
    """A digest command that cannot be read; the message names the word and the fix."""


def digest(req: Request) -> Answer:
    """The conversation's `digest` intent; who may schedule, cancel or post into another
    channel is decided before this runs (`handlers.policy`), on the same words read here."""
    words = command_words("digest", req.text)
    verb = words[0].casefold() if words else ""
    who = actor(req)
    text = " ".join(["digest", *words])
    answer = answer_digest(text, req.store, req.digests, user_id=who.name)
    if answer.ok and verb in DIGEST_CHANGE:
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
    digests: DigestService | None,
    *,
    user_id: str | None = None,
    channel_id: str | None = None,
    now: datetime | None = None,
) -> Answer:
    """Answer one `digest ...` command against `store` (a `store.Store`).

    `digests` posts `digest now` when it can; without one the digest is built here and shown.
    """
    words = request_text.split()
    if words and words[0].lstrip("/").casefold() in ("bsm", "digest", "digests"):
        words = words[1 + (words[0].casefold() in ("bsm", "/bsm")) :]
        if words and words[0].casefold() in ("digest", "digests"):
            words = words[1:]
    verb = words[0].casefold() if words else "help"
    moment = now or datetime.now(UTC)
    try:
        if verb == "schedule":
            return _schedule(words[1:], store, digests, user_id, moment)
        if verb == "list":
            return _list(store.digest_schedules, moment)
        if verb == "cancel":
            return _cancel(words[1:], store)
        if verb == "now":
            service = digests or DigestService(store, ModelService(store))
            return _now(words[1:], store, service, channel_id, moment)
    except (DigestRequestError, CommandError, StoreError, ImpactError) as error:
        return Answer("digest", f"Cannot do that: {error}", ok=False, notes=USAGE)
    return Answer("digest", "SLA digests: schedule one, list, cancel or post one now", notes=USAGE)


def _schedule(
    words: list[str], store: Any, digests: DigestService | None, user: str | None, now: datetime
) -> Answer:
    if len(words) < 2:
        raise DigestRequestError("say where and how often, e.g. `digest schedule #ops daily 09:00`")
    where, cadence, rest = channel(words[0]), words[1].casefold(), words[2:]
    weekday = monthday = None
    if cadence == "weekly":
        weekday, rest = _weekday(rest), rest[1:]
    elif cadence == "monthly" and rest and rest[0].isdigit():
        monthday, rest = int(rest[0]), rest[1:]
    elif cadence not in ("daily", "monthly"):
        raise DigestRequestError(f"cadence {words[1]!r}: use daily, weekly or monthly")
    at, rest = clock(rest[0] if rest else None), rest[1:]
    tz, rest = _timezone(rest)
    selector = _selector(rest, store)
    schedule = DigestSchedule(
        0,
        where,
        cadence,
        at,
        tz,
        selector,
        weekday,
        monthday or (1 if cadence == "monthly" else None),
        user,
    )
    stored = store.digest_schedules.add(schedule, now)
    when = cadence_of(stored).next_fire(now)
    posted_here = digests is not None and digests.posts
    note = "" if posted_here else " (a running `bsm serve` picks it up within a minute)"
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


def _cancel(words: list[str], store: Any) -> Answer:
    if not words or not words[0].isdigit():
        raise DigestRequestError("say which one: `digest cancel ID` (`digest list` shows the ids)")
    cancelled = store.digest_schedules.cancel(int(words[0]))
    return Answer(
        "digest", f"Cancelled digest {cancelled.id} ({cancelled.when} to {cancelled.channel})"
    )


def _now(
    words: list[str], store: Any, digests: DigestService, here: str | None, now: datetime
) -> Answer:
    named = bool(words) and is_channel(words[0])
    where = channel(words[0]) if named else here
    selector = _selector(words[1:] if named else words, store)
    if digests.posts and where:
        ts = digests.post_now(where, selector)
        return Answer(
            "digest", f"Posted the SLA digest for {selector.label} to {where}", data={"ts": ts}
        )
    shown = digest_answer(digests.digest(selector, last_seven_days(now), now))
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
    if shown.burns:
        burns = tuple(Item(burn_text(b), State.DEGRADED) for b in shown.burns)
        sections.append(Section("Error-budget burn alerts", burns))
    return Answer("digest", shown.summary, sections=tuple(sections))


# -- reading the command ---------------------------------------------------------------


def _weekday(words: list[str]) -> int:
    day = words[0].casefold()[:3] if words else ""
    if day not in DAYS:
        got = repr(words[0]) if words else "nothing"
        raise DigestRequestError(f"weekly needs a day: {got} is not one of {', '.join(DAYS)}")
    return DAYS.index(day)


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
