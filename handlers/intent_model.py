"""The intent model: a second reading of a question, from its meaning rather than its words.

The rules of `handlers.intents` read a question from its keywords, in order; a phrasing
nobody wrote a rule for ("is the Customer Support Desk working now", "trace how redis-01
reaches Customer Accounts") falls through them. The intent model reads the same question
as a sentence embedding (`handlers.sentences`) and scores every intent with a multinomial
logistic regression learned offline from the labelled phrasings
(`handlers.train_intents`, weights shipped as `intent_weights.json`).

`judge` decides between the two readings: the rules' intent stands unless they found none
and the model is fairly sure (`TAKE_OVER`), or they read one of the intents whose rules
fire on common words (`OVERRULED`) and the model is very sure of another (`OVERRULE`).
The model never chooses a change (maintenance, subscriptions, links), never calls a
question chat, and never chooses an intent whose subjects the question does not name.
Without the model files (`handlers.sentences.model_dir`) there is no judge, and the
rules answer alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from handlers import sentences
from impact.memo import remembered

WEIGHTS_FILE = "intent_weights.json"
UNKNOWN = "unknown"  # not a question the bot answers: chat, thanks, a remark
TAKE_OVER = 0.5  # the rules found no intent: the model's, when at least this sure
OVERRULE = 0.9  # the rules found another intent: the model's, when at least this sure
OPINIONS_KEPT = 1024  # texts whose opinion is kept: a question asked again is not encoded
# What the model may choose: questions and listings. Changes are only read by their rules.
CHOOSABLE = frozenset(
    {
        "affects",
        "whatif",
        "depends",
        "why",
        "spof",
        "path",
        "status",
        "owner",
        "sla",
        "burn",
        "incidents",
        "incident",
        "changes",
        "audit",
        "subscriptions",
        "help",
        UNKNOWN,
    }
)
# Subjects an intent's reading needs named before the model may choose it: one, but two
# for a path and none for a listing or help.
SUBJECTS_NEEDED = {"path": 2}
LISTINGS = frozenset({"incidents", "incident", "changes", "audit", "subscriptions", "help"})
# Readings the model may overrule: their rules also fire on words other questions use
# ("down", "ok", two names, "channel", "team"). The others rest on their own keywords
# ("what if", "dependents", "uptime"), which direction and count the model does not weigh.
OVERRULED = frozenset({"status", "path", "owner"})


@dataclass(frozen=True, slots=True)
class IntentModel:
    """Learned weights: `weights` (dimensions x labels) and `bias` (labels)."""

    labels: tuple[str, ...]
    weights: NDArray[np.float64]
    bias: NDArray[np.float64]

    def probabilities(self, vector: NDArray[np.float32]) -> dict[str, float]:
        scores = vector.astype(np.float64) @ self.weights + self.bias
        scores -= scores.max()
        exps = np.exp(scores)
        exps /= exps.sum()
        return {label: float(p) for label, p in zip(self.labels, exps, strict=True)}

    def best(self, vector: NDArray[np.float32]) -> tuple[str, float]:
        probabilities = self.probabilities(vector)
        label = max(self.labels, key=lambda name: probabilities[name])
        return label, probabilities[label]

    def to_json(self) -> dict[str, object]:
        return {
            "labels": list(self.labels),
            "bias": [round(float(b), 6) for b in self.bias],
            "weights": [[round(float(w), 6) for w in row] for row in self.weights],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> IntentModel:
        labels = data["labels"]
        assert isinstance(labels, list)
        return cls(
            tuple(str(label) for label in labels),
            np.asarray(data["weights"], dtype=np.float64),
            np.asarray(data["bias"], dtype=np.float64),
        )


class IntentJudge:
    """The model's reading beside the rules': `judge` settles the intent to answer. The
    sentence encoder is loaded on the first question the model may read otherwise than
    the rules (`warm` loads it before)."""

    def __init__(self, model: IntentModel, directory: Path) -> None:
        self.model = model
        self._directory = directory
        self._encoder: sentences.SentenceEncoder | None = None
        self._lock = threading.Lock()
        self._opinions: dict[bytes, tuple[str, float]] = {}  # by the text's digest

    @classmethod
    def installed(cls, configured: str | None = None) -> IntentJudge | None:
        """The shipped weights with the installed model files; None without the files."""
        directory = sentences.model_dir(configured)
        if directory is None:
            return None
        text = files("handlers").joinpath(WEIGHTS_FILE).read_text("utf-8")
        return cls(IntentModel.from_json(json.loads(text)), directory)

    def load(self) -> sentences.SentenceEncoder:
        with self._lock:
            if self._encoder is None:
                self._encoder = sentences.SentenceEncoder(self._directory)
            return self._encoder

    def warm(self) -> None:
        """Load the encoder and read one sentence (its one-time imports, done)."""
        self.opinion("help")

    def opinion(self, text: str) -> tuple[str, float]:
        """The model's intent for `text` and how sure it is; kept per text (at most
        `OPINIONS_KEPT`, by a 16-byte digest: long texts cost no memory kept): "status",
        asked again and again in an outage, is encoded once."""

        def encoded() -> tuple[str, float]:
            return self.model.best(self.load().encode(text))

        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        return remembered(self._opinions, key, encoded, OPINIONS_KEPT)

    def judge(self, rules: str, named: int, text: str) -> str:
        """The intent to answer: the rules' reading (`rules`, "unknown" when none), or the
        model's where it is sure enough, it may choose it, and the question names what it
        needs (`named`: phrases that resolve to a name or look like one)."""
        if rules != UNKNOWN and rules not in OVERRULED:
            # help, a change, a report, or a reading resting on its own keywords: the
            # rules' own, whatever the model reads (so it is not asked: no encoding)
            return rules
        intent, sure = self.opinion(text)
        if intent in (rules, UNKNOWN) or intent not in CHOOSABLE:
            return rules  # chat is for the rules to call (their weak readings)
        if named < SUBJECTS_NEEDED.get(intent, 0 if intent in LISTINGS else 1):
            return rules  # "i'll check the dashboards later": no subject, no question
        if rules == UNKNOWN:
            return intent if sure >= TAKE_OVER else rules
        if rules in OVERRULED and sure >= OVERRULE:
            return intent
        return rules
