"""`bsm ask`, `bsm shell` and `bsm demo`: the conversation without Slack.

A terminal is the local operator, who already holds the database: its questions are asked
with origin "cli", so commands that change things (`subscribe`, `maintenance`, `link`,
`sync`, ...) are allowed without a Slack admin id and audited as `local:<login>` via cli.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from bot.cli.options import DB_OPTION, open_store, use_color

if TYPE_CHECKING:
    from handlers.conversation import Conversation
    from impact.model import ServiceMap, State
    from store import Store

QUIT = {"quit", "exit", "bye", ":q", "q"}
ORIGIN = "cli"  # the trusted local operator (see handlers.access)


def register(group: click.Group) -> None:
    """Add this module's commands to the `bsm` group."""
    for command in (ask, shell, demo):
        group.add_command(command)


def conversation_for(store: Store) -> Conversation:
    from handlers.conversation import Conversation
    from handlers.intent_model import IntentJudge
    from services.incidents import Incidents
    from services.model import ModelService

    models = ModelService(store)
    judge = IntentJudge.installed(os.environ.get("BSM_SENTENCE_MODEL"))
    return Conversation(models, incidents=Incidents(store, models), judge=judge)


@click.command()
@click.argument("question", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object (JSON Lines with `-`).")
@click.option(
    "--session",
    default=None,
    help="Name a conversation: follow-ups (who owns it? why?) use its last answer (2h).",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the text answer (default: on a tty)."
)
@DB_OPTION
def ask(
    question: tuple[str, ...],
    as_json: bool,
    session: str | None,
    color: bool | None,
    db_url: str | None,
) -> None:
    """Answer one QUESTION, e.g. bsm ask "what does db-03 affect?"; `-` reads one per line."""
    conversation = conversation_for(open_store(db_url))
    # the model and name index, with scipy loaded beside them: the question would load them
    # in turn (the intent encoder loads only for a question the judge may read otherwise)
    conversation.warm()
    text = " ".join(question)
    if text.strip() == "-":
        _answer_lines(conversation, sys.stdin, as_json, color, session)
        return
    _answer_one(conversation, text, as_json, color, session)


def _answer_one(
    conversation: Conversation,
    text: str,
    as_json: bool,
    color: bool | None,
    session: str | None = None,
) -> None:
    from handlers.terminal import render_text

    answer = conversation.ask(text, origin=ORIGIN, session=_session_key(session))
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render_text(answer, color=use_color(color)))


def _session_key(session: str | None) -> str | None:
    return f"cli:{session}" if session else None


def _answer_lines(
    conversation: Conversation,
    lines: Iterable[str],
    as_json: bool,
    color: bool | None,
    session: str | None = None,
) -> None:
    for line in lines:
        if line.strip():
            _answer_one(conversation, line.strip(), as_json, color, session)
            if not as_json:
                click.echo()


@click.command()
@click.option("--color/--no-color", default=None, help="Colour answers (default: on a tty).")
@DB_OPTION
def shell(color: bool | None, db_url: str | None) -> None:
    """Chat with the bot in the terminal: ask questions, `help` for examples, `quit` to leave."""
    run_shell(conversation_for(open_store(db_url)), use_color(color))


def run_shell(conversation: Conversation, color: bool) -> None:
    """The REPL: readline history in ~/.bsm_history, one answer per question, EOF or quit ends."""
    from handlers.terminal import render_text

    history = _start_history()
    click.echo('bsm shell: ask about the service map ("help" for examples, "quit" to leave)')
    session = f"shell:{uuid.uuid4().hex}"  # the shell is one conversation: follow-ups work
    try:
        while True:
            try:
                text = input("bsm> ").strip()
            except EOFError:
                click.echo()
                break
            except KeyboardInterrupt:
                click.echo()
                continue
            if text.lower() in QUIT:
                break
            if text:
                answer = conversation.ask(text, origin=ORIGIN, session=session)
                click.echo(render_text(answer, color=color) + "\n")
    finally:
        history()


def _start_history() -> Callable[[], None]:
    """Load readline history; returns the function that saves it."""
    try:
        import readline
    except ImportError:  # no readline (e.g. some Windows builds): plain input still works
        return lambda: None
    from pathlib import Path

    path = Path.home() / ".bsm_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)

    return save


