"""Sync from chat: run a source (or preview it), list sources, confirm a held sync, changes.

    sync <source|url> [--dry-run]
    sync list
    sync confirm <run id>
    changes [since yesterday]

A dry run of a configured source and the listings are open to everyone; a URL (even a dry
run), applying or confirming a sync needs a bsm admin (`handlers.policy`, checked before
this handler runs). Sources are added in a terminal (`bsm sync add`).
"""

from __future__ import annotations

import itertools

from handlers.answer import Answer
from handlers.commands import CommandError, actor, arguments, failed, number, url
from handlers.policy import DRY_WORDS, SYNC_LIST, SYNC_TERMINAL_ONLY, command_words
from handlers.request import Request
from handlers.sync.answers import changes_answer, sources_answer, sync_answer
from impact.errors import ImpactError
from impact.model import ServiceMap
from services.sync.errors import SourceError
from services.sync.runner import Discovery, SyncReport, run_sync
from store import StoreError

USAGE = (
    "sync SOURCE --dry-run",
    "sync SOURCE",
    "sync list",
    "sync confirm ID",
    "changes since yesterday",
)


def sync(req: Request) -> Answer:
    """The `sync` intent."""
    from store import MapSync  # the sync's store loads with the first sync

    words = command_words("sync", req.text)
    verb = words[0].casefold() if words else "list"
    try:
        if verb in SYNC_LIST:
            syncs = MapSync(req.store)
            return sources_answer(syncs.sources(), syncs.pending())
        if verb == "confirm":
            return _confirm(req, words[1:])
        if verb in SYNC_TERMINAL_ONLY:
            raise CommandError(f"`sync {verb}` is done in a terminal: `bsm sync {verb} ...`")
        return _run(req, words)
    except (CommandError, SourceError, StoreError) as error:
        return failed("sync", error, USAGE)


def changes(req: Request) -> Answer:
    """What synced sources added to and removed from the map since a time (default 24h)."""
    words = arguments(req.text, ("changes", "changed"))
    try:
        return changes_answer(req.store, " ".join(words) or None)
    except (SourceError, ImpactError, ValueError) as error:
        return failed("changes", error, USAGE[-1:])


def _run(req: Request, words: list[str]) -> Answer:
    dry = _dry_run(words)
    skip = DRY_WORDS | {"dry", "run"}
    rest = [w for w in words if w.casefold() not in skip]
    if not rest:
        raise CommandError("say which source, e.g. `sync backstage --dry-run` (`sync list`)")
    report = run_sync(
        req.store, url(rest[0]), dry_run=dry, actor=actor(req).name, tokens=req.tokens
    )
    return sync_answer(report)


def _confirm(req: Request, words: list[str]) -> Answer:
    from store import MapSync  # the sync's store loads with the first sync

    run_id = number(words, "sync run", "sync confirm 7")
    syncs = MapSync(req.store)
    outcome = syncs.confirm(run_id, actor=actor(req).name)
    report = SyncReport(syncs.source(outcome.source), outcome, Discovery(ServiceMap()))
    answer = sync_answer(report)
    return Answer(
        answer.intent,
        f"Confirmed held sync #{run_id}. {answer.summary}",
        answer.subjects,
        answer.sections,
        answer.notes,
        data=answer.data,
    )


def _dry_run(words: list[str]) -> bool:
    folded = [w.casefold() for w in words]
    return any(w in DRY_WORDS for w in folded) or any(
        pair == ("dry", "run") for pair in itertools.pairwise(folded)
    )
