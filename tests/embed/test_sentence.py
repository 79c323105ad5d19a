"""SentenceEmbedder specifics: offline model resolution, shared lazy model, errors."""

from __future__ import annotations

import pytest

from ragyard.embed import Embedder, get_backend_info
from ragyard.errors import BackendUnavailableError, ConfigurationError


def sentence_available() -> bool:
    info = get_backend_info("sentence")
    return isinstance(info, dict) and bool(info["available"])


pytestmark = pytest.mark.skipif(not sentence_available(), reason="sentence backend not installed")


def test_default_model_identity() -> None:
    from ragyard.embed import SentenceEmbedder
    from ragyard.embed.sentence import default_model_path

    emb = SentenceEmbedder()
    assert emb.model_name == "all-MiniLM-L6-v2"
    assert emb.dim == 384
    assert emb.path == str(default_model_path())
    assert SentenceEmbedder("sentence-transformers/all-MiniLM-L6-v2").path == emb.path


def test_local_folder_of_default_model_shares_the_loaded_model(minilm: Embedder) -> None:
    from ragyard.embed import SentenceEmbedder
    from ragyard.embed.sentence import default_model_path

    emb = SentenceEmbedder(str(default_model_path()), batch_size=8)
    assert emb.model_name == "all-MiniLM-L6-v2"
    assert emb._model()[0] is minilm._model()[0]  # type: ignore[attr-defined]


def test_unknown_model_name_cannot_be_downloaded() -> None:
    from ragyard.embed import SentenceEmbedder

    with pytest.raises(BackendUnavailableError, match="downloaded"):
        SentenceEmbedder("BAAI/bge-small-en-v1.5")


def test_bad_batch_size() -> None:
    from ragyard.embed import SentenceEmbedder

    with pytest.raises(ConfigurationError):
        SentenceEmbedder(batch_size=0)


def test_torch_threads_are_capped(minilm: Embedder) -> None:
    import os

    import torch

    assert torch.get_num_threads() <= max(1, len(os.sched_getaffinity(0)))
