"""Follow-ups: a question that leans on the last answer of its thread or DM.

"what about db-02?", "and search-api?" keep the last intent with new subjects; "and if
db-02 fails too?" adds to a what-if; "who owns it?", "why?", "since when?" keep the last
subjects with a new intent; "path to checkout?" goes from the last subject. The context is
the store's (`store.ConversationContexts`), so any replica answers the follow-up.
"""

from __future__ import annotations

import re
from dataclasses import replace

from handlers.intents import FOLLOW_UP as _ANOTHER
from handlers.intents import Question
from store import Context

FOLLOWED = frozenset(
    {"affects", "whatif", "depends", "why", "spof", "path", "status", "owner", "sla"}
)
_MORE = re.compile(r"\b(?:too|also|as well|on top|in addition|at the same time)\b|^\W*and if\b")
_SINCE = re.compile(r"^\W*(?:and )?(?:since when|how long|for how long|since what time)\b")
_TO_PRONOUN = re.compile(r"\b(?:to|into|reaches|reach) (?:it|that|this|them|they)\b")
_PRONOUN = re.compile(r"\b(?:it|that|this|them|they|those|these|its|their)\b")
_SIMULATED = ("whatif", "affects")
_WITH_DOWN = re.compile(r"^\W*and (?:with|if|plus|when)\b")
_PERIODIC = frozenset({"sla"})  # intents that read a period: a follow-up may change only it
_NEEDS_SUBJECT = frozenset({"affects", "whatif", "depends", "why", "spof", "owner"})


def looks_like_follow_up(text: str, question: Question) -> bool:
    """Whether `text` refers to an earlier answer (a context would complete it)."""
    lowered = text.casefold()
    if _ANOTHER.search(lowered) or _SINCE.search(lowered):
        return True
    if not question.phrases and (
        question.intent in _NEEDS_SUBJECT or _PRONOUN.search(lowered) is not None
    ):
        return True
    return question.intent == "path" and len(question.phrases) == 1


def complete(
    text: str, question: Question, subjects: tuple[str, ...], context: Context
) -> tuple[Question, tuple[str, ...]] | None:
    """The question and subjects `text` means after `context`, or None (not a follow-up)."""
    lowered = text.casefold()
    last = context.subjects
    if _SINCE.search(lowered):
        return replace(question, intent="why"), last
    if question.period and not subjects and not question.explicit and context.intent in _PERIODIC:
        return replace(question, intent=context.intent), last  # "and last month?"
    simulated = context.intent in _SIMULATED and (
        question.intent in _SIMULATED
        or not question.explicit
        # "and with X down as well?": X failing with the earlier ones, not X's status
        or (question.intent == "status" and _WITH_DOWN.search(lowered) is not None)
    )
    if subjects and simulated and _MORE.search(lowered):
        merged = tuple(dict.fromkeys(last + subjects))
        return replace(question, intent="whatif"), merged
    if _ANOTHER.search(lowered) and subjects and not question.explicit:
        return replace(question, intent=context.intent), subjects
    if question.intent == "path" and len(subjects) == 1 and last:
        if _TO_PRONOUN.search(lowered):  # "the path from accounts-db to it"
            return question, (subjects[0], last[0])
        return question, (last[0], subjects[0])
    if (
        not subjects
        and last
        and (
            question.intent in _NEEDS_SUBJECT
            or (_PRONOUN.search(lowered) and question.intent in FOLLOWED)
        )
    ):
        return question, last
    if _ANOTHER.search(lowered) and subjects and question.intent not in FOLLOWED:
        return replace(question, intent=context.intent), subjects
    return None
