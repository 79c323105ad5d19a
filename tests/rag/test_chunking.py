"""Tests of ragyard.rag.chunking: offsets, sizes, overlap and coverage on real texts."""

from __future__ import annotations

import random
import sysconfig
from itertools import pairwise
from pathlib import Path

import pytest

from ragyard.errors import ConfigurationError
from ragyard.rag.chunking import Chunk, Chunker, _tree_sitter_language, chunk_text

VOCABULARY = (
    "the index stores every chunk of a document together with its vector and metadata so that a query "
    "can find the passages nearest in meaning while keyword search catches exact names and numbers"
)
WORDS = VOCABULARY.split(" ")


def _document(paragraphs: int = 60, seed: int = 7, headings: bool = False) -> str:
    """A multi-paragraph document with sentences of varying length (deterministic)."""
    rng = random.Random(seed)
    parts = []
    for i in range(paragraphs):
        if headings and i % 6 == 0:
            parts.append(f"{'#' * (1 + i % 3)} Section {i}")
        sentences = [
            " ".join(rng.choices(WORDS, k=rng.randint(4, 24))).capitalize() + rng.choice(".!?")
            for _ in range(rng.randint(1, 9))
        ]
        parts.append(" ".join(sentences))
    return "\n\n".join(parts) + "\n"


def _site_packages_source() -> str:
    path = Path(sysconfig.get_paths()["purelib"]) / "pydantic" / "main.py"
    if not path.is_file():
        pytest.skip("pydantic/main.py not found in site-packages")
    return path.read_text(encoding="utf-8")


def _check_invariants(text: str, chunks: list[Chunk], size: int, overlap: int, code: bool = False) -> None:
    assert chunks, "non-blank text gives at least one chunk"
    covered = bytearray(len(text))
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert chunk.text == text[chunk.start : chunk.end]
        assert 0 < len(chunk.text) <= size
        assert chunk.text.strip()
        # No surrounding whitespace; code keeps the indentation of its first line.
        assert chunk.text == (chunk.text.rstrip() if code else chunk.text.strip())
        assert chunk.start_line == text.count("\n", 0, chunk.start) + 1
        assert chunk.end_line == text.count("\n", 0, chunk.end - 1) + 1
        covered[chunk.start : chunk.end] = b"\1" * (chunk.end - chunk.start)
    # Coverage: every non-whitespace character is in some chunk.
    missing = [i for i, flag in enumerate(covered) if not flag and not text[i].isspace()]
    assert not missing, f"uncovered text at {missing[:5]}"
    # Order and overlap: each chunk starts after the previous start and before the previous end.
    for prev, cur in pairwise(chunks):
        assert cur.start > prev.start
        if overlap:
            assert cur.start < prev.end, (prev, cur)
            assert prev.end - cur.start <= overlap


def test_long_generated_document_overlaps_and_covers() -> None:
    text = _document()
    assert len(text) > 10_000
    chunks = chunk_text(text, chunk_size=1000, chunk_overlap=150)
    assert len(chunks) > 10
    _check_invariants(text, chunks, 1000, 150)
    shared = [prev.end - cur.start for prev, cur in pairwise(chunks)]
    assert all(0 < n <= 150 for n in shared)
    # The overlap starts at a word (never in the middle of one) in ordinary prose.
    for chunk in chunks[1:]:
        assert text[chunk.start - 1].isspace()


def test_markdown_keeps_headings_with_their_section() -> None:
    text = _document(headings=True)
    chunks = chunk_text(text, chunk_size=800, chunk_overlap=100, kind="markdown")
    _check_invariants(text, chunks, 800, 100)
    # A heading alone is never a chunk of its own: it is merged into the chunk that follows.
    assert not any(c.text.startswith("#") and "\n" not in c.text for c in chunks)


def test_real_source_file_as_code() -> None:
    text = _site_packages_source()
    chunker = Chunker(1000, 150, kind="code", language="python")
    chunks = chunker.split(text)
    assert len(chunks) > 20
    _check_invariants(text, chunks, 1000, 150, code=True)
    # Code chunks start at the beginning of a line (indentation kept) unless the overlap window held no
    # line start at all.
    at_line_start = [c for c in chunks if c.start == 0 or text[c.start - 1] == "\n"]
    assert len(at_line_start) >= 0.8 * len(chunks)
    assert any(c.text.startswith("    ") for c in at_line_start)


@pytest.mark.parametrize(("size", "overlap"), [(50, 10), (200, 0), (300, 299), (2000, 500)])
def test_invariants_hold_for_many_settings(size: int, overlap: int) -> None:
    text = _document(paragraphs=25, seed=size)
    _check_invariants(text, chunk_text(text, size, overlap), size, overlap)


def test_no_overlap_when_zero() -> None:
    text = _document(paragraphs=20)
    chunks = chunk_text(text, 400, 0)
    for prev, cur in pairwise(chunks):
        assert cur.start >= prev.end


def test_short_and_blank_texts() -> None:
    assert chunk_text("") == []
    assert chunk_text(" \n\t\n ") == []
    [chunk] = chunk_text("  hello world\n")
    assert (chunk.text, chunk.start, chunk.end, chunk.start_line, chunk.end_line) == (
        "hello world",
        2,
        13,
        1,
        1,
    )


def test_one_long_token_is_cut_and_still_overlaps() -> None:
    text = "x" * 5000
    chunks = chunk_text(text, 1000, 100)
    _check_invariants(text, chunks, 1000, 100)


def test_offsets_are_characters_not_bytes() -> None:
    text = ("Ünïcödé façade 日本語のテキスト 🙂 emoji and combining é. " * 80).strip()
    chunks = chunk_text(text, 300, 60)
    _check_invariants(text, chunks, 300, 60)


def test_line_numbers_count_newlines() -> None:
    text = "\n".join(f"line {n} " + "word " * 10 for n in range(1, 201))
    lines = text.split("\n")
    for chunk in chunk_text(text, 500, 50):
        chunk_lines = chunk.text.split("\n")
        assert chunk.end_line - chunk.start_line == len(chunk_lines) - 1
        assert lines[chunk.start_line - 1].endswith(chunk_lines[0])
        assert lines[chunk.end_line - 1].startswith(chunk_lines[-1])


def test_chunk_is_frozen() -> None:
    chunk = chunk_text("some text")[0]
    with pytest.raises(AttributeError):
        chunk.text = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": -5}, "chunk_size"),
        ({"chunk_size": 100, "chunk_overlap": 100}, "smaller than chunk_size"),
        ({"chunk_size": 100, "chunk_overlap": 150}, "smaller than chunk_size"),
        ({"chunk_overlap": -1}, "chunk_overlap"),
        ({"kind": "pdf"}, "unknown chunk kind"),
        ({"kind": "html"}, "convert HTML"),
        ({"chunk_size": 10.5}, "chunk_size"),
    ],
)
def test_bad_settings_raise_configuration_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Chunker(**kwargs)  # type: ignore[arg-type]


def test_code_falls_back_to_text_splitter_without_grammar() -> None:
    assert _tree_sitter_language("no-such-language") is None
    assert _tree_sitter_language(None) is None
    chunker = Chunker(500, 50, kind="code", language="no-such-language")
    assert not chunker.uses_tree_sitter
    text = "def f():\n    return 1\n\n\ndef g():\n    return 2\n" * 40
    _check_invariants(text, chunker.split(text), 500, 50, code=True)
