"""Reading chat commands: the words after the verb, channels, durations, names, ids.

The parser (`handlers.intents`) decides which command was typed, typos included; the
command answers then read the raw text with these helpers, so a Slack channel reference
`<#C123|ops>` keeps its channel id and `2h` keeps its unit. Every problem raises
`CommandError` with a message that names the word and shows the fix.

Changes go through `gate`: reading is open, changing needs a bsm admin (`handlers.access`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta

from handlers.access import AccessPolicy, Actor, Admins
from handlers.answer import Answer
from handlers.names import NameIndex
from handlers.request import Request
from handlers.spelling import correct

_LEAD_WORDS = 5  # "@bsm please show me the incidents": the verb comes early
_CHANNEL = re.compile(
    r"^(?:<#(?P<id>[CG][A-Z0-9]+)(?:\|[^>]*)?>|(?P<name>#[a-z0-9][\w.\-]*)|(?P<raw>[CG][A-Z0-9]{8,}))$",
    re.I,
)
_DURATION = re.compile(
    r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$", re.I
)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_ID = re.compile(r"^#?(\d{1,12})$")
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
            return words[index + 1 :]
    return words[1:]


def is_channel(word: str) -> bool:
    return _CHANNEL.match(word) is not None


def channel(word: str) -> str:
    """The channel a word names: the id of `<#C123|ops>`, else `#ops` as typed."""
    match = _CHANNEL.match(word)
    if match is None:
        raise CommandError(f"{word!r} is not a channel: write it as #channel")
    return match["id"] or match["raw"] or match["name"].casefold()


def channel_label(channel_id: str) -> str:
    """How answers show a stored channel: a mention for an id, the name otherwise."""
    return f"<#{channel_id}>" if re.match(r"^[CG][A-Z0-9]{6,}$", channel_id) else channel_id


def duration(words: Sequence[str]) -> tuple[timedelta, int] | None:
    """The duration at the start of `words` ("2h", "90 min", "1.5 hours") and words used."""
    for used in (1, 2):
        match = _DURATION.match("".join(words[:used])) if len(words) >= used else None
        if match:
            unit = match["unit"].casefold()[0]
            length = timedelta(seconds=float(match["n"]) * _UNIT_SECONDS[unit])
            if not timedelta(minutes=1) <= length <= MAX_WINDOW:
                raise CommandError(
                    f"{' '.join(words[:used])!r}: a window lasts from 1 minute to 31 days"
                )
            return length, used
    return None


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


def gate(req: Request, intent: str, what: str) -> Answer | None:
    """None when the asker may make this change, else the refusal to answer with."""
    policy = req.access or AccessPolicy(Admins())
    if policy.may_change(actor(req)):
        return None
    return Answer(
        intent,
        policy.refusal(what),
        ok=False,
        data={"refused": True, "mentions": list(policy.admins.mentions)},
    )


def failed(intent: str, error: Exception, usage: Sequence[str]) -> Answer:
    """A command that could not be done: the reason, then how to write it."""
    return Answer(intent, f"Cannot do that: {error}", ok=False, notes=tuple(usage))
