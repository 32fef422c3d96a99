"""The conversation: a question in, an `Answer` out, over the process's compiled model.

`Conversation(models, incidents=...)` answers from `models.current()`
(`services.model.ModelService`), the one compiled model of the process, which follows the
store's changes; the conversation only keeps the name index of the map version it last saw.
`incidents` (`services.incidents.Incidents`) answers `incidents`, `incident` and reconciles
after `maintenance`; it reaches the handlers on their `Request`.

Every surface's text is tidied here, once (`handlers.markup.tidy`), and everyday commands
are put in their grammar (`intents.command_text`). A `session` (a Slack thread or DM, a
`bsm ask --session`, a shell) keeps the intent and subjects of its last answer in the store
(`store.ConversationContexts`), which `handlers.followups` uses to complete a follow-up.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from handlers import guidance, paging, policy
from handlers.access import AccessPolicy, Actor, Admins
from handlers.answer import Answer
from handlers.audit_answers import audit
from handlers.burn_answers import burn
from handlers.commands import refusal
from handlers.digest_answers import digest
from handlers.followups import FOLLOWED, complete, looks_like_follow_up
from handlers.graph_answers import depends, path, spof, why
from handlers.impact_answers import affects, whatif
from handlers.incident_answers import incident, incidents
from handlers.intent_model import IntentJudge
from handlers.intents import (
    COMMAND_INTENTS,
    MAX_QUESTION,
    Question,
    command_text,
    command_words,
    in_name_position,
    joint_failure,
    parse,
    statement,
)
from handlers.maintenance_answers import maintenance
from handlers.map_edit_answers import link, unlink
from handlers.markup import tidy
from handlers.names import NAMES_ATTACHED, NameIndex, Resolution, SharedIndex
from handlers.priority_answers import priorities, risks
from handlers.report_answers import report
from handlers.request import Request
from handlers.risk_answers import margins, risk
from handlers.service_answers import owner, status
from handlers.sla_answers import sla
from handlers.subscription_answers import subscribe, subscriptions, unsubscribe
from handlers.sync.chat import changes, sync
from impact.bulk import no_cycle_collection
from impact.engine import ImpactModel
from services.digests import DigestService
from services.incidents import Incidents
from services.model import ModelService
from services.reports import ReportService

Handler = Callable[[Request], Answer]

# intent -> (handler, how many subjects it needs: 0 none, 1 one or more, 2 two)
HANDLERS: dict[str, tuple[Handler, int]] = {
    "affects": (affects, 1),
    "whatif": (whatif, 1),
    "depends": (depends, 1),
    "why": (why, 1),
    "spof": (spof, 0),  # no subject: the whole map
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
    "priorities": (priorities, 0),
    "risks": (risks, 0),
    "report": (report, 0),
    "risk": (risk, 0),
    "margins": (margins, 0),
    "burn": (burn, 0),
}


class Conversation:
    """Answers questions about the map held by `store`; one instance serves many users.

    Reading is open; changes (subscriptions, maintenance, map edits, syncs, digests) need
    the role `handlers.policy` names for the parsed request, checked against `access` (the
    composition root builds it from the settings; by default no admins) in `_authorize`,
    before any handler runs. A
    question asked with `origin="cli"` comes from a terminal: the local operator, who is
    trusted. `digests` is the SLA and digest service (by default one over `models` that
    shows digests without posting them).
    """

    def __init__(
        self,
        models: ModelService,
        *,
        incidents: Incidents | None = None,
        access: AccessPolicy | None = None,
        digests: DigestService | None = None,
        tokens: Mapping[str, str] | None = None,
        reports: ReportService | None = None,
        judge: IntentJudge | None = None,
    ) -> None:
        self.models = models
        self.judge = judge  # the intent model beside the rules; None: the rules alone
        self.store = models.store
        self.incidents = incidents
        self.access = access or AccessPolicy(Admins())
        self.digests = digests or DigestService(models.store, models)
        self.reports = reports  # SLA report files; None: reports only from the CLI
        self.tokens = tokens or {}  # map-sync source tokens (`token_env` names), from the root
        self._names = NameIndex(())
        # the index of a new map, built once for this conversation and the snapshot saver,
        # whose tables the next process loads instead of building them
        self._built = SharedIndex()
        models.attach(NAMES_ATTACHED, lambda m: self._built.index(m.components).tables())
        self._names_version: int | None = None
        self._labels_version: int | None = None  # the names and titles `_names` indexes
        self._lock = threading.Lock()

    def ask(
        self,
        text: str,
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        origin: str = "chat",
        session: str | None = None,
    ) -> Answer:
        """Answer one question; never raises for anything a user can type.

        `user_id` is the Slack user asking (checked by `access` for changes); `origin` is
        "chat" for Slack and "cli" for a terminal. `session` names the conversation (a
        thread, a DM, a shell): its last answer, kept in the store, completes follow-ups.
        """
        text = command_text(tidy(text[:MAX_QUESTION]))
        answer, more = self._paged(text, user_id, channel_id, origin, session)
        followed = answer.ok and answer.intent in FOLLOWED and answer.subjects
        contexts = self._contexts() if session and (followed or more) else None
        if contexts is not None:  # the context and the "show more" in one write
            intent = answer.intent if followed else None
            contexts.remember(session, intent, answer.subjects, more=more)
        return answer

    def _paged(
        self,
        text: str,
        user_id: str | None,
        channel_id: str | None,
        origin: str,
        session: str | None,
    ) -> tuple[Answer, tuple[str, int] | None]:
        """The answer, a long one with "show more"; "more" (or a `more from N: ...` button
        value) asks the continued question again and shows its next page. With it, where
        "more" goes on in the session (the question and the next page), for a long one:
        past the last page, "more" says there is nothing more."""
        contexts = self._contexts() if session else None
        found = paging.continuation(text)
        if found is None and paging.wants_more(text):
            found = contexts.recall_more(session) if contexts is not None else None
            if found is None:
                return paging.nothing_to_continue(), None
        asked, number = found if found is not None else (text, 1)
        answer, standalone = self._answer(asked, user_id, channel_id, origin, session)
        if not paging.is_long(answer):
            return answer, None
        return paging.page(answer, standalone, number), (standalone, number + 1)

    def _contexts(self) -> Any:
        return getattr(self.store, "contexts", None) if hasattr(self.store, "engine") else None

    def _answer(
        self,
        text: str,
        user_id: str | None,
        channel_id: str | None,
        origin: str,
        session: str | None,
    ) -> tuple[Answer, str]:
        """The answer, and the question it answers as one that stands alone (a follow-up
        completed by its context, in words: what a "show more" re-asks)."""
        model = self._refresh()
        question = parse(text, self._names, self.judge)
        if question.intent == "help":
            return guidance.help_answer(), text
        resolved = self._names.resolve_all(question.phrases)
        named = (
            in_name_position(question, HANDLERS[question.intent][1] > 0)
            if question.intent in HANDLERS
            else "@" in question.template
        )
        resolved = _whole_of(model, _both_of(text, resolved))
        resolution = self._names.screen(resolved, named=named)
        contexts = self._contexts() if session else None
        standalone = text
        follow_up = looks_like_follow_up(text, question)
        context = None
        if contexts is not None and follow_up:
            context = contexts.recall(session or "")
            completed = complete(text, question, resolution.names, context) if context else None
            if completed is not None:
                question, names = completed
                standalone = paging.standalone(question.intent, names) or standalone
                resolution = Resolution(names, resolution.unknown, resolution.ambiguous)
        told = statement(text) and question.intent not in COMMAND_INTENTS
        namelike = self._names.shaped_like_name if told else self._names.looks_like_name
        if (
            (question.weak or told)
            and question.phrases
            and (
                not resolution.names
                # "the wifi in the office is slow": everyday words of a title name nothing
                or (
                    told
                    and not any(
                        self._names.named_by(p) for p in question.phrases if self._names.resolve(p)
                    )
                )
            )
            and not resolution.ambiguous
            and not any(namelike(p) for p in question.phrases)
        ):  # only everyday words said what was asked, or told something, and no word names
            # a subject: chat ("the coffee machine is down again")
            question = replace(question, intent="unknown")
        if told and (_NOTICE.match(text) or _RECOVERED.match(text)):
            question = replace(question, intent="unknown")  # "fyi: db-02 is back, no action"
        if question.intent == "affects" and len(resolution.names) > 1 and joint_failure(text):
            # "db-01 and db-03 fail together, what happens": a joint failure is a what-if
            question = replace(question, intent="whatif")
        if question.intent not in HANDLERS:
            not_understood = guidance.not_understood(
                text, self._names, question, resolution, follow_up=follow_up and context is None
            )
            return not_understood, text
        handler, needs = HANDLERS[question.intent]
        text = command_words(text, question, self._names)
        if refused := self._authorize(question.intent, text, user_id, channel_id, origin):
            return refused, text
        if not resolution.ok:
            return guidance.unresolved(text, question, resolution), text
        if needs and not resolution.names:
            return guidance.missing_subject(question.intent, follow_up=session is not None), text
        if question.intent in COMMAND_INTENTS and not hasattr(self.store, "engine"):
            return guidance.needs_database(question.intent), text
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
            incidents=self.incidents,
            digests=self.digests,
            tokens=self.tokens,
            reports=self.reports,
        )
        answer = handler(request)
        ignored = self._names.ignored(resolved, resolution, question.context)
        if ignored and answer.ok:
            answer = guidance.with_ignored(answer, ignored)
        return answer, standalone

    def _authorize(
        self, intent: str, text: str, user_id: str | None, channel_id: str | None, origin: str
    ) -> Answer | None:
        """The one authorization check: the policy table's role for the parsed request;
        None when the asker holds it, else the refusal (nothing has run yet)."""
        needed = policy.need(intent, text, channel_id)
        if needed.role is policy.Role.READER:
            return None
        return refusal(self.access, Actor(user_id, origin), intent, needed.what)

    def parse(self, text: str) -> Question:
        """The parsed question, as the conversation would read it (for tests and tools)."""
        self._refresh()
        return parse(text, self._names, self.judge)

    def warm(self) -> None:
        """Build what the first question needs (the model, the name index of its map), so
        that it does not pay for them: `bsm serve` calls it before /healthz reports ready.

        Searches need no more: until scipy's kernel is loaded (`bsm serve` loads it a second
        after it is ready) they run in numpy (`impact.traversal`). Nor does the intent
        model's encoder: the judge asks it only about readings it may change
        (`IntentJudge.warm` loads it)."""
        self._refresh()

    def _refresh(self) -> ImpactModel:
        # a first load (a snapshot, a compile) and a new name index are ~10^5 objects kept:
        # the cyclic collector would walk them for nothing (a current model costs nothing)
        with no_cycle_collection():
            return self._refreshed()

    def _refreshed(self) -> ImpactModel:
        compiled = self.models.current()
        with self._lock:
            if compiled.version != self._names_version:
                components = compiled.service_map.components
                if compiled.labels_version == self._labels_version:  # same names, new fields
                    self._names = self._names.with_components(components)
                elif self._names_version is None:  # stored with the snapshot, or built
                    stored = (compiled.attached or {}).get(NAMES_ATTACHED)
                    restored = NameIndex.restored(components, stored)
                    self._names = restored or self._built.index(components)  # the saver's?
                else:  # names or titles changed: the held index, edited
                    touched = self._touched(self._names_version, compiled.version)
                    if touched is None:
                        self._names = self._names.following(components)
                    else:
                        self._names = self._names.edited(components, touched)
                self._names_version = compiled.version
                self._labels_version = compiled.labels_version
        return compiled.model

    def _touched(self, held: int, version: int) -> set[str] | None:
        """The names that may have been added, removed or retitled from map version `held`
        to `version`, from the store's change log; None when it cannot tell."""
        delta = self.models.map_delta(held, version)  # read once for the model and names
        if delta is None:
            return None
        touched = {c.name for c in delta.components.values()}
        touched.update(name for key in delta.touched if (name := self._names.exact(key)))
        return touched


