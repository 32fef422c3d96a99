"""The phrasing corpus: every way of asking in phrasings.yaml parses to its intent and names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.intents import parse
from handlers.names import NameIndex

CORPUS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "phrasings.yaml").read_text("utf-8")
)


def test_corpus_is_large_and_covers_every_intent() -> None:
    assert len(CORPUS) >= 120
    intents = {entry["intent"] for entry in CORPUS}
    assert {
        "affects",
        "whatif",
        "depends",
        "why",
        "spof",
        "path",
        "status",
        "owner",
        "sla",
    } <= intents


@pytest.mark.parametrize("entry", CORPUS, ids=[e["q"] or "<empty>" for e in CORPUS])
def test_phrasing(entry: dict[str, Any], demo_names: NameIndex) -> None:
    question = parse(entry["q"], demo_names)
    resolution = demo_names.resolve_all(question.phrases)
    assert question.intent == entry["intent"], question.template
    assert list(resolution.names) == entry["subjects"], question.phrases
    assert sorted(resolution.unknown) == sorted(entry.get("unknown", []))
    assert sorted(resolution.ambiguous) == sorted(entry.get("ambiguous", []))
    if "period" in entry:
        assert question.period == entry["period"]
    if "depth" in entry:
        assert question.depth == entry["depth"]
