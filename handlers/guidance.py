"""Answers that guide instead of answer: help, "did you mean", and what was not understood."""

from __future__ import annotations

import re
from dataclasses import replace

from handlers.answer import Action, Answer, Item, Section
from handlers.intents import Question
from handlers.names import NameIndex, Resolution
from handlers.wording import joined

EXAMPLES: dict[str, tuple[str, ...]] = {
    "affects": ("what does db-03 affect?", "blast radius of dns"),
    "whatif": ("what if db-01 and db-02 fail?", "simulate outage of core-router-1, dns"),
    "depends": ("what does checkout depend on?", "deps of online-checkout depth 4"),
    "why": ("why is checkout down?",),
    "spof": ("single points of failure for checkout",),
    "path": ("path from online-checkout to db-03", "does checkout depend on dns?"),
    "status": ("status", "how is everything?", "is payments-api up?"),
    "owner": ("who owns payments-api?",),
    "sla": ("sla checkout last 7 days",),
}
_PURPOSE = {
    "affects": "what a failure takes down",
    "whatif": "a failure on top of the current state",
    "depends": "what a service needs",
    "why": "root causes of a failure",
    "spof": "single points of failure",
    "path": "how two components are connected",
    "status": "business services, worst first",
    "owner": "owner and channel",
    "sla": "availability against the SLA",
}


# Commands: (example, what it does); the ones that change something need a bsm admin.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("incidents", "open incidents; `incident ID` shows one with its timeline"),
    ("subscribe #channel to tier 1", "incident notices in a channel (admins)"),
    ("subscriptions", "which channels follow what; `unsubscribe #channel from ...`"),
    ("maintenance db-03 for 2h reason", "planned work (admins); `maintenance list`, `end ID`"),
    ("link checkout-api -> orders-db", "add a dependency (admins); `unlink A -> B`, `soft`"),
    ("audit db-03", "who changed what, from where"),
    ("sync backstage --dry-run", "preview a source; `sync list`; URLs, `sync confirm ID` (admins)"),
    ("changes since yesterday", "what syncs added to and removed from the map"),
)


def help_answer(ok: bool = True, summary: str | None = None) -> Answer:
    """What can be asked, one example per line, grouped by intent; then the commands."""
    items = tuple(
        Item(f"{examples[0]}", None, _PURPOSE[intent]) for intent, examples in EXAMPLES.items()
    )
    commands = tuple(Item(example, None, purpose) for example, purpose in COMMANDS)
    return Answer(
        intent="help",
        summary=summary
        or "Ask me about impact, dependencies, root causes and status, for example:",
        sections=(Section("Examples", items), Section("Commands", commands)),
        notes=(
            "Names can be partial (checkout), titles (Online Checkout) or lists (db-01, db-02).",
        ),
        data={"examples": {k: list(v) for k, v in EXAMPLES.items()}},
        ok=ok,
    )


# One answerable question per intent, for a name, offered when a question was not understood.
ASKABLE: dict[str, str] = {
    "affects": "what does {} affect?",
    "depends": "what does {} depend on?",
    "owner": "who owns {}?",
    "why": "why is {} down?",
    "status": "is {} up?",
    "spof": "single points of failure for {}",
    "whatif": "what if {} fails?",
    "sla": "sla {} this month",
}
# Words that hint at an intent when its rule did not match.
_HINTS: dict[str, frozenset[str]] = {
    intent: frozenset(words.split())
    for intent, words in {
        "owner": "who team call page contact ping person people owner wake",
        "depends": "under below beneath inside need needs made built base on",
        "affects": "lose losing hit break breaks affect fall fallout",
        "why": "why reason cause wrong broken failing slow flaky",
        "status": "up down ok state good fine health running working",
        "sla": "uptime sla budget availability percent minutes month",
        "whatif": "if would suppose imagine fails",
    }.items()
}


