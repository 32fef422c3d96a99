"""The one authorization table: which role every intent, verb and button needs.

`Conversation.ask` looks the parsed request up here before any handler runs, and the Bolt
action listeners look their action ids up here too, so there is one place that decides.
The verb is read once, by `command_verb`, the same way the handlers read it (repeated verb
words such as `digest digest schedule` are skipped, so the gate and the handler agree).
Anything the table does not name, an unknown verb included, needs an admin: a new verb is
closed until someone opens it here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from handlers.commands import arguments, channel, is_channel


class Role(StrEnum):
    """READER: every workspace member. ADMIN: a bsm admin (or the local operator)."""

    READER = "reader"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Need:
    """What one parsed request needs."""

    role: Role
    what: str = ""
    verb: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """The role of an intent: `reader` verbs are open, every other verb needs `default`.

    `decide`, when set, reads the whole request (the verb's words and the asker's channel)
    for the verbs whose role depends on their arguments (`digest now #elsewhere`).
    """

    what: str  # "change digest schedules": the refusal names it
    default: Role = Role.ADMIN
    reader: frozenset[str] = frozenset()
    admin: frozenset[str] = frozenset()  # the known verbs that need `default` (enumerated)
    decide: Callable[[list[str], str | None], Need | None] | None = None
    whats: Mapping[str, str] = field(default_factory=dict)  # verb -> what, where it differs

    def refused_what(self, verb: str) -> str:
        return self.whats.get(verb, self.what)


OPEN = Rule("ask", Role.READER)

# The verb words each command intent is typed with (`handlers.intents` maps aliases to them).
VERBS: dict[str, tuple[str, ...]] = {
    "digest": ("digest", "digests"),
    "subscribe": ("subscribe", "sub"),
    "unsubscribe": ("unsubscribe", "unsub"),
    "maintenance": ("maintenance", "maint"),
    "sync": ("sync", "resync"),
    "link": ("link",),
    "unlink": ("unlink",),
}

# The verbs the command handlers dispatch on: they import these, so a verb cannot reach a
# handler without this table having named it.
DIGEST_READ = frozenset({"", "list", "help"})
DIGEST_CHANGE = frozenset({"schedule", "cancel"})
MAINTENANCE_LIST = frozenset({"list", "ls", "show", "active", "windows"})
MAINTENANCE_END = frozenset({"end", "stop", "finish", "done", "cancel", "close"})
MAINTENANCE_ADD = frozenset({"add", "start", "begin", "new", "on"})
SYNC_LIST = frozenset({"list", "ls", "sources", "status"})
SYNC_TERMINAL_ONLY = frozenset({"add", "remove", "rm", "delete"})
# Slack turns a typed "--" into a dash: the em and en dash forms mean --dry-run too.
DRY_WORDS = frozenset(
    {"--dry-run", "\u2014dry-run", "\u2013dry-run", "dry-run", "dryrun", "-n", "preview"}
)


def _digest_now(words: list[str], asked_in: str | None) -> Need | None:
    """`digest now` posts into a channel: the asker's own is open, any other needs the rights
    that subscribing it would (an admin)."""
    if not words or words[0] != "now":
        return None
    named = [channel(w) for w in words[1:] if is_channel(w)]
    if all(c == asked_in for c in named):
        return Need(Role.READER, verb="now")
    return Need(Role.ADMIN, "post a digest into another channel", "now")


def _sync_run(words: list[str], asked_in: str | None) -> Need | None:
    """Listing sources and previewing a configured source are open; fetching a URL (even a
    dry run), applying and confirming a sync need an admin."""
    folded = [w.casefold() for w in words]
    verb = folded[0] if folded else ""
    if verb in SYNC_LIST or not verb:
        return Need(Role.READER, verb=verb)
    if verb == "confirm":
        return Need(Role.ADMIN, "confirm a held sync", verb)
    if verb in SYNC_TERMINAL_ONLY:
        return Need(Role.ADMIN, "manage sync sources", verb)
    if any("://" in w for w in folded):
        return Need(Role.ADMIN, "sync from a URL", verb)
    dry = any(w in DRY_WORDS for w in folded) or "dry" in folded
    return Need(Role.READER, verb=verb) if dry else Need(Role.ADMIN, "apply a sync", verb)


POLICY: dict[str, Rule] = {
    "help": OPEN,
    "affects": OPEN,
    "whatif": OPEN,
    "depends": OPEN,
    "why": OPEN,
    "spof": OPEN,
    "path": OPEN,
    "status": OPEN,
    "owner": OPEN,
    "sla": OPEN,
    "priorities": OPEN,
    "risks": OPEN,
    "report": OPEN,
    "incidents": OPEN,
    "incident": OPEN,
    "audit": OPEN,
    "changes": OPEN,
    "subscriptions": OPEN,
    "risk": OPEN,  # a preview reads only
    "margins": OPEN,
    "burn": OPEN,
    "digest": Rule(
        "change digest schedules",
        reader=DIGEST_READ,
        admin=DIGEST_CHANGE | {"now"},
        decide=_digest_now,
        whats={"now": "post a digest into another channel"},
    ),
    "subscribe": Rule("change subscriptions"),
    "unsubscribe": Rule("change subscriptions"),
    "maintenance": Rule(
        "start maintenance",
        reader=MAINTENANCE_LIST | {""},
        admin=MAINTENANCE_END | MAINTENANCE_ADD,
        whats=dict.fromkeys(MAINTENANCE_END, "end maintenance"),
    ),
    "sync": Rule(
        "apply a sync",
        reader=SYNC_LIST | {""},
        admin=SYNC_TERMINAL_ONLY | {"confirm"},
        decide=_sync_run,
    ),
    "link": Rule("change the map"),
    "unlink": Rule("change the map"),
}

# Bolt action ids (buttons, Home): a follow-up or Share re-asks a question, which the
# conversation checks like a typed one; Acknowledge is open to every member and audited
# with the clicker as the actor (an on-call responder need not be a bsm admin).
ACTIONS: dict[str, Role] = {
    "bsm.show_paths": Role.READER,
    "bsm.simulate": Role.READER,
    "bsm.retry": Role.READER,
    "bsm.ask": Role.READER,
    "bsm.more": Role.READER,  # "show more": the continuation re-asks its question
    "bsm.share": Role.READER,
    "bsm.incident.ack": Role.READER,
}

# Every other Slack surface create_app registers: each hands its text to the conversation
# (checked there like a typed command) or shows the asker's own Home, so all are open.
SURFACES: dict[str, Role] = {
    "command:/bsm": Role.READER,
    "event:app_mention": Role.READER,
    "event:message": Role.READER,
    "event:app_home_opened": Role.READER,
}


def command_words(intent: str, text: str) -> list[str]:
    """The words after an intent's verb, with repeated verb words dropped
    (`/bsm digest digest schedule` -> `schedule ...`): handlers and the gate read these."""
    verbs = VERBS.get(intent, (intent,))
    words = arguments(text, verbs)
    while words and words[0].casefold().strip("?!.,:") in verbs:
        words = words[1:]
    return words


def command_verb(intent: str, text: str) -> str:
    words = command_words(intent, text)
    return words[0].casefold() if words else ""


def need(intent: str, text: str, channel_id: str | None = None) -> Need:
    """The role the request `text`, parsed as `intent`, needs; unknown intents need an admin."""
    rule = POLICY.get(intent)
    if rule is None:
        return Need(Role.ADMIN, f"use {intent!r}")
    if rule.default is Role.READER:
        return Need(Role.READER, rule.what)
    words = command_words(intent, text)
    verb = words[0].casefold() if words else ""
    decided = rule.decide([verb, *words[1:]] if words else [], channel_id) if rule.decide else None
    if decided is not None:
        return decided
    role = Role.READER if verb in rule.reader else rule.default
    return Need(role, rule.refused_what(verb), verb)
