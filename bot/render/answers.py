"""An `Answer` becomes a Slack message; a failure becomes a short apology.

Long lists are cut with "and N more" and the complete list travels in `Message.thread`,
to be posted as replies. Only the mentions an answer vouches for (built from ids) render as
mentions; everything else stays escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.render.blocks import (
    ITEMS_INLINE,
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    MAX_BUTTONS,
    MAX_CONTEXT_ELEMENTS,
    MAX_LINE,
    MAX_SECTION_TEXT,
    ActionId,
    Block,
    BlockId,
    Message,
    button,
    escape,
    fit,
    item_line,
    pack,
    section_block,
)
from handlers.answer import Action, Answer, Section
from handlers.commands import user_label

_SAFE_MENTION = re.compile(r"^<(?:@[UW][A-Z0-9]{2,}|!subteam\^S[A-Z0-9]{2,}|#[CG][A-Z0-9]{2,})>$")


_ACTION_KINDS = {
    "show_paths": ActionId.SHOW_PATHS,
    "simulate": ActionId.SIMULATE,
    "retry": ActionId.RETRY,
    "more": ActionId.MORE,
}


def action_id_for(action: Action) -> ActionId:
    """The button an answer action becomes; unknown kinds re-ask their value."""
    return _ACTION_KINDS.get(action.kind, ActionId.ASK)


def render_answer(
    answer: Answer, *, question: str | None = None, shared_by: str | None = None
) -> Message:
    """Render an answer; `question` adds a Share button, `shared_by` credits who shared it."""
    tail = [b for b in (_notes(answer.notes), _buttons(answer, question), _credit(shared_by)) if b]
    # a long answer with its "Show more" button pages instead of flooding the thread
    paged = any(a.kind == "more" and len(a.value) <= MAX_BUTTON_VALUE for a in answer.actions)
    body, overflow, cut = _sections(answer.sections, MAX_BLOCKS - 1 - len(tail), paged)
    summary = section_block(BlockId.SUMMARY, f"*{fit(answer.summary, MAX_SECTION_TEXT - 2)}*")
    threaded = cut if paged else [*overflow, *cut]
    thread = tuple(m for section in threaded for m in _full_list(section))
    message = Message(fit(answer.summary, MAX_SECTION_TEXT), [summary, *body, *tail], thread)
    # a refusal never pings: whatever mentions it carries stay escaped text
    vouched = () if answer.data.get("refused") else answer.data.get("mentions") or ()
    return _with_mentions(message, vouched)


def _with_mentions(message: Message, mentions: Sequence[str]) -> Message:
    """Let the mentions an answer vouches for (admins, channels) render as mentions.

    Only exact user, user-group and channel references built from ids are restored; every
    other `<` stays escaped, so text from users or the map still cannot ping anyone.
    """
    safe = [m for m in mentions if _SAFE_MENTION.match(m)]
    if not safe:
        return message

    def restore(text: str) -> str:
        for mention in safe:
            text = text.replace(escape(mention), mention)
        return text

    blocks = [_restore_block(block, restore) for block in message.blocks]
    return Message(restore(message.text), blocks, message.thread)


def _restore_block(block: Block, restore: Any) -> Block:
    if block.get("type") == "section" and "text" in block:
        return {**block, "text": {**block["text"], "text": restore(block["text"]["text"])}}
    if block.get("type") == "context":
        elements = [{**e, "text": restore(e["text"])} for e in block["elements"]]
        return {**block, "elements": elements}
    return block


def render_apology(text: str) -> Message:
    """A short message for the user when something failed; never carries internals."""
    return Message(fit(text, MAX_SECTION_TEXT), [section_block(BlockId.SUMMARY, fit(text, 3000))])


def _shown(section: Section, paged: bool = False) -> tuple[list[str], int]:
    """The lines of a section as shown inline, and how many items are left out."""
    items = section.items[:ITEMS_INLINE]
    hidden = len(section.items) - len(items) + section.more
    lines = [f"*{fit(section.title, MAX_LINE)}*", *map(item_line, items)]
    if hidden:
        where = "Show more" if paged else "full list in the thread"
        lines.append(f"_and {hidden} more ({where})_")
    return lines, hidden


def _sections(
    sections: Sequence[Section], budget: int, paged: bool = False
) -> tuple[list[Block], list[Section], list[Section]]:
    """Section blocks within `budget` blocks, the sections with items left out, and the
    sections cut for want of blocks (their full lists go to the thread)."""
    blocks: list[Block] = []
    overflow: list[Section] = []
    for index, section in enumerate(sections):
        lines, hidden = _shown(section, paged)
        chunks = pack(lines)
        if len(blocks) + len(chunks) > budget - 1:
            rest = sections[index:]
            text = f"_and {len(rest)} more sections (full lists in the thread)_"
            blocks.append(section_block(BlockId.MORE_SECTIONS, text))
            return blocks, overflow, list(rest)
        blocks += [
            section_block(f"{BlockId.SECTION}.{len(blocks) + i}", c) for i, c in enumerate(chunks)
        ]
        if hidden:
            overflow.append(section)
    return blocks, overflow, []


def _full_list(section: Section) -> list[Message]:
    """Thread replies carrying every item of `section`, each within the block limit."""
    items = section.full or section.items
    title = fit(section.title, MAX_LINE)
    chunks = pack(map(item_line, items))
    pages = [chunks[i : i + MAX_BLOCKS - 1] for i in range(0, len(chunks), MAX_BLOCKS - 1)]
    messages = []
    for number, page in enumerate(pages, start=1):
        count = f"the first {len(items)} of {len(items) + section.omitted}"
        head = f"*{title}*: {count if section.omitted else f'all {len(items)}'}" + (
            f" (part {number}/{len(pages)})" * (len(pages) > 1)
        )
        blocks = [section_block(f"{BlockId.FULL_LIST}.{i}", c) for i, c in enumerate(page)]
        messages.append(Message(head, [section_block(BlockId.SUMMARY, head), *blocks]))
    return messages


def _notes(notes: Sequence[str]) -> Block | None:
    if not notes:
        return None
    kept = list(notes[: MAX_CONTEXT_ELEMENTS - 1])
    if len(notes) > len(kept):
        kept.append(" · ".join(notes[len(kept) :]))
    elements = [{"type": "mrkdwn", "text": fit(note, MAX_SECTION_TEXT)} for note in kept]
    return {"type": "context", "block_id": BlockId.NOTES, "elements": elements}


def _buttons(answer: Answer, question: str | None) -> Block | None:
    """The follow-up buttons; actions whose value would not fit a button are left out."""
    offered = [a for a in answer.actions if a.kind != "share" and len(a.value) <= MAX_BUTTON_VALUE]
    buttons = [
        button(f"{action_id_for(a)}.{i}", a.label, a.value)
        for i, a in enumerate(offered[: MAX_BUTTONS - 1])
    ]
    if question and len(question) <= MAX_BUTTON_VALUE:
        buttons.append(button(ActionId.SHARE, "Share in channel", question, primary=True))
    return (
        {"type": "actions", "block_id": BlockId.ACTIONS, "elements": buttons} if buttons else None
    )


def _credit(user_id: str | None) -> Block | None:
    if not user_id:
        return None
    label = user_label(user_id)  # a mention for a Slack user id, else the name as text
    who = label if label != user_id else fit(user_id, 100)
    element = {"type": "mrkdwn", "text": f"Shared by {who}"}
    return {"type": "context", "block_id": BlockId.SHARED_BY, "elements": [element]}
