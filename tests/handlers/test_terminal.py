"""The terminal renderer shows summary, sections, "and N more", notes and next steps."""

from __future__ import annotations

from handlers.answer import Action, Answer, Item, Section
from handlers.terminal import render_text
from handlers.wording import capped
from impact.model import State


def test_render_text_plain() -> None:
    items = [Item(f"svc-{i}", State.DOWN, "tier 1") for i in range(12)]
    answer = Answer(
        "affects",
        "db-03 outage takes down 12 business services",
        sections=(capped("Down", items), Section("Other", (Item("plain"),))),
        notes=("Hypothetical.",),
        actions=(
            Action("simulate", "Simulate now", "what if db-03 fails"),
            Action("share", "Share", "x"),
        ),
    )
    text = render_text(answer)
    lines = text.splitlines()
    assert lines[0] == "db-03 outage takes down 12 business services"
    assert "  [XX] svc-0  (tier 1)" in lines
    assert "  ... and 2 more" in lines
    assert "  - plain" in lines
    assert 'Next: Simulate now: "what if db-03 fails"' in lines
    assert "Share" not in text and "\x1b[" not in text


def test_render_text_colour_uses_emoji() -> None:
    text = render_text(
        Answer("status", "ok", sections=(Section("S", (Item("a", State.OK),)),)), color=True
    )
    assert "🟢" in text and "\x1b[" in text
