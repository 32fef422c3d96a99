"""Injection attempts in map text, alert text and questions render inert in Block Kit.

Component titles and owners, section titles, notes, questions, incident causes and
acknowledgers carry `<!channel>`, `<@U123>`, `<http://evil|click>`, `&` and `>`. Every mrkdwn
text of the rendered message (each `text` not typed plain_text, the fallback included) must
hold no `<` or `>` but the renderer's own date and user-id tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hostile_inputs import (
    INJECTIONS,
    assert_inert,
    assert_plain_text_short,
    hostile_text,
    raw_markup,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.answers import render_answer, render_apology
from bot.render.blocks import escape, fit
from bot.render.home import render_home
from bot.render.notices import render_notice, render_thread_line
from handlers.answer import Action, Answer, Item, Section
from handlers.conversation import Conversation
from impact.model import Component, Dependency, ServiceMap, State
from services.model import ModelService
from store import EntryKind, Notice, StateChange, TimelineEntry

SETTINGS = settings(max_examples=80, deadline=None)
STATES = st.one_of(st.none(), st.sampled_from(list(State)))
OPTIONAL = st.one_of(st.none(), hostile_text())


def test_escape_and_fit_leave_no_markup() -> None:
    for text in INJECTIONS:
        assert not raw_markup(escape(text))
        assert not raw_markup(fit(text * 500, 300))
    assert escape("a & b <!here>") == "a &amp; b &lt;!here&gt;"


def test_inertness_check_catches_raw_markup() -> None:
    """The checker itself: a raw ping in any mrkdwn text is found, plain_text is not."""
    raw = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi <!channel>"}}]}
    try:
        assert_inert(raw)
    except AssertionError:
        pass
    else:
        raise AssertionError("assert_inert missed <!channel>")
    assert_inert({"type": "button", "text": {"type": "plain_text", "text": "<!channel>"}})


# -- answers -------------------------------------------------------------------------------

items = st.builds(Item, hostile_text(), STATES, OPTIONAL)
sections = st.builds(
    Section,
    hostile_text(),
    st.lists(items, max_size=20).map(tuple),
    st.integers(0, 3),
    st.lists(items, max_size=30).map(tuple),
)
answers = st.builds(
    Answer,
    st.sampled_from(["affects", "why", "status", "unknown"]),
    hostile_text(),
    st.lists(hostile_text(), max_size=3).map(tuple),
    st.lists(sections, max_size=4).map(tuple),
    st.lists(hostile_text(), max_size=12).map(tuple),
    st.lists(
        st.builds(
            Action, st.sampled_from(["retry", "simulate", "x"]), hostile_text(), hostile_text()
        ),
        max_size=6,
    ).map(tuple),
)


def assert_message_inert(message: Any) -> None:
    payload = message.payload()
    assert_inert(payload)
    assert_plain_text_short(payload)
    for reply in message.thread:
        assert_message_inert(reply)


@SETTINGS
@given(answer=answers, question=OPTIONAL, shared_by=OPTIONAL)
def test_rendered_answer_is_inert(
    answer: Answer, question: str | None, shared_by: str | None
) -> None:
    assert_message_inert(render_answer(answer, question=question, shared_by=shared_by))


@SETTINGS
@given(status=answers, panels=st.lists(sections, max_size=3))
def test_home_view_is_inert(status: Answer, panels: list[Section]) -> None:
    view = render_home(status, panels)
    assert_inert(view)
    assert_plain_text_short(view)


@SETTINGS
@given(text=hostile_text())
def test_apology_is_inert(text: str) -> None:
    assert_message_inert(render_apology(text))


# -- incident notices ------------------------------------------------------------------------

services = st.fixed_dictionaries(
    {
        "name": hostile_text(),
        "title": OPTIONAL,
        "state": st.sampled_from([s.value for s in State]),
        "tier": st.one_of(st.none(), st.integers(1, 4)),
        "owner": OPTIONAL,
        "channel": OPTIONAL,
        "revenue_per_hour": st.floats(0, 1e6),
    }
)
notices = st.fixed_dictionaries(
    {
        "incident": st.integers(1, 10**6),
        "status": st.sampled_from(["open", "resolved"]),
        "planned": st.booleans(),
        "revision": st.integers(1, 50),
        "services": st.lists(services, min_size=1, max_size=20),
        "causes": st.lists(hostile_text(), max_size=12),
        "revenue_at_risk": st.floats(0, 1e7),
        "started_at": st.just("2026-11-28T09:00:00+00:00"),
        "resolved_at": st.just("2026-11-28T10:00:00+00:00"),
        "duration_s": st.one_of(st.none(), st.floats(0, 1e6)),
        "acknowledged": st.lists(
            st.fixed_dictionaries(
                {
                    "user": st.one_of(hostile_text(), st.sampled_from(["U123", "W9ABC"])),
                    "at": st.just("2026-11-28T09:05:00+00:00"),
                }
            ),
            max_size=3,
        ),
    }
)


@SETTINGS
@given(notice=notices)
def test_rendered_notice_is_inert(notice: dict[str, Any]) -> None:
    assert_message_inert(render_notice(Notice.from_json(notice)))


@SETTINGS
@given(line=hostile_text(), resolved=st.booleans(), kind=st.sampled_from(list(EntryKind)))
def test_timeline_reply_is_inert(line: str, resolved: bool, kind: EntryKind) -> None:
    """Every free text of an entry (names, causes, the acknowledger, a kept line) is hostile."""
    entry = TimelineEntry(
        datetime(2026, 11, 28, 9, tzinfo=UTC),
        kind,
        services=((line, State.DOWN),),
        causes=(line,),
        changes=(StateChange(line, State.OK, State.DOWN),),
        duration_s=3900.0,
        user=line,
    )
    assert_message_inert(render_thread_line(entry, resolved=resolved))
    kept = TimelineEntry(entry.at, kind, note=line)
    assert_message_inert(render_thread_line(kept, resolved=resolved))


# -- end to end: a map whose free text is hostile, answered and rendered --------------------


class MapOnly:
    """A map source without a database: the conversation re-reads it every question."""

    def __init__(self, service_map: ServiceMap) -> None:
        self.service_map = service_map

    def load_map(self) -> ServiceMap:
        return self.service_map

    def map_version(self) -> int:
        return 1

    def current_states(self, at: Any = None) -> dict[str, State]:
        return {"db-01": State.DOWN}


@st.composite
def hostile_maps(draw: st.DrawFn) -> ServiceMap:
    def text() -> str | None:
        return draw(OPTIONAL)

    components = [
        Component(
            "checkout",
            kind="business_service",
            tier=1,
            title=text(),
            owner=text(),
            channel=text(),
            description=text(),
            runbook_url=text(),
        ),
        Component("search", kind="business_service", tier=2, title=text(), owner=text()),
        Component("checkout-api", title=text(), owner=text()),
        Component("db-01", kind="host", title=text(), owner=text()),
    ]
    dependencies = [
        Dependency("checkout", "checkout-api"),
        Dependency("search", "db-01"),
        Dependency("checkout-api", "db-01"),
    ]
    return ServiceMap.build(components, dependencies)


QUESTIONS = (
    "what does db-01 affect?",
    "why is checkout down?",
    "what if checkout-api fails",
    "path from checkout to db-01",
    "who owns checkout",
    "status",
    "spof checkout",
    "what does checkout depend on",
    "sla checkout",
    "help",
)


@settings(SETTINGS, max_examples=60)
@given(service_map=hostile_maps(), question=st.sampled_from(QUESTIONS), noise=hostile_text())
def test_answers_about_a_hostile_map_are_inert(
    service_map: ServiceMap, question: str, noise: str
) -> None:
    conversation = Conversation(ModelService(MapOnly(service_map)))
    for text in (question, f"{question} {noise}", noise):
        answer = conversation.ask(text, user_id="U123")
        assert_message_inert(render_answer(answer, question=text, shared_by="U123"))