@click.command()
@click.option("--color/--no-color", default=None, help="Colour answers (default: on a tty).")
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Demo database (default: its own SQLite file, $XDG_DATA_HOME/bsm-bot/demo.db).",
)
@click.option("--force", is_flag=True, help="Write the demo into a database holding another map.")
def demo(color: bool | None, db_url: str | None, force: bool) -> None:
    """Load the demo map into a database of its own, answer a few questions, replay an
    outage, then open the shell. BSM_DATABASE_URL is not used: the demo records fake
    outages and history, which must never land in a real map's database."""
    store = open_store(db_url or demo_database_url())
    _refuse_foreign_map(store, force)
    colored = use_color(color)
    conversation = run_demo(store, colored)
    if sys.stdin.isatty():
        run_shell(conversation, colored)


def demo_database_url() -> str:
    """The demo's own SQLite file, next to the default database (never the default itself)."""
    import os
    from pathlib import Path

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'bsm-bot' / 'demo.db'}"


def _refuse_foreign_map(store: Store, force: bool) -> None:
    """A database holding components the demo map does not have is someone's real map."""
    from impact.model import name_key

    demo_keys = {name_key(name) for name in _demo_map().components}
    foreign = sorted(name for key, name in store.component_names().items() if key not in demo_keys)
    if foreign and not force:
        raise click.ClickException(
            f"{store.url_text()} holds another map ({len(foreign)} components the demo does "
            f"not have, e.g. {foreign[0]!r}); the demo would merge into it and record fake "
            "outages and history. Leave out --db to use the demo's own database, or add --force."
        )


DEMO_QUESTIONS = (
    "what does db-03 affect?",
    "what does dns affect?",
    "what does online-checkout depend on?",
    "single points of failure for online-checkout",
    "what if db-01 and db-02 fail?",
)
OUTAGE = ("db-01", "payment-gateway")
DURING_OUTAGE = ("status", "why is checkout down?", "what if db-02 fails too?")


def run_demo(store: Store, color: bool) -> Conversation:
    """The scripted demo; returns the conversation so the shell can continue it."""
    from impact.model import State

    service_map = _load_demo_map(store)
    click.echo(_map_summary(service_map))
    conversation = conversation_for(store)
    _demo_section("Questions on a healthy map", conversation, DEMO_QUESTIONS, color)
    start = datetime.now(UTC)
    _record(store, OUTAGE, State.DOWN, start, "demo outage")
    click.echo(f"\n*** Scripted outage: {' and '.join(OUTAGE)} reported down ***")
    _demo_section("During the outage", conversation, DURING_OUTAGE, color)
    _record(store, OUTAGE, State.OK, start + timedelta(milliseconds=1), "demo outage over")
    click.echo(f"\n*** Recovery: {' and '.join(OUTAGE)} reported ok again ***")
    _demo_section("After recovery", conversation, ("status",), color)
    # The SLA digest over a few generated weeks of history (owned by bot/cli/sla.py).
    from bot.cli.sla import demo_digest

    demo_digest(store, color)
    return conversation


def _demo_map() -> ServiceMap:
    from importlib.resources import files

    from store import parse_map

    return parse_map(files("store").joinpath("demo/demo.yaml").read_text("utf-8"))


def _load_demo_map(store: Store) -> ServiceMap:
    service_map = _demo_map()
    report = store.import_map(service_map, actor="demo", origin="cli", source="demo.yaml")
    verb = "loaded into" if report.changed else "already in"
    click.echo(f"Demo map (Northwind Outfitters) {verb} {store!r}")
    return service_map


def _map_summary(service_map: ServiceMap) -> str:
    business = len(service_map.business_services)
    components = len(service_map.components) - business
    return (
        f"{business} business services, {components} components, "
        f"{len(service_map.dependencies)} dependencies, "
        f"{len(service_map.groups)} redundancy groups"
    )


def _demo_section(
    title: str, conversation: Conversation, questions: Iterable[str], color: bool
) -> None:
    from handlers.terminal import render_text

    click.echo(f"\n=== {title} ===")
    for question in questions:
        click.echo(f"\n> {question}")
        click.echo(render_text(conversation.ask(question, origin=ORIGIN), color=color))


def _record(store: Store, names: Iterable[str], state: State, at: datetime, why: str) -> None:
    from impact.model import StatusEvent

    store.record_events([StatusEvent(n, state, at, source="demo", summary=why) for n in names])