_BOTH = re.compile(r"\bboth\b")
_RECOVERED = re.compile(  # "db-03 is back, thanks all": news, not a question
    r"^\W*[\w.-]+ (?:is|are) (?:back|recovered|restored|fixed|up again|fine again|stable again)\b",
    re.I,
)
_NOTICE = re.compile(r"^\W*(?:fyi|heads[- ]up|psa|note|update|info)\b", re.I)


def _both_of(text: str, resolved: Resolution) -> Resolution:
    """ "both core routers": an ambiguous phrase of exactly two candidates, after "both",
    names them both."""
    if not _BOTH.search(text.casefold()):
        return resolved
    pairs = {p: c for p, c in resolved.ambiguous.items() if len(c) == 2}
    if len(pairs) != 1:
        return resolved
    ((phrase, pair),) = pairs.items()
    names = tuple(dict.fromkeys((*resolved.names, *pair)))
    ambiguous = {p: c for p, c in resolved.ambiguous.items() if p != phrase}
    return Resolution(names, resolved.unknown, ambiguous)


def _whole_of(model: ImpactModel, resolved: Resolution) -> Resolution:
    """ "who to page for kafka": an ambiguous phrase whose candidates are one component and
    what it is built of (kafka-cluster over kafka-01..05) names the whole."""
    if not resolved.ambiguous:
        return resolved
    names, ambiguous = list(resolved.names), {}
    for phrase, candidates in resolved.ambiguous.items():
        others = set(candidates)
        if others & set(resolved.names):  # it names a subject again: `NameIndex.screen`
            ambiguous[phrase] = candidates
            continue
        whole = [
            c for c in candidates if others - {c} <= set(model.depends(c, depth=1).dependencies)
        ]
        if len(whole) == 1:
            names.append(whole[0])
        else:
            ambiguous[phrase] = candidates
    return Resolution(tuple(dict.fromkeys(names)), resolved.unknown, ambiguous)
