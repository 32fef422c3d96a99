"""Long answers page: a headline, the first items by business impact, then "show more".

An answer whose sections were capped (`wording.capped`: `more` > 0) offers a "show more"
action. Its value carries the whole continuation, `more page N: QUESTION` (the question
and the page to show: page 1 is the answer as capped, each later page the next `PAGE`
items of every long section), so a Slack button needs no server state and any replica
answers it; the conversation also keeps it for the session, so typing "more" (Slack
thread or DM, `bsm shell`, `bsm ask --session`) goes on where the last answer stopped.
Either way the question is asked again, through the policy check, and the next page of
its items is shown.
"""

from __future__ import annotations

import re
from dataclasses import replace

from handlers.answer import Action, Answer, Section
from handlers.guidance import ASKABLE
from handlers.wording import LIST_CAP, plural

PAGE = LIST_CAP  # items per section per page (the first page shows `capped`'s LIST_CAP)
MAX_PAGE = 10_000  # a continuation further on than any list is refused, not computed
_CONTINUATION = re.compile(r"^\s*more page (\d{1,5}): (.+)$", re.S | re.I)
_MORE_WORDS = re.compile(
    r"^\W*(?:(?:show|see|give me|list|and)\s+)?(?:the\s+)?(?:more|rest|next(?: page)?|"
    r"the rest)(?:\s+(?:please|pls|plz))?\W*$",
    re.I,
)


def continuation(text: str) -> tuple[str, int] | None:
    """The question and page of a `more page N: QUESTION` value, or None."""
    match = _CONTINUATION.match(text)
    if match is None or not 1 <= int(match[1]) <= MAX_PAGE:
        return None
    return match[2].strip(), int(match[1])


def wants_more(text: str) -> bool:
    """ "more", "show more", "next page", "the rest please": go on with the last answer."""
    return _MORE_WORDS.match(text) is not None


def is_long(answer: Answer) -> bool:
    return any(s.more for s in answer.sections)


def more_action(question: str, number: int) -> Action:
    return Action("more", "Show more", f"more page {number}: {question}")


def first_page(answer: Answer, question: str) -> Answer:
    """A long answer with its "show more" action first (before Share and the others)."""
    if not is_long(answer):
        return answer
    more = more_action(question, 2)
    data = answer.data | {"more": more.value}
    return replace(answer, actions=(more, *answer.actions), data=data)


def page(answer: Answer, question: str, number: int) -> Answer:
    """Page `number` of `answer` (freshly made): after the items each section showed on
    page 1, the next `PAGE` per later page; with "show more" again while items are left."""
    if number <= 1:
        return first_page(answer, question)
    sections: list[Section] = []
    listed: dict[str, list[str]] = {}
    left = 0
    for section in answer.sections:
        items = section.full or section.items
        total = len(items) + section.omitted
        start = len(section.items) + (number - 2) * PAGE
        shown = items[start : start + PAGE]
        if not shown:
            continue
        end = start + len(shown)
        left = max(left, len(items) - end)
        span = f"{start + 1}-{end}" if end > start + 1 else f"{end}"
        sections.append(Section(f"{section.title} ({span} of {total})", shown))
        listed[section.title] = [item.text for item in shown]
    if not sections:
        return replace(
            answer,
            summary=f"Nothing more to show: that was all of it ({answer.summary})",
            sections=(),
            actions=tuple(a for a in answer.actions if a.kind == "share"),
        )
    notes: tuple[str, ...] = (f"Continued: {answer.summary}",)
    actions = tuple(a for a in answer.actions if a.kind != "share")
    data = answer.data | {"page": {"number": number, "items": listed}}
    if left:
        notes += (f"{plural(left, 'more item')} after these",)
        actions = (more_action(question, number + 1), *actions)
        data["more"] = actions[0].value
    return replace(
        answer,
        summary=f"More of: {question}",
        sections=tuple(sections),
        notes=notes,
        actions=actions,
        data=data,
    )


def standalone(intent: str, subjects: tuple[str, ...]) -> str | None:
    """A question for `intent` and `subjects` that needs no context (a completed
    follow-up, to be asked again by "show more"), or None when there is none in words."""
    if intent == "path":
        return f"path from {subjects[0]} to {subjects[1]}" if len(subjects) == 2 else None
    template = ASKABLE.get(intent)
    return template.format(", ".join(subjects)) if template and subjects else None


def nothing_to_continue() -> Answer:
    return Answer(
        "more",
        'Nothing to continue: "more" goes on with the last long answer of this thread, DM '
        "or shell (`bsm ask --session NAME`), for 2 hours",
        ok=False,
    )
