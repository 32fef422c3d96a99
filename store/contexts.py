"""Conversation context: what the bot last answered in a thread or DM, shared by replicas.

A follow-up ("who owns it?", "what about db-02?") lands on any replica behind the load
balancer, so the context of the last answer (its intent and subjects) is a row keyed by
the conversation (channel and thread, or a `bsm ask --session` name), not process memory.
A context older than `ttl` (2 hours) is forgotten: it is neither returned nor kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Engine, String, Table, Text, delete, insert, select

from impact.clock import Clock, utcnow
from store import database
from store.schema import METADATA, UTCDateTime

CONTEXT_KEY_LENGTH = 200
CONTEXT_TTL = timedelta(hours=2)
_MAX_SUBJECTS = 20


ContextRow = Table(
    "conversation_contexts",
    METADATA,
    Column("key", String(CONTEXT_KEY_LENGTH), primary_key=True),
    Column("intent", String(40), nullable=False),
    Column("subjects", Text, nullable=False),  # a JSON list of canonical names
    Column("updated_at", UTCDateTime, index=True, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Context:
    """The last answer of one conversation: its intent and subjects, and when."""

    intent: str
    subjects: tuple[str, ...]
    at: datetime


class ConversationContexts:
    """`remember(key, intent, subjects)` after an answer; `recall(key)` before a follow-up."""

    def __init__(self, engine: Engine, *, ttl: timedelta = CONTEXT_TTL, clock: Clock = utcnow):
        self.engine, self.ttl, self.clock = engine, ttl, clock

    def remember(
        self,
        key: str,
        intent: str | None,
        subjects: tuple[str, ...] = (),
        *,
        more: tuple[str, int] | None = None,
    ) -> None:
        """Keep the last answer of conversation `key` (replacing the one before; none when
        `intent` is None) and, with `more`, where its "show more" goes on (the question of
        its long answer and the page to show next, beside the context, same lifetime): one
        transaction for both."""
        rows = [] if intent is None else [(key, intent, subjects)]
        if more is not None:
            rows.append((_more_key(key), _MORE, (more[0], str(more[1]))))
        if not rows:
            return
        now = self.clock()
        with database.transaction(self.engine) as connection:
            for row_key, row_intent, row_subjects in rows:
                row_key = row_key[:CONTEXT_KEY_LENGTH]
                names = json.dumps(list(row_subjects[:_MAX_SUBJECTS]))
                connection.execute(delete(ContextRow).where(ContextRow.c.key == row_key))
                connection.execute(
                    insert(ContextRow).values(
                        key=row_key, intent=row_intent[:40], subjects=names, updated_at=now
                    )
                )
            connection.execute(delete(ContextRow).where(ContextRow.c.updated_at < now - self.ttl))

    def recall_more(self, key: str) -> tuple[str, int] | None:
        """The question and next page of conversation `key`'s "show more", or None."""
        found = self.recall(_more_key(key))
        if found is None or len(found.subjects) != 2 or not found.subjects[1].isdigit():
            return None
        return found.subjects[0], int(found.subjects[1])

    def recall(self, key: str) -> Context | None:
        """The last answer of conversation `key`, or None when there is none or it expired."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(ContextRow).where(ContextRow.c.key == key[:CONTEXT_KEY_LENGTH])
            ).first()
        if row is None or row.updated_at < self.clock() - self.ttl:
            return None
        subjects = tuple(str(s) for s in json.loads(row.subjects))
        return Context(row.intent, subjects, row.updated_at)


_MORE = "more"


def _more_key(key: str) -> str:
    return key[: CONTEXT_KEY_LENGTH - 5] + "#more"
