"""Sync outcomes, pending syncs and map changes as `Answer`s for chat and the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from handlers.answer import Answer, Item, Section
from impact.durations import format_duration
from impact.mapdiff import MapDiff
from impact.windows import WindowError, parse_window
from services.sync.errors import SourceError
from services.sync.runner import SyncReport, parse_duration
from store import Store, SyncRun, SyncSource

SHOWN = 15


def sync_answer(report: SyncReport) -> Answer:
    """What one sync did (or would do, for a dry run, or will do once confirmed)."""
    outcome = report.outcome
    counts = outcome.effect.counts()
    headline = {
        "applied": f"Synced {outcome.source}",
        "unchanged": f"Synced {outcome.source}: no changes",
        "dry_run": f"Dry run of {outcome.source}: nothing written",
        "pending": (
            f"Held {outcome.source}: it drops {outcome.shrink:.0%} of what it reported "
            f"(limit {report.source.shrink_limit:.0%}); "
            f"confirm with `bsm sync confirm {outcome.run_id}`"
        ),
    }[outcome.status]
    sections = _diff_sections(outcome.reported if outcome.held else outcome.effect)
    if outcome.newly_stale:
        sections.append(_section("Stale (removed after the grace period)", outcome.newly_stale))
    if report.discovery.unmatched:
        sections.append(_section("Names matching nothing in the map", report.discovery.unmatched))
    if merged := report.discovery.merged:
        merges = [f"{name} ({', '.join(raws)})" for name, raws in merged.items()]
        sections.append(_section("Reported names merged into one component", merges))
    if report.discovery.invalid:
        sections.append(
            _section("Names that cannot be map names (skipped)", report.discovery.invalid)
        )
    notes = (
        [f"kept, still used by hand-written rows: {', '.join(outcome.kept)}"]
        if outcome.kept
        else []
    )
    if outcome.skipped:
        notes.append(
            f"{len(outcome.skipped)} edges left out: inside a hand-written redundancy group"
        )
    return Answer(
        intent="sync",
        summary=headline
        if outcome.held or outcome.status == "unchanged"
        else f"{headline}: {_counts(counts)}",
        subjects=(outcome.source,),
        sections=tuple(sections),
        notes=tuple(notes),
        data={"status": outcome.status, "run": outcome.run_id, **counts, "shrink": outcome.shrink},
    )


def changes_answer(
    store: Store, since: str | None = None, *, now: datetime | None = None
) -> Answer:
    """What synced sources added to and removed from the map since `since` (default 24h)."""
    from store import MapSync  # the sync's store loads with the first sync

    start = since_time(since, now or datetime.now(UTC))
    runs = [r for r in MapSync(store).history(since=start, limit=500) if r.diff]
    applied = [
        r for r in runs if r.status in ("applied", "confirmed") and "counts" in (r.diff or {})
    ]
    gained = [n for r in applied for n in (r.diff or {}).get("components_added", [])]
    lost = [n for r in applied for n in (r.diff or {}).get("components_removed", [])]
    edges_in = [_edge(e) for r in applied for e in (r.diff or {}).get("edges_added", [])]
    edges_out = [_edge(e) for r in applied for e in (r.diff or {}).get("edges_removed", [])]
    pending = [r for r in runs if r.status == "pending"]
    sections = [
        _section("Components added", gained),
        _section("Components removed", lost),
        _section("Dependencies added", edges_in),
        _section("Dependencies removed", edges_out),
        _section(
            "Held for confirmation",
            [f"#{r.id} {r.source} (drops {r.shrink or 0:.0%})" for r in pending],
        ),
    ]
    total = len(gained) + len(lost) + len(edges_in) + len(edges_out)
    summary = (
        f"Map changes since {start:%Y-%m-%d %H:%M} UTC: +{len(gained)} / -{len(lost)} "
        f"components, +{len(edges_in)} / -{len(edges_out)} dependencies from {len(applied)} syncs"
        if total
        else f"No synced changes to the map since {start:%Y-%m-%d %H:%M} UTC"
    )
    return Answer(
        intent="changes",
        summary=summary,
        sections=tuple(s for s in sections if s.items),
        data={"since": start.isoformat(), "syncs": len(applied), "pending": len(pending)},
    )


def since_time(text: str | None, now: datetime) -> datetime:
    """The start of "24h", "15m", "7d", "yesterday", "since last week", ... (default 24h)."""
    typed = " ".join((text or "24h").split())
    phrase = typed.removeprefix("since ").strip()
    try:
        return now - timedelta(seconds=parse_duration(phrase))
    except SourceError:
        pass
    if typed.startswith("since "):  # since monday, since 2026-11-20, since the 1st
        try:
            return parse_window(typed, now, what="changes window").start
        except WindowError:
            pass
    return parse_window(phrase, now, what="changes window").start


def sources_answer(sources: Sequence[SyncSource], pending: Sequence[SyncRun]) -> Answer:
    """The configured sources with schedule and last result, and the held syncs."""
    items = [
        Item(
            f"{s.name} ({s.type}) {s.url}",
            detail=f"every {format_duration(s.every_s)}" if s.every_s else "on demand",
        )
        for s in sources
    ]
    status = [
        f"{s.name}: {s.last_status or 'never run'}" + (f", {s.last_error}" if s.last_error else "")
        for s in sources
    ]
    held = [
        f"#{r.id} {r.source} drops {r.shrink or 0:.0%}: `bsm sync confirm {r.id}`" for r in pending
    ]
    sections = [
        Section("Sources", tuple(items)),
        _section("Last run", status),
        _section("Held for confirmation", held),
    ]
    return Answer(
        intent="sync_list",
        summary=f"{len(sources)} sync sources, {len(pending)} held for confirmation"
        if sources
        else "No sync sources yet: add one with `bsm sync add NAME TYPE URL`",
        sections=tuple(s for s in sections if s.items),
        data={"sources": [s.name for s in sources], "pending": [r.id for r in pending]},
    )


def _diff_sections(diff: MapDiff) -> list[Section]:
    sections = [
        _section("Components added", [c.name for c in diff.added_components]),
        _section("Components removed", [c.name for c in diff.removed_components]),
        _section(
            "Components changed",
            [f"{c.name}: {', '.join(c.fields)}" for c in diff.changed_components],
        ),
        _section("Dependencies added", [f"{e.source} -> {e.target}" for e in diff.added_edges]),
        _section("Dependencies removed", [f"{e.source} -> {e.target}" for e in diff.removed_edges]),
    ]
    return [s for s in sections if s.items]


def _section(title: str, texts: Sequence[str]) -> Section:
    items = tuple(Item(t) for t in texts)
    more = max(0, len(items) - SHOWN)
    return Section(title, items[:SHOWN], more, items if more else ())


def _counts(counts: dict[str, int]) -> str:
    return (
        f"+{counts['components_added']} / -{counts['components_removed']} / "
        f"~{counts['components_changed']} components, +{counts['edges_added']} / "
        f"-{counts['edges_removed']} dependencies"
    )


def _edge(edge: dict[str, str]) -> str:
    return f"{edge['source']} -> {edge['target']}"
