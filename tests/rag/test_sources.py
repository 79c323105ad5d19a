"""Tests of ragyard.rag.sources on a real folder of files of every kind, good and bad."""

from __future__ import annotations

import hashlib
import logging
import os
from itertools import pairwise
from pathlib import Path

import pytest

from ragyard.errors import ConfigurationError, SourceError
from ragyard.rag import sources
from ragyard.rag.sources import (
    MAX_FILE_BYTES,
    SUPPORTED_SUFFIXES,
    SourceDocument,
    SourceFile,
    chunks_for,
    fingerprint,
    html_to_text,
    iter_source_files,
    read_source,
)

LONG_PARAGRAPH = (
    "Retrieval augmented generation finds the passages that answer a question. "
    "Each passage is a chunk of a source file, stored with its vector and its metadata. "
) * 6

HTML_PAGE = """<!DOCTYPE html>
<html><head><title>  Release   Notes </title>
<style>body { color: red; } .secret { display: none }</style>
<script>var token = "do-not-index"; document.write("<p>hidden</p>");</script>
</head>
<body>
<h1>Version 2.0</h1>
<p>This release adds   <b>hybrid</b> search
and faster indexing.</p>
<h2>Fixes</h2>
<ul><li>Crash on empty files</li><li>Slow &amp; noisy logs</li></ul>
<pre>ragyard index ./docs
    --chunk-size 800</pre>
<noscript>Enable JavaScript</noscript>
</body></html>
"""

MARKDOWN = (
    "Some intro text before the title.\n\n"
    "```bash\n# not the title, a shell comment\n```\n\n"
    "# Install Guide\n\n"
    "## Requirements\n\n" + LONG_PARAGRAPH + "\n\n## Steps\n\n" + LONG_PARAGRAPH + "\n"
)

RST = "===========\nUser Manual\n===========\n\nOverview\n--------\n\n" + LONG_PARAGRAPH + "\n"

PYTHON = '''"""A small module."""


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


class Greeter:
    def greet(self, name: str) -> str:
        return f"hello {name}"
'''

