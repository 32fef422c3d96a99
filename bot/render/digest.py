"""An SLA digest as Slack shows it: the Block Kit message and the chart image.

All Block Kit of a digest is built here, from `impact.digest.Digest`, with the escaping of
`bot.render.blocks`; the chart (availability per day against target, one line per service)
is drawn with matplotlib's Agg backend. `bot.digest` posts both.
"""

from __future__ import annotations

import io
from typing import Any

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
from impact.digest import STATE_KEY, Digest, burn_text, cause_text, line_text

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
    tail = [b for b in (_changes(digest), _causes(digest), _burns(digest), _key()) if b]
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


def _burns(digest: Digest) -> Block | None:
    if not digest.burns:
        return None
    lines = [
        "*Error-budget burn alerts*",
        *(f"• :fire: {fit(burn_text(b), 400)}" for b in digest.burns[:10]),
    ]
    if len(digest.burns) > 10:
        lines.append(f"_and {len(digest.burns) - 10} more_")
    return section_block("bsm.digest.burns", pack(lines)[0])


def _key() -> Block:
    elements = [
        {"type": "mrkdwn", "text": f"{STATE_EMOJI[state]} {text}"} for state, text in STATE_KEY
    ]
    return {"type": "context", "block_id": "bsm.digest.key", "elements": elements}


def chart_png(digest: Digest) -> bytes | None:
    """Daily status bars per service against its target, and the error budget burning down,
    as PNG; None without daily data."""
    drawn = [line for line in digest.lines if any(v is not None for _, v in line.days)]
    if not drawn:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    drawn = drawn[:MAX_CHART_SERVICES]
    days = max(len(line.days) for line in drawn)
    figure = Figure(figsize=(9, 1.6 + 0.42 * len(drawn) + 3.4), dpi=100)
    grid = figure.add_gridspec(2, 1, height_ratios=[0.42 * len(drawn) + 0.6, 3.4], hspace=0.55)
    bars, burn = figure.add_subplot(grid[0]), figure.add_subplot(grid[1])
    for row, line in enumerate(drawn):
        y = len(drawn) - 1 - row
        for column, (_, value) in enumerate(line.days):
            color = day_color(value, line.report.target)
            bars.add_patch(_cell(column, y, color))
    bars.set_xlim(0, days)
    bars.set_ylim(0, len(drawn))
    bars.set_yticks([len(drawn) - 0.5 - i for i in range(len(drawn))])
    bars.set_yticklabels([f"{line.title} ({line.report.target:g}%)" for line in drawn])
    labels = [day.strftime("%d %b") for day, _ in drawn[0].days]
    step = max(1, len(labels) // 10)
    bars.set_xticks([i + 0.5 for i in range(0, len(labels), step)])
    bars.set_xticklabels(labels[::step], fontsize="small")
    bars.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        bars.spines[side].set_visible(False)
    bars.set_title(f"Daily availability against target, {digest.window.label}", loc="left")
    key = [Patch(color=c, label=t) for c, t in STATUS_KEY]
    bars.legend(
        handles=key,
        loc="lower left",
        bbox_to_anchor=(0, 1.12),
        ncol=4,
        fontsize="small",
        frameon=False,
    )
    _burn_down(burn, drawn, days)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


GOOD, BELOW, FAR_BELOW, NO_DATA = "#2e7d32", "#f9a825", "#c62828", "#bdbdbd"
STATUS_KEY = (
    (GOOD, "at or above target"),
    (BELOW, "below target"),
    (FAR_BELOW, "10x the allowed downtime or worse"),
    (NO_DATA, "no data"),
)


def day_color(availability: float | None, target: float) -> str:
    """A day's colour: green at or above target, amber below, red when its downtime share is
    ten times what the target allows (or more), grey without data."""
    if availability is None:
        return NO_DATA
    if availability >= target:
        return GOOD
    allowed = 100 - target
    return FAR_BELOW if 100 - availability >= 10 * allowed else BELOW


def _cell(column: int, row: int, color: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((column + 0.06, row + 0.12), 0.88, 0.76, color=color, linewidth=0)


def budget_curve(line: Any) -> list[float]:
    """The period's error budget left (percent of it) at the end of each day: the period's
    downtime is spread over the days by their unavailability, so the curve ends exactly at
    the report's budget left."""
    report = line.report
    if report.error_budget_s <= 0:
        return []
    weights = [0.0 if v is None else 100 - v for _, v in line.days]
    total = sum(weights) or 1.0
    spent, curve = 0.0, []
    for weight in weights:
        spent += report.downtime_s * weight / total
        curve.append((report.error_budget_s - spent) / report.error_budget_s * 100)
    return curve


FLOOR = -100.0  # the burn-down is drawn down to 100 % overspent; the label tells the rest


def _burn_down(axes: Any, drawn: list[Any], days: int) -> None:
    axes.axhline(0, color="#616161", linewidth=0.8)
    axes.plot([0, days], [100, 0], color="#9e9e9e", linestyle="--", linewidth=1)
    untouched, ends = [], []
    for line in drawn:
        curve = budget_curve(line)
        if not curve or min(curve) >= 100:
            untouched.append(line.title)
            continue
        xs = list(range(len(curve) + 1))
        ys = [max(FLOOR, v) for v in (100.0, *curve)]
        plotted = axes.plot(xs, ys, linewidth=2)
        ends.append((ys[-1], f"{line.title}: {curve[-1]:.0f}% left", plotted[0].get_color()))
    placed: list[float] = []
    for y, text, color in sorted(ends, reverse=True):  # labels top-down, never overlapping
        y = min(y, placed[-1] - 20) if placed else y
        placed.append(y)
        axes.text(days + 0.4, y, text, fontsize="small", color=color, va="center")
    low = min([FLOOR, *placed]) - 10 if placed else FLOOR - 10
    axes.set_xlim(0, days * 1.45)
    axes.set_ylim(low, 110)
    axes.set_yticks([100, 50, 0, -50, -100])
    axes.set_yticklabels(["100%", "50%", "0", "-50%", "<= -100%"])
    axes.set_ylabel("error budget left")
    axes.set_xlabel("days into the period (dashed: an even burn to zero)")
    axes.grid(True, axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    title = "Error budget burn-down"
    if untouched:
        title += f" (untouched: {', '.join(untouched[:4])}{' ...' if len(untouched) > 4 else ''})"
    axes.set_title(title, loc="left", fontsize="medium")
