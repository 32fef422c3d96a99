"""Map edits from chat: one dependency at a time, audited, visible to the next question.

    link A -> B [soft]     A depends on B (hard unless `soft`)
    unlink A -> B          A no longer depends on B directly

The edit bumps the map version, so every conversation (on every replica) recompiles
before its next answer.
"""

from __future__ import annotations

import re

from handlers.answer import Action, Answer
from handlers.commands import CommandError, actor, arguments, failed, resolve
from handlers.request import Request
from impact.model import DependencyKind
from store import EdgeChange, StoreError

USAGE = ("link checkout-api -> orders-db [soft]", "unlink checkout-api -> orders-db")
_ARROW = re.compile(r"\s*(?:->|→|=>|&gt;)\s*|\s+-\s*>\s+")
_KINDS = {
    spelling: kind
    for kind in DependencyKind
    for spelling in (kind.value, f"({kind.value})", f"--{kind.value}")
}


def link(req: Request) -> Answer:
    """Add a dependency (or change its kind)."""
    try:
        source, target, kind = _edge(req, ("link",), with_kind=True)
    except CommandError as error:
        return failed("link", error, USAGE[:1])
    try:
        change = req.store.edits.link(
            source, target, kind=kind, actor=actor(req).name, origin=req.origin
        )
    except StoreError as error:
        return failed("link", error, USAGE[:1])
    if not change.changed:
        return Answer(
            "link",
            f"{source} already depends on {target} ({kind.value}): nothing changed",
            (source, target),
            data=_json(change),
        )
    verb = "Linked" if change.before is None else f"Changed {change.before} to"
    return Answer(
        "link",
        f"{verb} {source} -> {target} ({kind.value}): {source} now depends on {target}",
        (source, target),
        actions=(Action("ask", f"Impact of {target}", f"what does {target} affect?"),),
        data=_json(change),
    )


def unlink(req: Request) -> Answer:
    """Remove a direct dependency."""
    try:
        source, target, _ = _edge(req, ("unlink",), with_kind=False)
    except CommandError as error:
        return failed("unlink", error, USAGE[1:])
    try:
        change = req.store.edits.unlink(source, target, actor=actor(req).name, origin=req.origin)
    except StoreError as error:
        return failed("unlink", error, USAGE[1:])
    return Answer(
        "unlink",
        f"Unlinked {source} -> {target}: {source} no longer depends on {target} directly",
        (source, target),
        actions=(Action("ask", f"Impact of {target}", f"what does {target} affect?"),),
        data=_json(change),
    )


def _edge(
    req: Request, verbs: tuple[str, ...], *, with_kind: bool
) -> tuple[str, str, DependencyKind]:
    text = " ".join(arguments(req.text, verbs))
    parts = _ARROW.split(text, maxsplit=1)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise CommandError(f"write the dependency as `A -> B` (got {text or 'nothing'!r})")
    left, right = parts[0].split(), parts[1].split()
    kind = DependencyKind.HARD
    if with_kind and len(right) > 1 and right[-1].casefold() in _KINDS:
        kind, right = _KINDS[right[-1].casefold()], right[:-1]
    return resolve(req.names, " ".join(left)), resolve(req.names, " ".join(right)), kind


def _json(change: EdgeChange) -> dict[str, object]:
    return {
        "source": change.source,
        "target": change.target,
        "before": change.before,
        "after": change.after,
        "map_version": change.map_version,
    }
