"""The Embedder contract, checked on every available embedder (tiny inputs: MiniLM is slow here)."""

from __future__ import annotations

import numpy as np
import pytest

from ragyard.embed import Embedder
from ragyard.errors import ValidationError

TEXTS = [
    "a cat sits on the mat",
    "Vitamin D deficiency is linked to bone loss.",
    "stock market crash",
    "Ünïcödé tëxt, naïve café",
]


def test_shape_dtype_and_unit_norms(embedder: Embedder) -> None:
    vecs = embedder.embed(TEXTS)
    assert vecs.shape == (len(TEXTS), embedder.dim)
    assert vecs.dtype == np.float32
    assert vecs.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(vecs).all()


def test_deterministic(embedder: Embedder) -> None:
    np.testing.assert_allclose(embedder.embed(TEXTS[:2]), embedder.embed(TEXTS[:2]), atol=1e-6)


def test_batch_size_does_not_change_vectors(embedder: Embedder) -> None:
    one = embedder.embed(TEXTS, batch_size=1)
    many = embedder.embed(TEXTS, batch_size=64)
    np.testing.assert_allclose(one, many, atol=1e-5)


def test_embed_query_matches_embed(embedder: Embedder) -> None:
    q = embedder.embed_query(TEXTS[0])
    assert q.shape == (embedder.dim,)
    assert q.dtype == np.float32
    np.testing.assert_allclose(q, embedder.embed([TEXTS[0]])[0], atol=1e-5)


def test_empty_list_gives_zero_rows(embedder: Embedder) -> None:
    out = embedder.embed([])
    assert out.shape == (0, embedder.dim)
    assert out.dtype == np.float32


@pytest.mark.parametrize("bad", [["ok", 3], [None], [b"bytes"]])
def test_non_str_item_is_a_validation_error(embedder: Embedder, bad: list) -> None:
    with pytest.raises(ValidationError):
        embedder.embed(bad)


def test_single_string_is_rejected(embedder: Embedder) -> None:
    with pytest.raises(ValidationError):
        embedder.embed("not a list")  # type: ignore[arg-type]


def test_model_name_and_dim(embedder: Embedder) -> None:
    assert isinstance(embedder.model_name, str) and embedder.model_name
    assert isinstance(embedder.dim, int) and embedder.dim > 0
    assert embedder.model_name in repr(embedder)


def test_minilm_semantic_sanity(minilm: Embedder) -> None:
    cat, kitten, crash = minilm.embed(["a cat sits on the mat", "a kitten on a rug", "stock market crash"])
    assert float(cat @ kitten) > float(cat @ crash) + 0.2
