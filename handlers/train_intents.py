"""Learn the intent model's weights from the labelled phrasings.

    python -m handlers.train_intents [--out handlers/intent_weights.json] [FILE ...]

Reads the phrasing corpora (YAML lists of `{q, intent, ...}`; by default every corpus of
`tests/handlers/corpus/` and `tests/handlers/phrasings.yaml`, except the splits kept
blind, `BLIND`), embeds each question with `handlers.sentences`, and fits a multinomial
logistic regression with an L2 penalty by L-BFGS (scipy). Follow-ups (entries with
`after`) are left out: their intent comes from the thread, not their words. The run is
deterministic: the same phrasings give the same weights (`tests/handlers/
test_intent_model.py` checks the shipped ones against a fresh run).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy.optimize import minimize

from handlers import sentences
from handlers.intent_model import WEIGHTS_FILE, IntentModel
from handlers.markup import plain_text

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "tests" / "handlers"
# Splits written to be scored once, blind, after the model was trained: never learnt from.
# Splits 6 to 12 were scored blind once and are training data since; the next are 13, 14.
BLIND = frozenset({"heldout13.yaml", "heldout14.yaml"})
PENALTY_C = 30.0  # inverse strength of the L2 penalty (chosen by bench/intents_cv.py)


def default_files() -> list[Path]:
    corpus = sorted(p for p in (CORPORA / "corpus").glob("*.yaml") if p.name not in BLIND)
    return [*corpus, CORPORA / "phrasings.yaml"]


def phrasings(paths: Iterable[Path]) -> list[tuple[str, str, str]]:
    """(question, intent, file name) of every entry that is not a follow-up."""
    found: list[tuple[str, str, str]] = []
    for path in paths:
        for entry in yaml.safe_load(path.read_text("utf-8")) or []:
            if "after" not in entry:
                found.append((str(entry["q"]), str(entry["intent"]), path.name))
    return found


def embed(texts: Sequence[str]) -> NDArray[np.float64]:
    directory = sentences.model_dir()
    if directory is None:
        raise SystemExit("the sentence model is not installed (see handlers/sentences.py)")
    encoder = sentences.SentenceEncoder(directory)
    return np.array([encoder.encode(model_text(t)) for t in texts], dtype=np.float64)


def model_text(text: str) -> str:
    """What the model reads of a question: the text without Slack markup."""
    return plain_text(text)


def fit(vectors: NDArray[np.float64], labels: Sequence[str], c: float = PENALTY_C) -> IntentModel:
    """Multinomial logistic regression: C * cross-entropy + 1/2 |W|^2, bias unpenalised."""
    names = tuple(sorted(set(labels)))
    index = {name: i for i, name in enumerate(names)}
    y = np.array([index[label] for label in labels])
    n, d = vectors.shape
    k = len(names)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0

    def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        w = theta[: d * k].reshape(d, k)
        b = theta[d * k :]
        scores = vectors @ w + b
        scores -= scores.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scores).sum(axis=1, keepdims=True))
        log_p = scores - log_norm
        value = -c * float((onehot * log_p).sum()) + 0.5 * float((w * w).sum())
        residual = c * (np.exp(log_p) - onehot)
        grad_w = vectors.T @ residual + w
        grad_b = residual.sum(axis=0)
        return value, np.concatenate([grad_w.ravel(), grad_b])

    start = np.zeros(d * k + k)
    result = minimize(
        loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-8}
    )
    theta = result.x
    return IntentModel(names, theta[: d * k].reshape(d, k), theta[d * k :])


def train(paths: Iterable[Path]) -> IntentModel:
    found = phrasings(paths)
    return fit(embed([q for q, _, _ in found]), [intent for _, intent, _ in found])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / WEIGHTS_FILE)
    args = parser.parse_args(argv)
    model = train(args.files or default_files())
    args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", "utf-8")
    print(f"{args.out}: {len(model.labels)} intents, {model.weights.shape[0]} dimensions")


if __name__ == "__main__":
    main()
