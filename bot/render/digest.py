"""An SLA digest as Slack shows it: the Block Kit message and the chart image.

All Block Kit of a digest is built here, from `impact.digest.Digest`, with the escaping of
`bot.render.blocks`; the chart (availability per day against target, one line per service)
is drawn with matplotlib's Agg backend. `bot.digest` posts both.
"""

from __future__ import annotations

import io

from bot.render.blocks import (
    MAX_BLOCKS,
    MAX_HEADER,
    MAX_SECTION_TEXT,
    STATE_EMOJI,
    Block,
    Message,
    fit,
    pack,
    section_block,
)
from impact.digest import STATE_KEY, Digest, cause_text, line_text

CHART_NAME = "sla-digest.png"
MAX_CHART_SERVICES = 12  # more lines than this make the chart unreadable: the worst are drawn


def render_digest(digest: Digest) -> Message:
    """The digest as one Slack message (worst services first, within Slack's limits)."""
    blocks: list[Block] = [
        {
            "type": "header",
            "block_id": "bsm.digest.header",
            "text": {
                "type": "plain_text",
                "text": f"SLA digest, {digest.window.label}"[:MAX_HEADER],
            },
        },
        section_block("bsm.digest.summary", f"*{fit(digest.summary, MAX_SECTION_TEXT - 2)}*"),
    ]
    tail = [b for b in (_changes(digest), _causes(digest), _key()) if b]
    lines = [f"{STATE_EMOJI[line.state]} {fit(line_text(line), 400)}" for line in digest.lines]
    chunks = pack(lines)
    room = MAX_BLOCKS - len(blocks) - len(tail) - 1
    for index, chunk in enumerate(chunks[:room]):
        blocks.append(section_block(f"bsm.digest.services.{index}", chunk))
    if len(chunks) > room:
        hidden = sum(chunk.count("\n") + 1 for chunk in chunks[room:])
        blocks.append(section_block("bsm.digest.more", f"_and {hidden} more services (best ones)_"))
    return Message(fit(digest.summary, MAX_SECTION_TEXT), [*blocks, *tail])


def _changes(digest: Digest) -> Block | None:
    if not digest.changes:
        return None
    lines = [
        "*Changed since the previous period*",
        *(f"• {fit(c, 400)}" for c in digest.changes[:10]),
    ]
    return section_block("bsm.digest.changes", pack(lines)[0])


def _causes(digest: Digest) -> Block | None:
    if not digest.top_causes:
        return None
    lines = ["*Top causes*", *(f"• {fit(cause_text(c), 400)}" for c in digest.top_causes)]
    return section_block("bsm.digest.causes", pack(lines)[0])


def _key() -> Block:
    elements = [
        {"type": "mrkdwn", "text": f"{STATE_EMOJI[state]} {text}"} for state, text in STATE_KEY
    ]
    return {"type": "context", "block_id": "bsm.digest.key", "elements": elements}


def chart_png(digest: Digest) -> bytes | None:
    """Availability per day against target, per service, as PNG; None without daily data."""
    drawn = [line for line in digest.lines if any(v is not None for _, v in line.days)]
    if not drawn:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), dpi=100)
    axes = figure.add_subplot()
    for line in drawn[:MAX_CHART_SERVICES]:
        plotted = axes.plot(
            [day for day, _ in line.days],
            [value for _, value in line.days],
            marker="o",
            markersize=3,
            label=f"{line.title} (target {line.report.target:g}%)",
        )
        axes.axhline(line.report.target, color=plotted[0].get_color(), linestyle=":", linewidth=1)
    axes.set_title(f"Availability per day, {digest.window.label}")
    axes.set_ylabel("availability %")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small", loc="lower left")
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
