"""The one Block Kit renderer: an `Answer` becomes a Slack message, a status becomes the Home tab.

Slack's limits hold by construction: at most 50 blocks per message (100 per Home view),
section text <= 3000 characters, header <= 150, button values <= 2000. Long lists are cut
with "and N more" and the complete list travels in `Message.thread`, to be posted as
replies. Every text that comes from the map or from a user goes through `escape`, so a
component called `<!channel>` renders as text and pings nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.answer import Action, Answer, Item, Section
from handlers.commands import user_label
from impact.model import State

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER = 150
MAX_FIELDS = 10
MAX_BUTTONS = 5
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_TEXT = 75
MAX_CONTEXT_ELEMENTS = 10
MAX_LINE = 400  # one item line; keeps a pathological 5000-character name readable
ITEMS_INLINE = 15  # items shown per section before "and N more"

_SAFE_MENTION = re.compile(r"^<(?:@[UW][A-Z0-9]{2,}|!subteam\^S[A-Z0-9]{2,}|#[CG][A-Z0-9]{2,})>$")


class BlockId(StrEnum):
    """Every block_id the app emits; numbered ones get a `.<n>` suffix to stay unique."""

    SUMMARY = "bsm.summary"
    SECTION = "bsm.section"
    MORE_SECTIONS = "bsm.more_sections"
    NOTES = "bsm.notes"
    ACTIONS = "bsm.actions"
    SHARED_BY = "bsm.shared_by"
    FULL_LIST = "bsm.full_list"
    HOME_HEADER = "bsm.home.header"
    HOME_SUMMARY = "bsm.home.summary"
    HOME_SERVICES = "bsm.home.services"
    HOME_PANEL = "bsm.home.panel"


class ActionId(StrEnum):
    """Every action_id the app emits; buttons get a `.<n>` suffix to stay unique."""

    SHOW_PATHS = "bsm.show_paths"
    SIMULATE = "bsm.simulate"
    RETRY = "bsm.retry"  # re-ask with a suggested name ("did you mean")
    ASK = "bsm.ask"  # any other follow-up question an answer offers
    SHARE = "bsm.share"


FOLLOW_UPS = (ActionId.SHOW_PATHS, ActionId.SIMULATE, ActionId.RETRY, ActionId.ASK)
_ACTION_KINDS = {
    "show_paths": ActionId.SHOW_PATHS,
    "simulate": ActionId.SIMULATE,
    "retry": ActionId.RETRY,
}

STATE_EMOJI = {
    State.OK: ":large_green_circle:",
    State.UNKNOWN: ":white_circle:",
    State.MAINTENANCE: ":wrench:",
    State.DEGRADED: ":large_yellow_circle:",
    State.DOWN: ":red_circle:",
}


@dataclass(frozen=True, slots=True)
class Message:
    """A rendered message: `text` is the notification fallback, `thread` the replies to post."""

    text: str
    blocks: list[Block]
    thread: tuple[Message, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Make text inert in mrkdwn: no links, mentions or `<!channel>` pings can be forged."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """Escape `text` and cut it (with an ellipsis) so the escaped form is <= `limit`.

    Cutting the plain text, not the escaped one, never leaves half an `&amp;` behind.
    """
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    pieces: list[str] = []
    size = 0
    for char in text:
        piece = escape(char)
        if size + len(piece) > limit - 1:
            break
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces) + "…"


def action_id_for(action: Action) -> ActionId:
    """The button an answer action becomes; unknown kinds re-ask their value."""
    return _ACTION_KINDS.get(action.kind, ActionId.ASK)


def render_answer(
    answer: Answer, *, question: str | None = None, shared_by: str | None = None
) -> Message:
    """Render an answer; `question` adds a Share button, `shared_by` credits who shared it."""
    tail = [b for b in (_notes(answer.notes), _buttons(answer, question), _credit(shared_by)) if b]
    body, overflow = _sections(answer.sections, MAX_BLOCKS - 1 - len(tail))
    summary = section_block(BlockId.SUMMARY, f"*{fit(answer.summary, MAX_SECTION_TEXT - 2)}*")
    thread = tuple(m for section in overflow for m in _full_list(section))
    message = Message(fit(answer.summary, MAX_SECTION_TEXT), [summary, *body, *tail], thread)
    return _with_mentions(message, answer.data.get("mentions") or ())


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


def render_home(status: Answer, panels: Sequence[Section] = ()) -> dict[str, Any]:
    """The App Home view: business services from a status answer, then extra panels.

    `panels` is the seam for SLA and open-incident summaries: each is a titled section.
    """
    head: list[Block] = [
        {
            "type": "header",
            "block_id": BlockId.HOME_HEADER,
            "text": {"type": "plain_text", "text": "Business services"[:MAX_HEADER]},
        },
        section_block(BlockId.HOME_SUMMARY, fit(status.summary, MAX_SECTION_TEXT)),
    ]
    budget = MAX_VIEW_BLOCKS - len(head) - len(panels)
    services = _home_lines(status.sections, budget)
    extra = [section_block(f"{BlockId.HOME_PANEL}.{i}", _titled(p)) for i, p in enumerate(panels)]
    return {"type": "home", "blocks": [*head, *services, *extra][:MAX_VIEW_BLOCKS]}


def section_block(block_id: str, text: str) -> Block:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def _line(item: Item) -> str:
    emoji = f"{STATE_EMOJI[item.state]} " if item.state else "• "
    detail = f" — {item.detail}" if item.detail else ""
    return emoji + fit(item.text + detail, MAX_LINE - len(emoji))


def pack(lines: Iterable[str], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Join lines into as few texts of <= `limit` characters as possible."""
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return chunks


