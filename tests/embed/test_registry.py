"""Embedder registry: auto selection, aliases, errors, info, and the import-cost guarantee."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import ragyard.embed as embed
from ragyard.embed import HashingEmbedder, create_embedder, default_embedder, get_backend_info, list_backends
from ragyard.errors import BackendUnavailableError, UnknownBackendError


def sentence_available() -> bool:
    info = get_backend_info("sentence")
    return isinstance(info, dict) and bool(info["available"])


needs_sentence = pytest.mark.skipif(not sentence_available(), reason="sentence backend not installed")


def test_builtin_backends_are_registered() -> None:
    names = list_backends()
    assert "hashing" in names and "sentence" in names
    assert names.index("sentence") < names.index("hashing")  # best first
    assert "hashing" in list_backends(available_only=True)


def test_backend_info() -> None:
    info = get_backend_info("hashing")
    assert isinstance(info, dict)
    assert info["available"] is True and info["reason"] is None and info["kind"] == "embedders"
    sentence = get_backend_info("minilm")
    assert isinstance(sentence, dict)
    assert sentence["name"] == "sentence" and sentence["extra"] == "semantic"
    assert {"sentence-transformers", "minilm"} <= set(sentence["aliases"])
    everything = get_backend_info()
    assert isinstance(everything, list) and {i["name"] for i in everything} >= {"hashing", "sentence"}


@needs_sentence
def test_auto_picks_sentence_when_installed(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ragyard"):
        emb = create_embedder("auto")
    assert emb.name == "sentence"
    assert emb.model_name == "all-MiniLM-L6-v2"
    assert emb.dim == 384
    assert "using 'sentence'" in caplog.text


def test_auto_falls_back_to_hashing_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    spec = embed.registry().get("sentence")
    monkeypatch.setattr(spec, "requires", ("surely_not_an_installed_module_xyz",))
    with caplog.at_level(logging.INFO, logger="ragyard"):
        emb = create_embedder()
    assert isinstance(emb, HashingEmbedder)
    assert "surely_not_an_installed_module_xyz" in caplog.text
    assert "ragyard[semantic]" in caplog.text
    with pytest.raises(BackendUnavailableError, match="semantic"):
        create_embedder("sentence")


def test_names_and_aliases() -> None:
    assert isinstance(create_embedder("hashing", dim=64), HashingEmbedder)
    assert create_embedder("HASH", dim=32).dim == 32
    if sentence_available():
        assert create_embedder("minilm").name == "sentence"
        assert create_embedder("sentence-transformers").name == "sentence"


def test_unknown_name_lists_available() -> None:
    with pytest.raises(UnknownBackendError) as err:
        create_embedder("word2vec")
    assert "hashing" in str(err.value) and "sentence" in str(err.value)


def test_default_embedder_dimension(caplog: pytest.LogCaptureFixture) -> None:
    assert isinstance(default_embedder(), type(create_embedder()))
    with caplog.at_level(logging.WARNING, logger="ragyard"):
        emb = default_embedder(768)
    assert isinstance(emb, HashingEmbedder) and emb.dim == 768
    if sentence_available():
        assert "768" in caplog.text and "384" in caplog.text
        assert default_embedder(384).name == "sentence"
    assert create_embedder("auto", dim=100).dim == 100


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, ragyard.embed, ragyard.embed.sentence, ragyard.embed.service;"
        "from ragyard.embed import create_embedder, list_backends, get_backend_info, default_embedder;"
        "list_backends(); get_backend_info();"
        "e = create_embedder('auto'); d = e.dim; default_embedder(768);"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules];"
        "print(e.name, d, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    name, dim, heavy = out.split(" ", 2)
    assert heavy.strip() == "[]", out
    if sentence_available():
        assert (name, dim) == ("sentence", "384")
