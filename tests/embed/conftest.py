"""Fixtures for the embedder tests: one shared MiniLM embedder per test session (loaded once)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from ragyard.embed import Embedder, HashingEmbedder, get_backend_info


def sentence_available() -> bool:
    """True when the sentence backend (sentence-transformers + packaged MiniLM) can run here."""
    info = get_backend_info("sentence")
    assert isinstance(info, dict)
    return bool(info["available"])


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The packaged all-MiniLM-L6-v2 embedder, model loaded once for the whole session."""
    if not sentence_available():
        pytest.skip("sentence backend not installed")
    from ragyard.embed import SentenceEmbedder

    return SentenceEmbedder().load()


@pytest.fixture(params=["hashing", "sentence"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    """Every available embedder (hashing always; MiniLM when installed)."""
    if request.param == "hashing":
        return HashingEmbedder()
    return request.getfixturevalue("minilm")