def _shown(section: Section) -> tuple[list[str], int]:
    """The lines of a section as shown inline, and how many items are left out."""
    items = section.items[:ITEMS_INLINE]
    hidden = len(section.items) - len(items) + section.more
    lines = [f"*{fit(section.title, MAX_LINE)}*", *map(_line, items)]
    if hidden:
        lines.append(f"_and {hidden} more (full list in the thread)_")
    return lines, hidden


def _sections(sections: Sequence[Section], budget: int) -> tuple[list[Block], list[Section]]:
    """Section blocks within `budget` blocks, and the sections whose full list overflows."""
    blocks: list[Block] = []
    overflow: list[Section] = []
    for index, section in enumerate(sections):
        lines, hidden = _shown(section)
        chunks = pack(lines)
        if len(blocks) + len(chunks) > budget - 1:
            rest = sections[index:]
            text = f"_and {len(rest)} more sections (full lists in the thread)_"
            blocks.append(section_block(BlockId.MORE_SECTIONS, text))
            return blocks, [*overflow, *rest]
        blocks += [
            section_block(f"{BlockId.SECTION}.{len(blocks) + i}", c) for i, c in enumerate(chunks)
        ]
        if hidden:
            overflow.append(section)
    return blocks, overflow


def _full_list(section: Section) -> list[Message]:
    """Thread replies carrying every item of `section`, each within the block limit."""
    items = section.full or section.items
    title = fit(section.title, MAX_LINE)
    chunks = pack(map(_line, items))
    pages = [chunks[i : i + MAX_BLOCKS - 1] for i in range(0, len(chunks), MAX_BLOCKS - 1)]
    messages = []
    for number, page in enumerate(pages, start=1):
        head = f"*{title}*: all {len(items)}" + (
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


def button(action_id: str, label: str, value: str, *, primary: bool = False) -> Block:
    """The one Block Kit button of bsm-bot: label and value cut to what Slack accepts."""
    block: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label[:MAX_BUTTON_TEXT]},
        "value": value[:MAX_BUTTON_VALUE],
    }
    if primary:
        block["style"] = "primary"
    return block


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


def _titled(section: Section) -> str:
    lines = [f"*{fit(section.title, MAX_LINE)}*", *map(_line, section.items)]
    if section.more:
        lines.append(f"_and {section.more} more_")
    return pack(lines)[0]


def _home_lines(sections: Sequence[Section], budget: int) -> list[Block]:
    """Every status line packed into sections; past the view's budget, "and N more"."""
    lines = [_line(item) for section in sections for item in (section.full or section.items)]
    chunks = pack(lines)
    if len(chunks) <= budget:
        return [section_block(f"{BlockId.HOME_SERVICES}.{i}", c) for i, c in enumerate(chunks)]
    kept = chunks[: budget - 1]
    hidden = len(lines) - sum(c.count("\n") + 1 for c in kept)
    blocks = [section_block(f"{BlockId.HOME_SERVICES}.{i}", c) for i, c in enumerate(kept)]
    return [*blocks, section_block(BlockId.MORE_SECTIONS, f"_and {hidden} more services_")]
