"""Which questions are long work: the Slack listeners run these on the worker pool.

A sync fetches remote sources (any verb: even a dry run waits on the network) and
`digest now` builds and posts a digest; everything else answers from the compiled model
in milliseconds. Erring towards "long" is harmless: the answer only arrives a moment later.
"""

from __future__ import annotations

from handlers.intents import parse

LONG_INTENTS = frozenset({"sync", "report"})  # every verb of these intents is long
LONG_VERBS = {"digest": frozenset({"now"})}  # intent -> verbs that are long


def is_long(text: str) -> bool:
    """True when answering `text` may take seconds (network, posting, building reports)."""
    intent = parse(text).intent
    if intent in LONG_INTENTS:
        return True
    words = {word.casefold() for word in text.split()}
    return bool(words & LONG_VERBS.get(intent, frozenset()))
