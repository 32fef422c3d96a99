"""Channel subscriptions from chat: which channels hear about which business services.

    subscribe #channel to <business service | tier 1 | all>
    unsubscribe #channel from <business service | tier 1 | all>
    subscriptions [#channel]

Without a channel the command applies to the channel it was typed in. Selectors are stored
in the form `store.subscriptions.matches` reads: a business service's name, `tier N`, `all`.
"""

from __future__ import annotations

import re

from handlers.answer import Answer, Item, Section
from handlers.commands import (
    CommandError,
    actor,
    arguments,
    channel,
    channel_label,
    failed,
    is_channel,
    resolve,
)
from handlers.request import Request
from store import StoreError

USAGE = (
    "subscribe #channel to checkout",
    "subscribe #channel to tier 1",
    "subscribe #channel to all",
    "unsubscribe #channel from checkout",
    "subscriptions [#channel]",
)
_TIER = re.compile(r"^tier\s*:?\s*(\d+)$", re.I)
_EVERYTHING = frozenset({"all", "everything", "*", "all services", "every service"})
_LINKING = frozenset({"to", "for", "on", "from", "about", "of"})


def subscribe(req: Request) -> Answer:
    """Subscribe a channel to incident notices of some business services."""
    try:
        where, selector = _target(req, ("subscribe", "sub", "follow"))
        stored, new = req.store.edits.subscribe(
            where, selector, actor=actor(req).name, origin=req.origin
        )
    except (CommandError, StoreError) as error:
        return failed("subscribe", error, USAGE[:3])
    label = channel_label(where)
    summary = (
        f"Subscribed {label} to {_shown(selector)}: incident notices will be posted there"
        if new
        else f"{label} was already subscribed to {_shown(selector)}: nothing changed"
    )
    return Answer(
        "subscribe",
        summary,
        data={"channel": where, "selector": selector, "new": new, "id": stored.id}
        | _mentions(where),
    )


def unsubscribe(req: Request) -> Answer:
    """Stop a channel's subscription."""
    try:
        where, selector = _target(req, ("unsubscribe", "unsub", "unfollow"))
        edits = req.store.edits
        removed = edits.unsubscribe(where, selector, actor=actor(req).name, origin=req.origin)
    except (CommandError, StoreError) as error:
        return failed("unsubscribe", error, USAGE[3:])
    label = channel_label(where)
    if not removed:
        current = [s.selector for s in req.store.subscriptions(where)]
        known = f"; it follows {', '.join(current)}" if current else "; it has none"
        return Answer(
            "unsubscribe",
            f"{label} is not subscribed to {_shown(selector)}{known}",
            ok=False,
            data={"channel": where, "selector": selector} | _mentions(where),
        )
    return Answer(
        "unsubscribe",
        f"Unsubscribed {label} from {_shown(selector)}",
        data={"channel": where, "selector": selector} | _mentions(where),
    )


def subscriptions(req: Request) -> Answer:
    """Every subscription, or one channel's."""
    words = arguments(req.text, ("subscriptions", "subscription", "subs"))
    try:
        where = channel(words[0]) if words else None
    except CommandError as error:
        return failed("subscriptions", error, USAGE[-1:])
    found = req.store.subscriptions(where)
    scope = f" of {channel_label(where)}" if where else ""
    if not found:
        return Answer(
            "subscriptions",
            f"No subscriptions{scope}: `subscribe #channel to tier 1` adds one",
            data={"subscriptions": []} | (_mentions(where) if where else {}),
        )
    items = tuple(
        Item(f"{channel_label(s.channel)} follows {_shown(s.selector)}", None, _by(s.created_by))
        for s in found
    )
    mentions = [m for s in found for m in _mentions(s.channel)["mentions"]]
    return Answer(
        "subscriptions",
        f"{len(found)} subscription{'s' * (len(found) != 1)}{scope}",
        sections=(Section("Subscriptions", items),),
        data={
            "subscriptions": [{"channel": s.channel, "selector": s.selector} for s in found],
            "mentions": sorted(set(mentions)),
        },
    )


def _target(req: Request, verbs: tuple[str, ...]) -> tuple[str, str]:
    """The channel and the stored selector a (un)subscribe command names."""
    words = arguments(req.text, verbs)
    if words and is_channel(words[0]):
        where, words = channel(words[0]), words[1:]
    elif req.channel_id and req.channel_id[:1] in "CG":
        where = req.channel_id
    else:
        raise CommandError("say which channel, e.g. `subscribe #ops to tier 1`")
    while words and words[0].casefold() in _LINKING:
        words = words[1:]
    return where, _selector(req, " ".join(words))


def _selector(req: Request, text: str) -> str:
    phrase = " ".join(text.split()).strip(" .!")
    if not phrase:
        raise CommandError("say what to follow: a business service, `tier 1` or `all`")
    if phrase.casefold() in _EVERYTHING:
        return "all"
    if tier := _TIER.match(phrase):
        if not 1 <= int(tier[1]) <= 4:
            raise CommandError(f"{phrase!r}: tiers go from tier 1 to tier 4")
        return f"tier {int(tier[1])}"
    name = resolve(req.names, phrase)
    if not req.names.component(name).is_business:
        raise CommandError(
            f"{name} is a component, not a business service: notices are about business "
            f"services, so follow the ones it affects (`what does {name} affect?`)"
        )
    return name


def _shown(selector: str) -> str:
    return "every business service" if selector == "all" else selector


def _by(user: str | None) -> str | None:
    return f"by {user}" if user else None


def _mentions(channel_id: str) -> dict[str, list[str]]:
    label = channel_label(channel_id)
    return {"mentions": [label] if label.startswith("<#") else []}
