"""Timeline entries and thread replies as typed facts instead of English lines.

`incident_timeline.text` ("Opened: checkout down; root cause db") becomes `facts`, the JSON
of `store.incident_facts.TimelineEntry` (services with states, causes, changes, duration in
seconds, who acknowledged); outbox thread payloads `{"text": ...}` become `{"entry": ...}`.
Existing lines are read back into facts; a line that cannot be read is kept as `note`.
The downgrade writes the English lines again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen copies of the column types and tables at this revision (never the live schema).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
STATES = ("ok", "degraded", "down", "maintenance", "unknown")
_STATE = "(" + "|".join(STATES) + ")"
_RECOVERED = re.compile(rf"(.+) recovered \(was {_STATE}\)")
_MOVED = re.compile(rf"(.+) {_STATE} -> {_STATE}")
_FAILED = re.compile(rf"(.+) {_STATE}")

timeline = sa.table(
    "incident_timeline",
    sa.column("id", sa.Integer()),
    sa.column("incident_id", sa.Integer()),
    sa.column("at", TIME),
    sa.column("kind", sa.String()),
    sa.column("text", sa.Text()),
    sa.column("facts", JSON),
)
incidents = sa.table("incidents", sa.column("id", sa.Integer()), sa.column("started_at", TIME))
outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("incident_id", sa.Integer()),
    sa.column("payload", JSON),
    sa.column("created_at", TIME),
)


def upgrade() -> None:
    op.add_column("incident_timeline", sa.Column("facts", JSON, nullable=True))
    connection = op.get_bind()
    started = dict(connection.execute(sa.select(incidents.c.id, incidents.c.started_at)).all())
    rows = connection.execute(
        sa.select(
            timeline.c.id, timeline.c.incident_id, timeline.c.at, timeline.c.kind, timeline.c.text
        )
    ).all()
    for row in rows:
        facts = read_line(row.kind, row.text, _lasted(started.get(row.incident_id), row.at))
        connection.execute(timeline.update().where(timeline.c.id == row.id).values(facts=facts))
    for row in connection.execute(_threads()).all():
        payload = dict(row.payload)
        if "text" not in payload:
            continue
        at = _aware(row.created_at)
        kind = _thread_kind(payload["text"])
        facts = read_line(kind, payload.pop("text"), _lasted(started.get(row.incident_id), at))
        payload["entry"] = {"at": at.isoformat(), "kind": kind, **facts}
        connection.execute(outbox.update().where(outbox.c.id == row.id).values(payload=payload))
    with op.batch_alter_table("incident_timeline") as batch:
        batch.alter_column("facts", existing_type=JSON, nullable=False)
        batch.drop_column("text")


def downgrade() -> None:
    op.add_column("incident_timeline", sa.Column("text", sa.Text(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(timeline.c.id, timeline.c.kind, timeline.c.facts)).all()
    for row in rows:
        line = write_line(row.kind, row.facts or {})
        connection.execute(timeline.update().where(timeline.c.id == row.id).values(text=line))
    for row in connection.execute(_threads()).all():
        payload = dict(row.payload)
        if "entry" in payload:
            entry = payload.pop("entry")
            payload["text"] = write_line(entry.get("kind", "changed"), entry)
            connection.execute(outbox.update().where(outbox.c.id == row.id).values(payload=payload))
    with op.batch_alter_table("incident_timeline") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch.drop_column("facts")


def _threads() -> Any:
    return sa.select(
        outbox.c.id, outbox.c.incident_id, outbox.c.payload, outbox.c.created_at
    ).where(outbox.c.kind == "thread")


def _aware(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _lasted(started: datetime | None, at: datetime) -> float | None:
    if started is None:
        return None
    return max(0.0, (_aware(at) - _aware(started)).total_seconds())


def _thread_kind(text: str) -> str:
    if text.startswith("Resolved after "):
        return "resolved"
    if text.startswith("Acknowledged by "):
        return "ack"
    return "changed"


def read_line(kind: str, text: str, lasted: float | None) -> dict[str, Any]:
    """The facts an English timeline line of revision 0005 stated ({"note": text} if unread)."""
    facts: dict[str, Any] | None = None
    if kind == "ack" and text.startswith("Acknowledged by "):
        facts = {"user": text.removeprefix("Acknowledged by ")}
    elif kind == "resolved" and lasted is not None:
        facts = {"duration_s": lasted}
    elif kind == "opened":
        facts = _opened(text)
    elif kind == "changed":
        facts = _changed(text)
    return facts if facts is not None else {"note": text}


def _opened(text: str) -> dict[str, Any] | None:
    head, _, causes = text.partition("; root cause ")
    label, sep, listed = head.partition(": ")
    pairs = [part.rsplit(" ", 1) for part in listed.split(", ")] if sep else []
    if label not in ("Opened", "Planned work") or not all(
        len(p) == 2 and p[1] in STATES for p in pairs
    ):
        return None
    facts: dict[str, Any] = {"services": [[name, state] for name, state in pairs]}
    if causes and causes != "unknown":
        facts["causes"] = causes.split(", ")
    if label == "Planned work":
        facts["planned"] = True
    return facts


def _changed(text: str) -> dict[str, Any] | None:
    changes: list[list[str]] = []
    causes: list[str] = []
    for part in text.split("; "):
        if part.startswith("New root cause "):
            causes = [c for c in part.removeprefix("New root cause ").split(", ") if c != "unknown"]
        elif found := _RECOVERED.fullmatch(part):
            changes.append([found[1], found[2], "ok"])
        elif found := _MOVED.fullmatch(part):
            changes.append([found[1], found[2], found[3]])
        elif found := _FAILED.fullmatch(part):
            changes.append([found[1], "ok", found[2]])
        else:
            return None
    facts: dict[str, Any] = {"changes": changes} if changes else {}
    if causes:
        facts["causes"] = causes
    return facts


def write_line(kind: str, facts: dict[str, Any]) -> str:
    """The English line of revision 0005 for `facts` (the downgrade)."""
    if "note" in facts:
        return str(facts["note"])
    if kind == "ack":
        return f"Acknowledged by {facts.get('user')}"
    if kind == "resolved":
        return f"Resolved after {_duration(float(facts.get('duration_s') or 0))}"
    if kind == "opened":
        states = ", ".join(f"{n} {s}" for n, s in facts.get("services", ()))
        label = "Planned work" if facts.get("planned") else "Opened"
        return f"{label}: {states}; root cause {', '.join(facts.get('causes', ())) or 'unknown'}"
    lines = [_change(*c) for c in facts.get("changes", ())]
    if facts.get("causes"):
        lines.append(f"New root cause {', '.join(facts['causes'])}")
    return "; ".join(lines)


def _change(name: str, before: str, after: str) -> str:
    if after == "ok":
        return f"{name} recovered (was {before})"
    if before == "ok":
        return f"{name} {after}"
    return f"{name} {before} -> {after}"


def _duration(seconds: float) -> str:
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"
