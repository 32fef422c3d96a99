"""The intent model: shipped weights from a fresh training run, and how `judge` decides."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from handlers import intent_model
from handlers.intent_model import IntentJudge, IntentModel
from handlers.train_intents import default_files, embed, fit, phrasings
from tests.handlers.test_sentences import require_model


def test_shipped_weights_are_a_fresh_training_run() -> None:
    require_model()
    shipped = IntentModel.from_json(
        json.loads(files("handlers").joinpath(intent_model.WEIGHTS_FILE).read_text("utf-8"))
    )
    rows = phrasings(default_files())
    vectors = embed([q for q, _, _ in rows])
    fresh = fit(vectors, [intent for _, intent, _ in rows])
    assert fresh.labels == shipped.labels
    # the same readings, and the same confidences to rounding (BLAS may differ in last bits)
    for vector in vectors[::7]:
        a, b = shipped.probabilities(vector), fresh.probabilities(vector)
        assert max(a, key=a.__getitem__) == max(b, key=b.__getitem__)
        assert max(abs(a[k] - b[k]) for k in a) < 1e-3


def test_the_blind_splits_are_never_learnt_from() -> None:
    assert not {p.name for p in default_files()} & intent_model_blind()


def intent_model_blind() -> frozenset[str]:
    from handlers.train_intents import BLIND

    return BLIND


def test_training_fits_a_separable_toy_problem() -> None:
    # two labels, one dimension each: the fitted model reads each point as its own label
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    model = fit(vectors, ["a", "a", "b", "b"], c=10.0)
    assert model.labels == ("a", "b")
    assert model.best(np.array([1.0, 0.0], dtype=np.float32))[0] == "a"
    assert model.best(np.array([0.0, 1.0], dtype=np.float32))[0] == "b"


class Saying(IntentJudge):
    """A judge whose model says (intent, sureness) for every text."""

    def __init__(self) -> None:
        super().__init__(IntentModel(("x",), np.zeros((1, 1)), np.zeros(1)), Path("."))
        self.said = ("unknown", 0.0)

    def opinion(self, text: str) -> tuple[str, float]:
        return self.said


JUDGE = Saying()
judge = JUDGE.judge


@pytest.fixture
def says() -> object:
    def set_opinion(intent: str, sure: float) -> None:
        JUDGE.said = (intent, sure)

    return set_opinion


def test_judge_takes_over_only_what_the_rules_did_not_read(says) -> None:  # type: ignore[no-untyped-def]
    says("status", 0.7)
    assert judge("unknown", 1, "x") == "status"  # rules found nothing, model fairly sure
    assert judge("affects", 1, "x") == "affects"  # rules read affects: 0.7 does not overrule
    says("status", 0.4)
    assert judge("unknown", 1, "x") == "unknown"  # not sure enough


def test_judge_overrules_only_readings_of_common_words(says) -> None:  # type: ignore[no-untyped-def]
    says("whatif", 0.95)
    assert judge("status", 2, "x") == "whatif"
    assert judge("path", 2, "x") == "whatif"
    says("affects", 0.99)
    assert judge("whatif", 2, "x") == "whatif"  # "what if" is the rules' own keyword


def test_judge_never_chooses_chat_a_change_or_a_question_without_its_subjects(says) -> None:  # type: ignore[no-untyped-def]
    says("unknown", 0.99)
    assert judge("status", 0, "all good?") == "status"
    says("maintenance", 0.99)
    assert judge("unknown", 1, "x") == "unknown"
    says("status", 0.9)
    assert judge("unknown", 0, "i'll check the dashboards later") == "unknown"
    says("path", 0.99)
    assert judge("unknown", 1, "x") == "unknown"  # a path needs two names
    says("incidents", 0.99)
    assert judge("status", 0, "any active incidents now") == "incidents"  # a listing


def test_judge_leaves_help_and_changes_to_the_rules(says) -> None:  # type: ignore[no-untyped-def]
    says("status", 0.99)
    assert judge("help", 0, "x") == "help"
    assert judge("maintenance", 1, "x") == "maintenance"


def test_judge_asks_the_model_only_about_readings_it_may_change() -> None:
    """No encoding for a question the rules read as their own (affects, depends, a what-if,
    help, a change): the model's reading could not change it, whatever it says."""
    asked: list[str] = []

    class Counting(Saying):
        def opinion(self, text: str) -> tuple[str, float]:
            asked.append(text)
            return ("status", 0.99)

    counting = Counting()
    for rules in ("affects", "depends", "whatif", "spof", "sla", "help", "maintenance"):
        assert counting.judge(rules, 1, rules) == rules
    assert asked == []
    assert counting.judge("unknown", 1, "u") == "status"
    assert counting.judge("owner", 1, "o") == "status"
    assert asked == ["u", "o"]


def test_an_opinion_is_encoded_once_per_text() -> None:
    """The same text asked again ("status", typed again and again in an outage) reads the
    opinion kept, not the encoder; another text is encoded."""
    encoded: list[str] = []

    class Encoder:
        def encode(self, text: str) -> np.ndarray:  # type: ignore[type-arg]
            encoded.append(text)
            return np.ones(1, dtype=np.float32)

    class Encoding(IntentJudge):
        def load(self) -> Any:
            return Encoder()

    model = IntentModel(("status", "help"), np.array([[2.0, -2.0]]), np.zeros(2))
    judge = Encoding(model, Path("."))
    first = judge.opinion("status")
    assert first[0] == "status" and first == model.best(np.ones(1, dtype=np.float32))
    assert judge.opinion("status") == first
    assert encoded == ["status"]
    judge.opinion("status please")
    assert encoded == ["status", "status please"]
    judge.opinion("status \ud800")  # a lone surrogate (JSON may carry one) is kept too
    judge.opinion("status \ud800")
    assert encoded == ["status", "status please", "status \ud800"]
