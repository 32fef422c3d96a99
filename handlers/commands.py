"""The one argument grammar: the words after the verb, channels, users, durations, times,
windows, names and ids, for every chat command and the CLI options that read the same.

The parser (`handlers.intents`) decides which command was typed, typos included; the
command answers then read the raw text with these helpers, so a Slack channel reference
`<#C123|ops>` keeps its channel id and `2h` keeps its unit. Every problem raises
`CommandError` with a message that names the word and shows the fix (windows raise the
engine's `ImpactError`, which does the same).

Who may do what is decided before any handler runs, by `refusal` over the one policy table
(`handlers.policy`, checked in `handlers.conversation.Conversation.ask`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from handlers.access import AccessPolicy, Actor, Admins, is_user_id
from handlers.answer import Answer
from handlers.names import NameIndex
from handlers.request import Request
from handlers.spelling import correct
from impact.durations import read_duration
from impact.windows import Window, parse_when, parse_window

_LEAD_WORDS = 5  # "@bsm please show me the incidents": the verb comes early
# Slack writes a channel as `<#C123|name>` or `<#C123>`; people type `#name` or paste an id
# (`C0123ABCD`, `G...` for old private channels: upper case, with a digit, so that words
# like "Gateway" stay words).
_CHANNEL = re.compile(
    r"^(?:<#(?P<id>[CG][A-Z0-9]+)(?:\|[^>]*)?>"
    r"|(?P<name>#\w[\w.\-]*)"
    r"|(?P<raw>[CG](?=[A-Z0-9]*\d)[A-Z0-9]{6,}))$"
)
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]+$")
_USER = re.compile(r"^(?:<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>|(?P<raw>[UW][A-Z0-9]{2,}))$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ID = re.compile(r"^#?(\d{1,12})$")
_DAY_WORDS = re.compile(
    r"^(?:today|tomorrow|now|(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)"
    r"(?:day)?)$"
)
_LOOSE_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[tT ].*)?$")
_LINK = re.compile(r"^<(?P<url>[a-z]+://[^|>]+)(?:\|[^>]*)?>$", re.I)
MAX_WINDOW = timedelta(days=31)


class CommandError(ValueError):
    """A command that cannot be read; `str(error)` names the word and the fix."""


def arguments(text: str, verbs: Iterable[str]) -> list[str]:
    """The words of `text` after its command verb (one of `verbs`, misspelt or not).

    The verb is looked for among the first few words, after "/bsm", "please", a mention.
    """
    wanted = frozenset(verbs)
    words = text.split()
    for index, word in enumerate(words[:_LEAD_WORDS]):
        folded = word.casefold().strip("?!.,:")
        if folded in wanted or correct(folded) in wanted:
            return _without_courtesy(words[index + 1 :])
    return _without_courtesy(words[1:])


_COURTESY = frozenset({"please", "pls", "plz", "thanks", "thx", "ty", "?", "!"})


def _without_courtesy(words: list[str]) -> list[str]:
    """The arguments without a closing "?" and "please" ("changes today?", "... pls")."""
    words = list(words)
    while words:
        last = words[-1].rstrip("?!")
        if last and last.casefold() not in _COURTESY:
            words[-1] = last
            break
        words.pop()
    return words


def is_channel(word: str) -> bool:
    return _CHANNEL.match(word) is not None


def channel(word: str) -> str:
    """The channel a word names: the id of `<#C123|ops>`, `<#C123>` or `C123...`, else `#ops`."""
    match = _CHANNEL.match(word)
    if match is None:
        raise CommandError(f"{word!r} is not a channel: write it as #channel")
    return match["id"] or match["raw"] or match["name"].casefold()


def channel_label(channel_id: str) -> str:
    """How answers show a stored channel: a mention for an id, the name otherwise."""
    return f"<#{channel_id}>" if _CHANNEL_ID.match(channel_id) else channel_id


def user(word: str) -> str:
    """The user id a word names: `<@U123>`, `<@U123|ann>` or a pasted `U123...`."""
    match = _USER.match(word)
    if match is None:
        raise CommandError(f"{word!r} is not a user: mention them, e.g. @ann")
    return match["id"] or match["raw"]


def user_label(user_id: str) -> str:
    """How answers show a stored actor: a mention for a Slack user id, the text otherwise."""
    return f"<@{user_id}>" if is_user_id(user_id) else user_id


def parse_duration(text: str) -> timedelta:
    """The duration `text` spells; anything else raises `CommandError` naming it."""
    found = read_duration(text)
    if found is None:
        raise CommandError(
            f"{text!r} is not a duration: write a number and a unit, e.g. 15m, 2h, 7d"
        )
    return found


def duration(words: Sequence[str]) -> tuple[timedelta, int] | None:
    """The window length at the start of `words` ("2h", "90 min") and the words it used."""
    for used in (1, 2):
        found = read_duration("".join(words[:used])) if len(words) >= used else None
        if found is not None:
            if not timedelta(minutes=1) <= found <= MAX_WINDOW:
                raise CommandError(
                    f"{' '.join(words[:used])!r}: a window lasts from 1 minute to 31 days"
                )
            return found, used
    return None


def clock(word: str | None) -> str:
    """A time of day as `HH:MM` ("9:00" -> "09:00")."""
    match = _CLOCK.match(word) if word else None
    if match is None:
        got = repr(word) if word else "nothing"
        raise CommandError(f"time {got}: write the time as HH:MM, e.g. 09:00")
    return f"{int(match[1]):02d}:{match[2]}"


def moment(text: str) -> datetime:
    """A date or ISO datetime ("2026-11-01", "2026-11-01T09:00Z"); UTC when no offset."""
    try:
        found = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise CommandError(
            f"{text!r} is not an ISO date or datetime, e.g. 2026-11-01 or 2026-11-01T09:00Z"
        ) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def window(phrase: str | None, now: datetime) -> Window:
    """The period a phrase names ("last 7 days", "last month", "2026-11"); None: this month.

    An unreadable phrase raises the engine's `ImpactError`, naming it and the accepted forms.
    """
    return parse_window(phrase, now)


def trailing_window(
    words: Sequence[str], now: datetime, what: str
) -> tuple[list[str], Window | None]:
    """`words` less a window at their end ("db-03 last week" -> db-03, last week), and it.

    The longest readable tail of at most six words wins; none gives (words, None)."""
    for size in range(min(6, len(words)), 0, -1):
        tail = " ".join(words[-size:])
        if not re.search(r"[a-z0-9]", tail, re.I):
            continue
        try:
            return list(words[:-size]), parse_window(tail, now, what=what)
        except ValueError:
            continue
    return list(words), None


def number(words: Sequence[str], what: str, example: str) -> int:
    """The id in the first word ("12" or "#12")."""
    match = _ID.match(words[0]) if words else None
    if match is None:
        got = repr(words[0]) if words else "nothing"
        raise CommandError(f"{what} id {got}: write the number, e.g. `{example}`")
    return int(match[1])


def url(word: str) -> str:
    """A URL as typed or as Slack wraps it (`<https://x|x>`)."""
    match = _LINK.match(word)
    return match["url"] if match else word


def resolve(names: NameIndex, phrase: str) -> str:
    """The one map name `phrase` means; unknown or ambiguous names raise with suggestions."""
    found = names.resolve(phrase)
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(found[:5]) + (" ..." if len(found) > 5 else "")
        raise CommandError(f"{phrase!r} matches {len(found)} names ({listed}): which one?")
    suggestions = names.suggest(phrase)
    hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise CommandError(f"no component {phrase!r} in the map{hint}")


def actor(req: Request) -> Actor:
    return Actor(req.user_id, req.origin)


def refusal(policy: AccessPolicy | None, who: Actor, intent: str, what: str) -> Answer | None:
    """None when `who` may make this change, else the refusal to answer with.

    The refusal names the admins as plain text: it carries no mentions, so it pings nobody.
    """
    policy = policy or AccessPolicy(Admins())
    reason = policy.check(who)
    if reason is None:
        return None
    return Answer(intent, policy.refusal(what, reason), ok=False, data={"refused": True})


def failed(intent: str, error: Exception, usage: Sequence[str]) -> Answer:
    """A command that could not be done: the reason, then how to write it."""
    return Answer(intent, f"Cannot do that: {error}", ok=False, notes=tuple(usage))


def is_moment_word(word: str) -> bool:
    """A word of a start time `when` reads: a weekday, today/tomorrow/now, HH:MM or ISO."""
    return bool(_DAY_WORDS.match(word.casefold()) or _ISO.match(word) or _LOOSE_CLOCK.match(word))


def when(text: str, now: datetime) -> datetime:
    """When planned work starts: "saturday 02:00", "tomorrow 02:00", "now", ISO (UTC).

    An unreadable phrase raises the engine's `ImpactError`, naming it and the accepted forms.
    """
    return parse_when(text, now)
