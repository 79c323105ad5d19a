"""Folder indexing: chunks with metadata, incremental re-index (skip, replace, remove), bad files reported."""

from __future__ import annotations

import os

import pytest

from ragyard.embed import create_embedder
from ragyard.rag import SQLiteRAG
from ragyard.rag.indexer import index_folder


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "docs"
    (root / "guide").mkdir(parents=True)
    (root / "guide" / "install.md").write_text("# Installing\n\nRun pip install to set up the volcano toolkit.\n")
    (root / "notes.txt").write_text("Glaciers move slowly.\n" * 200)
    (root / "code.py").write_text("def erupt(volcano):\n    return volcano.pressure > 9000\n")
    (root / "page.html").write_text("<html><title>Lava</title><body><h1>Lava</h1><p>Hot rock flows.</p></body></html>")
    (root / "empty.txt").write_text("")
    (root / "latin.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    return root


@pytest.fixture
def rag(tmp_path):
    r = SQLiteRAG(tmp_path / "idx.db", embedding_provider=create_embedder("hashing"))
    yield r
    r.close()


def test_index_and_metadata(folder, rag) -> None:
    report = index_folder(rag, folder, chunk_size=300, chunk_overlap=50)
    assert sorted(report.added) == ["code.py", "guide/install.md", "notes.txt", "page.html"]
    assert sorted(p for p, _ in report.errors) == ["empty.txt", "latin.txt"]
    assert any("UTF-8" in msg for _, msg in report.errors)
    assert report.chunks_written == rag.get_statistics()["document_count"]
    hit = rag.keyword_search("pip install volcano", top_k=1)[0]
    meta = hit["metadata"]
    assert meta["path"] == "guide/install.md" and meta["title"] == "Installing" and meta["chunk"] == 0
    assert meta["source"] == str((folder / "guide" / "install.md").resolve())
    notes = rag.query_with_filters({"path": "notes.txt"}, top_k=100)
    assert len(notes) > 1
    assert sorted(n["metadata"]["chunk"] for n in notes) == list(range(len(notes)))
    assert rag.query_with_filters({"kind": "html"}, "lava")[0]["metadata"]["title"] == "Lava"
    assert rag.query_with_filters({"language": "python"}, "erupt")[0]["metadata"]["path"] == "code.py"


def test_incremental_reindex(folder, rag) -> None:
    first = index_folder(rag, folder, chunk_size=300, chunk_overlap=50)
    calls = rag.embedding_service.stats["provider_calls"]
    again = index_folder(rag, folder, chunk_size=300, chunk_overlap=50)
    assert again.added == [] and again.updated == [] and again.removed == []
    assert len(again.unchanged) == len(first.added)
    assert rag.embedding_service.stats["provider_calls"] == calls  # nothing embedded
    # change one file, delete one, add one
    (folder / "code.py").write_text("def calm(volcano):\n    return volcano.sleep()\n")
    os.remove(folder / "page.html")
    (folder / "new.md").write_text("# New\n\nFresh content about geysers.\n")
    third = index_folder(rag, folder, chunk_size=300, chunk_overlap=50)
    assert third.updated == ["code.py"] and third.added == ["new.md"] and third.removed == ["page.html"]
    assert rag.keyword_search("erupt") == []
    assert rag.keyword_search("calm")[0]["metadata"]["path"] == "code.py"
    assert rag.query_with_filters({"kind": "html"}) == []
    assert rag.keyword_search("geysers")[0]["metadata"]["path"] == "new.md"
    # a file that became empty loses its old chunks and is reported
    (folder / "new.md").write_text("")
    fourth = index_folder(rag, folder, chunk_size=300, chunk_overlap=50)
    assert "new.md" in [p for p, _ in fourth.errors]
    assert rag.keyword_search("geysers") == []


def test_index_single_file(folder, rag) -> None:
    report = index_folder(rag, folder / "notes.txt")
    assert report.added == ["notes.txt"]
    assert index_folder(rag, folder / "notes.txt").unchanged == ["notes.txt"]
