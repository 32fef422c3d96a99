"""The audit log in chat: who changed what, from where, newest first.

audit              the latest changes
audit <component>  the changes that touched one component (maintenance, links, syncs)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from handlers.access import is_user_id
from handlers.answer import Answer, Item, Section
from handlers.commands import (
    CommandError,
    arguments,
    failed,
    resolve,
    trailing_window,
    user_label,
)
from handlers.request import Request
from impact.model import name_key
from store import AuditEntry

USAGE = ("audit", "audit db-03")
SHOWN = 20
SCANNED = 1000  # entries searched for one component's changes


def audit(req: Request) -> Answer:
    """The newest audit entries, optionally only those about one component."""
    words = arguments(req.text, ("audit", "audits"))
    words = [w for w in words if w.casefold() not in ("log", "for", "of", "on")]
    subject = None
    words, window = trailing_window(words, datetime.now(UTC), "audit window")
    try:
        if words:
            subject = resolve(req.names, " ".join(words))
    except CommandError as error:
        return failed("audit", error, USAGE)
    if subject is None:
        entries = req.store.audit_log(limit=SHOWN)
    else:
        entries = [e for e in req.store.audit_log(limit=SCANNED) if _about(e, subject)][:SHOWN]
    if window is not None:
        entries = [e for e in entries if window.start <= e.at < window.end]
    scope = f" touching {subject}" if subject else ""
    scope += f" ({window.label})" if window else ""
    if not entries:
        return Answer("audit", f"No recorded changes{scope}", data={"entries": []})
    return Answer(
        "audit",
        f"The last {len(entries)} change{'s' * (len(entries) != 1)}{scope}, newest first",
        (subject,) if subject else (),
        (Section("Audit log", tuple(_item(e) for e in entries)),),
        data={
            "entries": [_json(e) for e in entries],
            "mentions": sorted({user_label(e.actor) for e in entries if is_user_id(e.actor)}),
        },
    )


def _about(entry: AuditEntry, name: str) -> bool:
    """True when `entry` changed `name`: as its target or as a name inside before/after."""
    key = name_key(name)
    if entry.target is not None and name_key(entry.target) == key:
        return True
    return any(_mentions(part, key) for part in (entry.before, entry.after))


def _mentions(value: Any, key: str) -> bool:
    if isinstance(value, str):
        return name_key(value) == key
    if isinstance(value, dict):
        return any(_mentions(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, key) for v in value[:500])
    return False


def _item(entry: AuditEntry) -> Item:
    who = user_label(entry.actor)
    target = f" {entry.target}" if entry.target else ""
    return Item(
        f"{entry.at:%Y-%m-%d %H:%M} {entry.action}{target}",
        None,
        f"by {who} via {entry.origin}{_change(entry)}",
    )


def _change(entry: AuditEntry) -> str:
    if entry.action in ("map.link", "map.unlink"):
        edge = entry.after if entry.action == "map.link" else entry.before
        if isinstance(edge, dict) and "source" in edge:
            kind = f" ({edge['kind']})" if edge.get("kind") else ""
            return f": {edge['source']} -> {edge['target']}{kind}"
    if entry.action.startswith("maintenance.") and isinstance(entry.after, dict):
        window = entry.after
        reason = f" ({window['reason']})" if window.get("reason") else ""
        return f": #{window.get('id')} {window.get('component')} until {window.get('end')}{reason}"
    if entry.action.startswith("subscription."):
        change = entry.after if isinstance(entry.after, dict) else entry.before
        if isinstance(change, dict):
            return f": {change.get('channel')} follows {change.get('selector')}"
    shown = entry.after if entry.after is not None else entry.before
    if shown is None:
        return ""
    text = json.dumps(shown, ensure_ascii=False, default=str, separators=(", ", ": "))
    return ": " + (text if len(text) <= 160 else text[:159] + "…")


def _json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "origin": entry.origin,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    }
