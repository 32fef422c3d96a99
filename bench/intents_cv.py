"""Cross-validated intent reading: the rules alone against the rules with the intent model.

    python bench/intents_cv.py [--take-over 0.5] [--overrule 0.9]

Leave one corpus file out: the model is trained (handlers.train_intents) on every other
labelled file and judged on the one left out, for each file in turn; the rules are the
same in every fold. Counts the intent only (subjects are the rules' in both readings);
follow-ups (entries with `after`) are left out. Caveat: the rules were tuned on every file
but the last scored blind one, so only their score on a file written after them is fair.
Prints ONE JSON line: per file, rules alone and judged, plus the thresholds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from importlib.resources import files  # noqa: E402

import numpy as np  # noqa: E402

from handlers import intent_model, intents, sentences  # noqa: E402
from handlers.names import NameIndex  # noqa: E402
from handlers.train_intents import default_files, embed, fit, phrasings  # noqa: E402
from store.mapfile import parse_map  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--take-over", type=float, default=intent_model.TAKE_OVER)
    parser.add_argument("--overrule", type=float, default=intent_model.OVERRULE)
    parser.add_argument("--misses", action="store_true", help="print the misses to stderr")
    args = parser.parse_args()
    intent_model.TAKE_OVER, intent_model.OVERRULE = args.take_over, args.overrule
    demo = parse_map(files("store").joinpath("demo/demo.yaml").read_text("utf-8"))
    names = NameIndex(demo.components.values())
    directory = sentences.model_dir()
    assert directory is not None, "the sentence model is not installed"
    rows = phrasings(default_files())
    vectors = embed([q for q, _, _ in rows])
    labels = [intent for _, intent, _ in rows]
    sources = np.array([source for _, _, source in rows])
    same = lambda a, b: a == b or {a, b} <= {"help", "unknown"}  # noqa: E731
    result: dict[str, object] = {"take_over": args.take_over, "overrule": args.overrule}
    for source in dict.fromkeys(sources):
        train = sources != source
        model = fit(vectors[train], [label for label, t in zip(labels, train, strict=True) if t])
        judge = intent_model.IntentJudge(model, directory)
        rules_ok = judged_ok = total = 0
        for i in np.flatnonzero(~train):
            question, expected = rows[i][0], labels[i]
            alone = intents.parse(question, names).intent
            judged = intents.parse(question, names, judge).intent
            total += 1
            rules_ok += same(alone, expected)
            judged_ok += same(judged, expected)
            if args.misses and not (same(alone, expected) and same(judged, expected)):
                print(
                    f"{source}: {expected} rules={alone} judged={judged}: {question}",
                    file=sys.stderr,
                )
        result[source] = {
            "n": total,
            "rules": round(rules_ok / total, 3),
            "judged": round(judged_ok / total, 3),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