GOOD = [
    "README.md",
    "docs/manual.rst",
    "docs/page.html",
    "docs/plain.htm",
    "notes.txt",
    "src/app.py",
    "src/util.js",
]
BAD = ["bad/binary.txt", "bad/blank.md", "bad/empty.txt", "bad/latin1.txt"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    files: dict[str, bytes] = {
        "README.md": MARKDOWN.encode(),
        "notes.txt": ("\n\n   Shopping list for the week " + "x" * 200 + "\nmilk\neggs\n").encode(),
        "docs/manual.rst": RST.encode(),
        "docs/page.html": HTML_PAGE.encode(),
        "docs/plain.htm": b"<html><body><h1>Only <i>H1</i></h1><p>Body text.</p></body></html>",
        "src/app.py": PYTHON.encode(),
        "src/util.js": b"export function twice(x) {\n  return 2 * x;\n}\n",
        "bad/empty.txt": b"",
        "bad/blank.md": b"  \n\n\t \n",
        "bad/latin1.txt": "café crème brûlée\n".encode("latin-1"),
        "bad/binary.txt": b"PK\x03\x04\x00\x00binary\x00data",
        "image.png": b"\x89PNG\r\n\x1a\n\x00\x00",
        "Makefile": b"all:\n\techo hi\n",
        ".hidden/secret.md": b"# Secret\n",
        ".env.txt": b"TOKEN=1\n",
        "node_modules/pkg/index.js": b"module.exports = 1;\n",
        "src/__pycache__/app.py": b"x = 1\n",
        ".git/HEAD.txt": b"ref\n",
        "build/out.txt": b"built\n",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    # A symbolic link loop: a folder containing a link to its own parent.
    os.symlink("..", root / "docs" / "loop")
    # A dangling link.
    os.symlink("does-not-exist.txt", root / "dangling.txt")
    return root


def _rel_paths(root: Path, **kwargs: object) -> list[str]:
    return [s.rel_path for s in iter_source_files(root, **kwargs)]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ walking


def test_yields_supported_visible_files_in_sorted_order(tree: Path) -> None:
    found = _rel_paths(tree)
    assert found == sorted(GOOD + BAD)
    assert found == _rel_paths(tree), "order is deterministic"


def test_source_file_fields(tree: Path) -> None:
    by_path = {s.rel_path: s for s in iter_source_files(tree)}
    app = by_path["src/app.py"]
    assert isinstance(app, SourceFile)
    assert app.path == tree / "src" / "app.py"
    assert (app.kind, app.language) == ("code", "python")
    assert app.size == len(PYTHON.encode())
    assert app.mtime == pytest.approx((tree / "src" / "app.py").stat().st_mtime)
    assert app.sha256 == hashlib.sha256(PYTHON.encode()).hexdigest()
    assert (by_path["src/util.js"].kind, by_path["src/util.js"].language) == ("code", "javascript")
    assert (by_path["README.md"].kind, by_path["README.md"].language) == ("markdown", None)
    assert by_path["docs/page.html"].kind == by_path["docs/plain.htm"].kind == "html"
    assert by_path["docs/manual.rst"].kind == by_path["notes.txt"].kind == "text"


def test_supported_suffix_table() -> None:
    for suffix in (".txt", ".md", ".markdown", ".rst", ".html", ".htm"):
        assert SUPPORTED_SUFFIXES[suffix].language is None
    code = ".py .js .ts .tsx .jsx .java .go .rs .c .h .cpp .hpp .cs .rb .php .sh .sql .toml .yaml .yml"
    code += " .json .css .kt .swift .scala .lua .r"
    for suffix in code.split():
        assert SUPPORTED_SUFFIXES[suffix].kind == "code"
        assert SUPPORTED_SUFFIXES[suffix].language
    assert ".png" not in SUPPORTED_SUFFIXES


def test_suffix_match_is_case_insensitive(tmp_path: Path) -> None:
    (tmp_path / "analysis.R").write_text("x <- 1\n")
    (tmp_path / "NOTES.TXT").write_text("hi\n")
    found = {s.rel_path: (s.kind, s.language) for s in iter_source_files(tmp_path)}
    assert found == {"NOTES.TXT": ("text", None), "analysis.R": ("code", "r")}


def test_symlink_loop_is_not_followed_by_default(tree: Path) -> None:
    assert not any("loop" in p for p in _rel_paths(tree))


def test_symlink_loop_is_safe_when_following(tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ragyard.rag.sources"):
        found = _rel_paths(tree, follow_symlinks=True)
    assert found == sorted(GOOD + BAD)  # the loop adds nothing, the dangling link is skipped
    assert "already walked" in caplog.text


def test_symlinked_file_is_followed_only_on_request(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("# Outside\n")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "linked.md")
    assert _rel_paths(root) == []
    [linked] = iter_source_files(root, follow_symlinks=True)
    assert linked.rel_path == "linked.md"
    assert read_source(linked).title == "Outside"


def test_include_and_exclude_globs(tree: Path) -> None:
    assert _rel_paths(tree, include=["*.md"]) == ["README.md", "bad/blank.md"]
    assert _rel_paths(tree, include=["docs/*"]) == ["docs/manual.rst", "docs/page.html", "docs/plain.htm"]
    assert _rel_paths(tree, include=["**/*.py", "*.js"]) == ["src/app.py", "src/util.js"]
    assert _rel_paths(tree, exclude=["bad/*", "docs"]) == [
        "README.md",
        "notes.txt",
        "src/app.py",
        "src/util.js",
    ]
    assert _rel_paths(tree, include=["src/*"], exclude=["*.js"]) == ["src/app.py"]
    assert _rel_paths(tree, include=["*.MD"]) == [], "patterns are case-sensitive"


def test_single_file_root(tree: Path) -> None:
    [only] = iter_source_files(tree / "docs" / "manual.rst")
    assert only.rel_path == "manual.rst"
    assert only.path == tree / "docs" / "manual.rst"
    assert read_source(only).title == "User Manual"
    assert list(iter_source_files(tree / "README.md", exclude=["README*"])) == []


def test_single_unsupported_file_root_raises(tree: Path) -> None:
    with pytest.raises(SourceError, match=r"unsupported file type '\.png'"):
        list(iter_source_files(tree / "image.png"))


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        list(iter_source_files(tmp_path / "nope"))


def test_oversized_files_are_skipped_with_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with open(tmp_path / "huge.txt", "wb") as handle:  # sparse: instant to create, never read
        handle.truncate(MAX_FILE_BYTES + 1)
    (tmp_path / "small.txt").write_text("fine\n")
    with caplog.at_level(logging.WARNING, logger="ragyard.rag.sources"):
        assert _rel_paths(tmp_path) == ["small.txt"]
        assert _rel_paths(tmp_path, max_bytes=2) == []
    assert "huge.txt" in caplog.text and "byte limit" in caplog.text


def test_fingerprint_streams_sha256(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "blob.txt").write_bytes(data)
    assert fingerprint(tmp_path / "blob.txt") == hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------------------------ reading


@pytest.mark.parametrize(
    ("rel_path", "message"),
    [
        ("bad/empty.txt", r"^bad/empty\.txt: empty file \(0 bytes\)$"),
        ("bad/blank.md", r"^bad/blank\.md: empty file \(whitespace only\)$"),
        (
            "bad/latin1.txt",
            r"^bad/latin1\.txt: not valid UTF-8 \(byte 0xe9 at offset 3\); re-save it as UTF-8$",
        ),
        ("bad/binary.txt", r"^bad/binary\.txt: binary file \(contains NUL bytes\), not text$"),
    ],
)
def test_bad_files_raise_source_error(tree: Path, rel_path: str, message: str) -> None:
    source = {s.rel_path: s for s in iter_source_files(tree)}[rel_path]
    with pytest.raises(SourceError, match=message) as info:
        read_source(source)
    assert "\n" not in str(info.value)


def test_unreadable_file_raises_source_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = next(iter_source_files(tree, include=["notes.txt"]))

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sources, "open", denied, raising=False)
    with pytest.raises(SourceError, match=r"^notes\.txt: cannot read file: permission denied$"):
        read_source(source)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read mode 000 files")
def test_unreadable_file_for_real(tree: Path) -> None:
    path = tree / "notes.txt"
    path.chmod(0)
    try:
        [source] = iter_source_files(path)
        assert source.sha256 == ""
        with pytest.raises(SourceError, match="permission denied"):
            read_source(source)
    finally:
        path.chmod(0o644)


def test_vanished_file_raises_source_error(tree: Path) -> None:
    source = next(iter_source_files(tree, include=["notes.txt"]))
    (tree / "notes.txt").unlink()
    with pytest.raises(SourceError, match="no longer exists"):
        read_source(source)


def test_utf8_bom_is_accepted_and_dropped(tmp_path: Path) -> None:
    (tmp_path / "bom.md").write_bytes(b"\xef\xbb\xbf# Caf\xc3\xa9 Title\n\nBody.\n")
    doc = read_source(next(iter_source_files(tmp_path)))
    assert doc.text.startswith("# Café Title")
    assert doc.title == "Café Title"


def _docs(tree: Path) -> dict[str, SourceDocument]:
    return {s.rel_path: read_source(s) for s in iter_source_files(tree, exclude=["bad/*"])}


def test_titles(tree: Path) -> None:
    docs = _docs(tree)
    assert docs["README.md"].title == "Install Guide"  # not the fenced shell comment, not the intro
    assert docs["docs/manual.rst"].title == "User Manual"
    assert docs["docs/page.html"].title == "Release Notes"
    assert docs["docs/plain.htm"].title == "Only H1"
    assert docs["src/app.py"].title == "src/app.py"
    notes_title = docs["notes.txt"].title
    assert notes_title.startswith("Shopping list for the week xxx")
    assert len(notes_title) == 120


def test_title_fallbacks(tmp_path: Path) -> None:
    (tmp_path / "untitled.md").write_text("no heading here\n\n## only level two\n")
    (tmp_path / "loose.rst").write_text("\n\nJust a first line\nand more\n")
    (tmp_path / "short.rst").write_text(".. comment\n\nShort Underline\n~~~~\n\ntext\n")
    (tmp_path / "bare.html").write_text("<p>no title, no h1</p>")
    titles = {s.rel_path: read_source(s).title for s in iter_source_files(tmp_path)}
    assert titles == {
        "bare.html": "bare",
        "loose.rst": "Just a first line",
        "short.rst": "Short Underline",
        "untitled.md": "untitled",
    }


def test_html_becomes_visible_text(tree: Path) -> None:
    text = _docs(tree)["docs/page.html"].text
    assert "do-not-index" not in text and "color: red" not in text and "hidden" not in text
    assert "Enable JavaScript" not in text
    blocks = text.split("\n\n")
    assert blocks[:5] == [
        "Version 2.0",
        "This release adds hybrid search and faster indexing.",
        "Fixes",
        "Crash on empty files",
        "Slow & noisy logs",
    ]
    assert "ragyard index ./docs\n    --chunk-size 800" in text, "<pre> keeps its layout"
    assert "Release Notes" not in text, "the <title> is the title, not body text"


def test_html_to_text_line_breaks_and_empty_page() -> None:
    assert html_to_text("<p>one<br>two<br/>three</p>") == ("one\ntwo\nthree", "")
    assert html_to_text("<html><head><title>T</title><body><p>unclosed head") == ("unclosed head", "T")


def test_html_without_visible_text_raises(tmp_path: Path) -> None:
    (tmp_path / "empty.html").write_text("<html><head><script>x()</script></head><body> </body></html>")
    with pytest.raises(SourceError, match="no visible text"):
        read_source(next(iter_source_files(tmp_path)))


def test_read_source_refreshes_hash_when_file_changed(tree: Path) -> None:
    source = next(iter_source_files(tree, include=["notes.txt"]))
    (tree / "notes.txt").write_text("Rewritten notes\n")
    doc = read_source(source)
    assert doc.text == "Rewritten notes\n"
    assert doc.source.sha256 == hashlib.sha256(b"Rewritten notes\n").hexdigest()
    assert doc.source.size == len("Rewritten notes\n")


# ------------------------------------------------------------------------------------------ chunks


def test_chunks_for_metadata(tree: Path) -> None:
    doc = _docs(tree)["README.md"]
    records = chunks_for(doc, chunk_size=400, chunk_overlap=80)
    assert len(records) >= 3
    for i, record in enumerate(records):
        assert set(record) == {"id", "content", "metadata"}
        assert record["id"] == f"README.md#{i}"
        meta = record["metadata"]
        assert meta == {
            "path": "README.md",
            "title": "Install Guide",
            "chunk": i,
            "chunks": len(records),
            "kind": "markdown",
            "language": None,
            "start_line": meta["start_line"],
            "end_line": meta["end_line"],
            "sha256": hashlib.sha256(MARKDOWN.encode()).hexdigest(),
        }
        lines = doc.text.split("\n")[meta["start_line"] - 1 : meta["end_line"]]
        assert record["content"].split("\n")[0] in lines[0]
        assert record["content"].split("\n")[-1] in lines[-1]
        assert len(record["content"]) <= 400
    # Consecutive chunks overlap.
    for prev, cur in pairwise(records):
        assert prev["metadata"]["end_line"] >= cur["metadata"]["start_line"]


def test_chunks_for_code_and_html(tree: Path) -> None:
    docs = _docs(tree)
    [code] = chunks_for(docs["src/app.py"])
    assert code["metadata"]["kind"] == "code" and code["metadata"]["language"] == "python"
    assert code["content"] == PYTHON.strip()
    assert (code["metadata"]["start_line"], code["metadata"]["end_line"]) == (1, PYTHON.count("\n"))
    html = chunks_for(docs["docs/page.html"], chunk_size=60, chunk_overlap=10)
    assert all(r["metadata"]["kind"] == "html" for r in html)
    assert all("<" not in r["content"] for r in html)


def test_chunks_for_covers_long_document(tree: Path) -> None:
    doc = _docs(tree)["docs/manual.rst"]
    records = chunks_for(doc, chunk_size=200, chunk_overlap=40)
    joined = " ".join(r["content"] for r in records)
    for word in doc.text.split():
        assert word in joined


def test_chunks_for_bad_sizes(tree: Path) -> None:
    doc = _docs(tree)["notes.txt"]
    with pytest.raises(ConfigurationError):
        chunks_for(doc, chunk_size=100, chunk_overlap=100)
