"""HashingEmbedder: stable across processes, lexical similarity, parameters in model_name."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from ragyard.embed import HashingEmbedder
from ragyard.errors import ConfigurationError

A = "Vitamin D supplementation reduces the risk of bone fractures in elderly patients"
B = "Bone fractures in elderly patients are less frequent with vitamin D supplementation"
C = "The central bank raised interest rates to fight inflation in the housing market"


def test_shared_words_give_higher_cosine() -> None:
    emb = HashingEmbedder()
    a, b, c = emb.embed([A, B, C])
    assert float(a @ b) > 0.4
    assert abs(float(a @ c)) < 0.2
    assert float(a @ b) > float(a @ c) + 0.3


def test_identical_across_processes() -> None:
    code = f"from ragyard.embed import HashingEmbedder;print(HashingEmbedder(dim=64).embed([{A!r}])[0].tobytes().hex())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    ).stdout.strip()
    assert bytes.fromhex(out) == HashingEmbedder(dim=64).embed([A])[0].tobytes()


def test_known_vector_is_stable() -> None:
    # Pins the hashing scheme (BLAKE2b buckets and signs): changing it silently would make every
    # stored hashing vector incompatible with new queries.
    vec = HashingEmbedder(dim=1024).embed(["hello world, bonjour"])[0]
    nz = np.flatnonzero(vec)
    assert nz.tolist() == [306, 344, 647, 679, 799]
    assert np.sign(vec[nz]).astype(int).tolist() == [-1, 1, 1, 1, -1]
    np.testing.assert_allclose(np.abs(vec[nz]), 1 / np.sqrt(5), atol=1e-6)


def test_empty_and_punctuation_only_texts_give_zero_rows() -> None:
    vecs = HashingEmbedder().embed(["", "  ...  !!", "word"])
    assert not vecs[0].any() and not vecs[1].any()
    assert np.linalg.norm(vecs[2]) == pytest.approx(1.0, abs=1e-6)


def test_lowercase_and_unicode_tokens() -> None:
    emb = HashingEmbedder()
    a, b = emb.embed(["Café NAÏVE", "café naïve"])
    np.testing.assert_allclose(a, b)
    cased = HashingEmbedder(lowercase=False)
    a, b = cased.embed(["Café NAÏVE", "café naïve"])
    assert float(a @ b) < 0.5
    assert cased.model_name == "hashing-384-1x2-cased"


def test_sublinear_tf() -> None:
    emb = HashingEmbedder(dim=1024, ngram_range=(1, 1))
    feats = emb.features("spam spam spam eggs")
    assert feats == {"spam": 3, "eggs": 1}
    v = emb.embed(["spam spam spam eggs"])[0]
    weights = sorted(np.abs(v[np.flatnonzero(v)]))
    assert weights[1] / weights[0] == pytest.approx(1 + np.log(3), rel=1e-5)


def test_model_name_encodes_parameters() -> None:
    assert HashingEmbedder().model_name == "hashing-384-1x2"
    assert HashingEmbedder(dim=768, ngram_range=(1, 3)).model_name == "hashing-768-1x3"
    assert HashingEmbedder(dim=768).dim == 768


@pytest.mark.parametrize(
    "kwargs", [{"dim": 0}, {"dim": -3}, {"dim": 2.5}, {"ngram_range": (2, 1)}, {"ngram_range": (0, 2)}]
)
def test_bad_settings(kwargs: dict) -> None:
    with pytest.raises(ConfigurationError):
        HashingEmbedder(**kwargs)


def test_large_batch_is_vectorised_and_consistent() -> None:
    emb = HashingEmbedder()
    texts = [f"document number {i} about topic {i % 7}" for i in range(2000)]
    all_at_once = emb.embed(texts, batch_size=2000)
    np.testing.assert_array_equal(all_at_once[1234], emb.embed([texts[1234]])[0])
