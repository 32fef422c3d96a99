"""The answer value every handler returns; Block Kit and the terminal both render it.

An answer is deliberately generic: a plain-text summary line, then titled sections of
items, so a renderer never needs per-intent code. `data` carries the machine-readable
fields of `bsm ask --json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from impact.model import State


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a section: `text` is plain (renderers escape it), `state` adds an emoji."""

    text: str
    state: State | None = None
    detail: str | None = None  # secondary text: owner, tier, path...


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    items: tuple[Item, ...] = ()
    more: int = 0  # items left out ("and N more")
    full: tuple[Item, ...] = ()  # the complete list, for a thread reply when `more` > 0
    omitted: int = 0  # items not even in `full` (a list too long to show: see FULL_CAP)


@dataclass(frozen=True, slots=True)
class Action:
    """A follow-up a user can take: a button in Slack, a hint in the shell."""

    kind: str  # "show_paths" | "simulate" | "share" | ...
    label: str
    value: str  # the question or argument the action re-asks


@dataclass(frozen=True, slots=True)
class Answer:
    intent: str
    summary: str  # first line, plain text, meaningful on its own
    subjects: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    notes: tuple[str, ...] = ()  # small print under the answer
    actions: tuple[Action, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    ok: bool = True  # False for "did you mean", refusals and errors

    def to_json(self) -> dict[str, Any]:
        """The `bsm ask --json` object: intent, subjects, summary, then the intent's fields."""
        return {
            "intent": self.intent,
            "subjects": list(self.subjects),
            "summary": self.summary,
            "ok": self.ok,
            **self.data,
        }
