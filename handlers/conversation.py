"""The conversation: a question in, an `Answer` out, over a cached compiled map.

`Conversation(store)` compiles the map once and recompiles only when `store.map_version()`
changes; component states are read from `store.current_states()` and pushed into the model
when they differ from the last ones seen. A store with a database is asked one cheap
`freshness.change_token` per question instead, and the map and states are re-read only when
it moves (or a maintenance window starts or ends); other sources are re-read every time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from handlers import freshness, guidance
from handlers.access import AccessPolicy
from handlers.answer import Answer
from handlers.audit_answers import audit
from handlers.digest_answers import digest
from handlers.graph_answers import depends, path, spof, why
from handlers.impact_answers import affects, whatif
from handlers.incident_answers import incident, incidents
from handlers.intents import COMMAND_INTENTS, Question, parse
from handlers.maintenance_answers import maintenance
from handlers.map_edit_answers import link, unlink
from handlers.names import NameIndex
from handlers.request import Request
from handlers.service_answers import owner, status
from handlers.sla_answers import sla
from handlers.subscription_answers import subscribe, subscriptions, unsubscribe
from handlers.sync.chat import changes, sync
from impact.engine import ImpactModel
from impact.model import ServiceMap, State

Handler = Callable[[Request], Answer]

# intent -> (handler, how many subjects it needs: 0 none, 1 one or more, 2 two)
HANDLERS: dict[str, tuple[Handler, int]] = {
    "affects": (affects, 1),
    "whatif": (whatif, 1),
    "depends": (depends, 1),
    "why": (why, 1),
    "spof": (spof, 1),
    "path": (path, 2),
    "status": (status, 0),
    "owner": (owner, 1),
    "sla": (sla, 0),
    "digest": (digest, 0),
    "subscribe": (subscribe, 0),
    "unsubscribe": (unsubscribe, 0),
    "subscriptions": (subscriptions, 0),
    "maintenance": (maintenance, 0),
    "incidents": (incidents, 0),
    "incident": (incident, 0),
    "audit": (audit, 0),
    "sync": (sync, 0),
    "changes": (changes, 0),
    "link": (link, 0),
    "unlink": (unlink, 0),
}


class MapSource(Protocol):
    """What the conversation needs from the store."""

    def load_map(self) -> ServiceMap: ...
    def map_version(self) -> int: ...
    def current_states(self, at: Any = None) -> dict[str, State]: ...


class Conversation:
    """Answers questions about the map held by `store`; one instance serves many users.

    Reading is open; changes (subscriptions, maintenance, map edits, syncs, digests) pass
    `access`, by default the admins of BSM_ADMINS / BSM_ADMIN_GROUPS. A question asked with
    `origin="cli"` comes from a terminal: the local operator, who is trusted.
    """

    def __init__(self, store: MapSource, *, access: AccessPolicy | None = None) -> None:
        self.store = store
        self.access = access or AccessPolicy.from_env()
        self._version: int | None = None
        self._states: dict[str, State] | None = None
        self._model: ImpactModel | None = None
        self._names = NameIndex(())
        self._token: freshness.Token | None = None
        self._stale_at: datetime | None = None  # next maintenance start or end
        self._lock = threading.Lock()

    def ask(
        self,
        text: str,
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        origin: str = "chat",
    ) -> Answer:
        """Answer one question; never raises for anything a user can type.

        `user_id` is the Slack user asking (checked by `access` for changes); `origin` is
        "chat" for Slack and "cli" for a terminal.
        """
        model = self._refresh()
        question = parse(text, self._names)
        if question.intent == "help":
            return guidance.help_answer()
        if question.intent not in HANDLERS:
            return guidance.not_understood(text, self._names, question)
        handler, needs = HANDLERS[question.intent]
        resolution = self._names.resolve_all(question.phrases)
        if not resolution.ok:
            return guidance.unresolved(text, question, resolution)
        if needs and not resolution.names:
            return guidance.missing_subject(question.intent)
        if question.intent in COMMAND_INTENTS and not hasattr(self.store, "engine"):
            return guidance.needs_database(question.intent)
        request = Request(
            text,
            question,
            resolution.names,
            model,
            self._names,
            user_id,
            channel_id,
            self.store,
            origin,
            self.access,
        )
        return handler(request)

    def parse(self, text: str) -> Question:
        """The parsed question, as the conversation would read it (for tests and tools)."""
        self._refresh()
        return parse(text, self._names)

    def _refresh(self) -> ImpactModel:
        with self._lock:
            token = freshness.change_token(self.store)
            if token is None or token != self._token or self._boundary_passed():
                self._reload()
                self._token = token
            assert self._model is not None
            return self._model

    def _boundary_passed(self) -> bool:
        return self._stale_at is not None and freshness.now() >= self._stale_at

    def _reload(self) -> None:
        """Recompile when the map version moved; push the states when they changed."""
        version = self.store.map_version()
        if self._model is None or version != self._version:
            service_map = self.store.load_map()
            self._model = ImpactModel.from_map(service_map)
            self._names = NameIndex(service_map.components.values())
            self._version, self._states = version, None
        states = self.store.current_states()
        if states != self._states:
            self._model.set_states(dict(states))
            self._states = dict(states)
        if hasattr(self.store, "maintenance_windows"):
            windows = self.store.maintenance_windows()
            self._stale_at = freshness.next_boundary(windows, freshness.now())