def not_understood(
    text: str,
    names: NameIndex,
    question: Question,
    resolution: Resolution | None = None,
    *,
    follow_up: bool = False,
) -> Answer:
    """Not understood: one to three questions the bot can answer, built from the user's
    own words and names (buttons in Slack); the full help only for "help"."""
    shown = " ".join(text.split())[:80]
    found = list(resolution.names if resolution else ())
    guesses = [s for phrase in question.phrases for s in names.suggest(phrase)]
    subjects = list(dict.fromkeys(found + guesses))[:2]
    words = set(re.findall(r"[a-z]+", text.casefold()))
    ranked = sorted(ASKABLE, key=lambda intent: -len(words & _HINTS.get(intent, frozenset())))
    if subjects:
        questions = [ASKABLE[i].format(subjects[0]) for i in ranked[:3]]
    elif words & _HINTS["status"] or words & _HINTS["why"]:
        questions = ["status", "what is down?", "incidents"]
    else:
        questions = ["status", "help"]
    hint = f" (did you mean {joined(guesses, 3).replace(' and ', ' or ')}?)" if guesses else ""
    lead = (
        f'"{shown}" follows up on an earlier answer, and I have none in this conversation'
        if follow_up
        else f'I did not understand "{shown}"{hint}'
    )
    return Answer(
        "help",  # a clarification, never a domain answer (ok=False)
        f"{lead}. Did you mean:",
        sections=(Section("Try", tuple(Item(q) for q in questions)),),
        notes=('Ask "help" for everything I can answer.',),
        actions=tuple(Action("retry", q, q) for q in questions),
        data={
            "suggestions": guesses,
            "questions": questions,
            "examples": {k: list(v) for k, v in EXAMPLES.items()},
        },
        ok=False,
    )


def unresolved(text: str, question: Question, resolution: Resolution) -> Answer:
    """Unknown names with "did you mean" suggestions; ambiguous names with their candidates."""
    parts, sections, actions = [], [], []
    for phrase, suggestions in resolution.unknown.items():
        hint = (
            f"; did you mean {joined(suggestions, 3).replace(' and ', ' or ')}?"
            if suggestions
            else ""
        )
        parts.append(f'I don\'t know "{phrase}"{hint}')
        actions += [Action("retry", s, _replace(text, phrase, s)) for s in suggestions]
        if suggestions:
            sections.append(
                Section(f'Did you mean ("{phrase}")', tuple(Item(s) for s in suggestions))
            )
    for phrase, candidates in resolution.ambiguous.items():
        parts.append(
            f'"{phrase}" matches {len(candidates)} names: {joined(candidates, 5)}; which one?'
        )
        sections.append(
            Section(
                f'Candidates for "{phrase}"',
                tuple(Item(c) for c in candidates[:10]),
                more=max(0, len(candidates) - 10),
                full=tuple(Item(c) for c in candidates) if len(candidates) > 10 else (),
            )
        )
        actions += [Action("retry", c, _replace(text, phrase, c)) for c in candidates[:5]]
    suggestions = [s for found in resolution.unknown.values() for s in found]
    data = {
        "suggestions": suggestions,
        "unknown": {k: list(v) for k, v in resolution.unknown.items()},
        "ambiguous": {k: list(v) for k, v in resolution.ambiguous.items()},
    }
    return Answer(
        question.intent,
        "; ".join(parts),
        resolution.names,
        tuple(sections),
        actions=tuple(actions),
        data=data,
        ok=False,
    )


def needs_database(intent: str) -> Answer:
    """A command asked of a map that lives in no database (a file, a test map)."""
    return Answer(
        intent,
        f"`{intent}` needs the bsm database: start the bot with BSM_DATABASE_URL set",
        ok=False,
    )


def missing_subject(intent: str, *, follow_up: bool = False) -> Answer:
    """An intent that needs a name was asked without one (and no earlier answer of the
    conversation to take it from, for a follow-up)."""
    example = EXAMPLES[intent][0]
    earlier = " I have no earlier answer in this conversation to refer to." if follow_up else ""
    return Answer(
        intent,
        f"Which component or service?{earlier} For example: {example}",
        data={"examples": list(EXAMPLES[intent])},
        ok=False,
    )


def _replace(text: str, phrase: str, name: str) -> str:
    """`text` with `phrase` swapped for `name`, or a plain question when it is not found."""
    pattern = re.compile(re.escape(phrase), re.I)
    return pattern.sub(name, text, count=1) if pattern.search(text) else name


def with_ignored(answer: Answer, ignored: dict[str, tuple[str, ...]]) -> Answer:
    """`answer` with one short note naming the name-like words the question dropped:
    `Ignored "k8s pool" (did you mean k8s-pool-a or k8s-pool-b?)`; `data["ignored"]` too."""
    parts = [
        f'"{word}"'
        + (f" (did you mean {joined(list(meant), 3).replace(' and ', ' or ')}?)" if meant else "")
        for word, meant in ignored.items()
    ]
    note = "Ignored " + "; ".join(parts)
    data = answer.data | {"ignored": list(ignored)}
    return replace(answer, notes=(note, *answer.notes), data=data)
