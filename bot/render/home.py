"""The App Home view: business services from a status answer, then extra panels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.render.blocks import (
    MAX_HEADER,
    MAX_LINE,
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    Block,
    BlockId,
    fit,
    item_line,
    pack,
    section_block,
)
from handlers.answer import Answer, Section


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


def _titled(section: Section) -> str:
    lines = [f"*{fit(section.title, MAX_LINE)}*", *map(item_line, section.items)]
    if section.more:
        lines.append(f"_and {section.more} more_")
    return pack(lines)[0]


def _home_lines(sections: Sequence[Section], budget: int) -> list[Block]:
    """Every status line packed into sections; past the view's budget, "and N more"."""
    lines = [item_line(item) for section in sections for item in (section.full or section.items)]
    chunks = pack(lines)
    if len(chunks) <= budget:
        return [section_block(f"{BlockId.HOME_SERVICES}.{i}", c) for i, c in enumerate(chunks)]
    kept = chunks[: budget - 1]
    hidden = len(lines) - sum(c.count("\n") + 1 for c in kept)
    blocks = [section_block(f"{BlockId.HOME_SERVICES}.{i}", c) for i, c in enumerate(kept)]
    return [*blocks, section_block(BlockId.MORE_SECTIONS, f"_and {hidden} more services_")]
