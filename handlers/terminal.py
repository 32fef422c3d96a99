"""The terminal renderer: an `Answer` as text for `bsm ask` and `bsm shell`."""

from __future__ import annotations

from handlers.answer import Action, Answer, Item
from impact.model import State

MARKERS = {
    State.OK: "[ok]",
    State.UNKNOWN: "[??]",
    State.MAINTENANCE: "[mt]",
    State.DEGRADED: "[~~]",
    State.DOWN: "[XX]",
}
EMOJI = {
    State.OK: "🟢",
    State.UNKNOWN: "⚪",
    State.MAINTENANCE: "🔧",
    State.DEGRADED: "🟡",
    State.DOWN: "🔴",
}
_COLOURS = {
    State.OK: 32,
    State.UNKNOWN: 37,
    State.MAINTENANCE: 36,
    State.DEGRADED: 33,
    State.DOWN: 31,
}


def render_text(answer: Answer, color: bool = False) -> str:
    """The answer as plain lines; `color` adds ANSI colours and state emoji."""
    paint = _Paint(color)
    lines = [paint.bold(answer.summary) if answer.ok else paint.warn(answer.summary)]
    for section in answer.sections:
        lines += ["", paint.bold(section.title)]
        lines += [_item_line(item, paint) for item in section.items]
        if section.more:
            lines.append(paint.dim(f"  ... and {section.more} more"))
    if answer.notes:
        lines.append("")
        lines += [paint.dim(note) for note in answer.notes]
    hints = [_action_hint(action) for action in answer.actions if action.kind != "share"]
    if hints:
        lines += ["", paint.dim("Next: " + " | ".join(hints))]
    return "\n".join(lines)


def _item_line(item: Item, paint: _Paint) -> str:
    marker = paint.state(item.state) if item.state else "-"
    text = f"  {marker} {item.text}"
    if item.detail:
        text += paint.dim(f"  ({item.detail})")
    return text


def _action_hint(action: Action) -> str:
    if action.kind == "more":  # the shell and `bsm ask --session` keep the continuation
        return f'{action.label}: "more"'
    return f'{action.label}: "{action.value}"'


class _Paint:
    """ANSI styling that turns into a no-op when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._sgr("1", text)

    def dim(self, text: str) -> str:
        return self._sgr("2", text)

    def warn(self, text: str) -> str:
        return self._sgr("1;33", text)

    def state(self, state: State) -> str:
        if not self.enabled:
            return MARKERS[state]
        return self._sgr(str(_COLOURS[state]), EMOJI[state])
