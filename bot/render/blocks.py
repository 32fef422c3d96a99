"""Block Kit primitives shared by every rendering: limits, ids, escaping, packing, buttons.

Slack's limits hold by construction: at most 50 blocks per message (100 per Home view),
section text <= 3000 characters, header <= 150, button values <= 2000. Every text that
comes from the map or from a user goes through `escape` (or `fit`), so a component called
`<!channel>` renders as text and pings nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.answer import Item
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
    MORE = "bsm.more"  # the next page of a long answer (`more from N: QUESTION`)
    SHARE = "bsm.share"


FOLLOW_UPS = (
    ActionId.SHOW_PATHS,
    ActionId.SIMULATE,
    ActionId.RETRY,
    ActionId.ASK,
    ActionId.MORE,
)
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


def section_block(block_id: str, text: str) -> Block:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def item_line(item: Item) -> str:
    """One item as a line: its state emoji (or a bullet), text and detail, cut to MAX_LINE."""
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
