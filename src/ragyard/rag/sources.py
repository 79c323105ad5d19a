"""Find the files of a folder that can be indexed, read them as text and cut them into chunks.

The pipeline is ``iter_source_files(root)`` -> ``read_source(source)`` -> ``chunks_for(document)``.
Walking never reads file contents except to hash them; every problem with one file's contents is
reported by :func:`read_source` as a :class:`~ragyard.errors.SourceError`, so a caller can skip that
file, report it and go on with the others.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import SourceError
from .chunking import Chunker

logger = logging.getLogger(__name__)

#: Files larger than this are skipped by :func:`iter_source_files` (with a warning).
MAX_FILE_BYTES = 10 * 1024 * 1024

#: Directory names never descended into (hidden names, starting with ".", are skipped as well).
SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".tox",
        "dist",
        "build",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)

#: Longest title taken from the first line of a plain text file.
MAX_TITLE_CHARS = 120

_READ_BLOCK = 1024 * 1024


class FileKind(NamedTuple):
    """How a suffix is read: ``kind`` is text, markdown, html or code; ``language`` is set for code."""

    kind: str
    language: str | None = None


def _code(language: str) -> FileKind:
    return FileKind("code", language)


#: Supported suffixes (lower case, matched case-insensitively) and how files with them are read.
SUPPORTED_SUFFIXES: dict[str, FileKind] = {
    ".txt": FileKind("text"),
    ".rst": FileKind("text"),
    ".md": FileKind("markdown"),
    ".markdown": FileKind("markdown"),
    ".html": FileKind("html"),
    ".htm": FileKind("html"),
    ".py": _code("python"),
    ".js": _code("javascript"),
    ".jsx": _code("javascript"),
    ".ts": _code("typescript"),
    ".tsx": _code("tsx"),
    ".java": _code("java"),
    ".go": _code("go"),
    ".rs": _code("rust"),
    ".c": _code("c"),
    ".h": _code("c"),
    ".cpp": _code("cpp"),
    ".hpp": _code("cpp"),
    ".cs": _code("csharp"),
    ".rb": _code("ruby"),
    ".php": _code("php"),
    ".sh": _code("bash"),
    ".sql": _code("sql"),
    ".toml": _code("toml"),
    ".yaml": _code("yaml"),
    ".yml": _code("yaml"),
    ".json": _code("json"),
    ".css": _code("css"),
    ".kt": _code("kotlin"),
    ".swift": _code("swift"),
    ".scala": _code("scala"),
    ".lua": _code("lua"),
    ".r": _code("r"),
}


@dataclass
class SourceFile:
    """A file found by :func:`iter_source_files`.

    ``rel_path`` is the POSIX path relative to the walked root (the file name when the root is a
    file); it is the file's stable identity in an index. ``size``/``mtime`` come from ``stat``;
    ``sha256`` is the hex digest of the bytes, or ``""`` if the file could not be read while walking
    (:func:`read_source` then raises :class:`SourceError`).
    """

    path: Path
    rel_path: str
    kind: str
    language: str | None
    size: int
    mtime: float
    sha256: str


@dataclass
class SourceDocument:
    """The text of a source file (HTML already converted to visible text) and its title.

    ``source`` describes the bytes that ``text`` was decoded from (``read_source`` refreshes
    ``size``, ``mtime`` and ``sha256`` if the file changed since it was found).
    """

    source: SourceFile
    text: str
    title: str


def kind_for(path: str | os.PathLike[str]) -> FileKind | None:
    """How a file with this name would be read, or None if its suffix is not supported."""
    return SUPPORTED_SUFFIXES.get(Path(path).suffix.lower())


def fingerprint(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of the file's bytes, read in 1 MiB blocks. OS errors propagate."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# Walking


def _matches(rel_path: str, patterns: list[str]) -> bool:
    """fnmatch-style, case-sensitive; ``*`` also matches ``/``; a pattern without ``/`` also matches
    the last path component; a leading ``**/`` also matches zero directories."""
    name = rel_path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if fnmatch.fnmatchcase(rel_path, pattern):
            return True
        if "/" not in pattern and fnmatch.fnmatchcase(name, pattern):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatchcase(rel_path, pattern[3:]):
            return True
    return False


def _dir_excluded(rel_dir: str, exclude: list[str]) -> bool:
    """A directory is pruned when an exclude pattern matches it or everything below it."""
    return _matches(rel_dir, exclude) or _matches(rel_dir + "/", exclude)


def _make_source(path: Path, rel_path: str, st: os.stat_result, file_kind: FileKind) -> SourceFile:
    try:
        sha256 = fingerprint(path)
    except OSError as exc:
        logger.warning("cannot read %s: %s", rel_path, exc.strerror or exc)
        sha256 = ""
    return SourceFile(
        path=path,
        rel_path=rel_path,
        kind=file_kind.kind,
        language=file_kind.language,
        size=st.st_size,
        mtime=st.st_mtime,
        sha256=sha256,
    )


def iter_source_files(
    root: str | os.PathLike[str],
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    follow_symlinks: bool = False,
    *,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[SourceFile]:
    """Yield the indexable files under ``root``, sorted by ``rel_path`` (code-point string order).

    * ``root`` may be a folder or a single file; a root that does not exist raises
      :class:`SourceError`, as does a single file with an unsupported suffix.
    * Only files whose suffix is in :data:`SUPPORTED_SUFFIXES` are yielded; others are skipped.
    * Hidden files and folders (name starting with ``.``) and :data:`SKIPPED_DIRS` are skipped.
    * ``include``: if given, a file is yielded only if one pattern matches its ``rel_path``;
      ``exclude``: a file or folder matching one pattern is skipped. Patterns are case-sensitive
      ``fnmatch`` globs on the POSIX ``rel_path`` where ``*`` also crosses ``/`` (``*.md`` matches
      ``docs/a.md``; ``drafts/*`` excludes everything under ``drafts``).
    * Symbolic links are skipped unless ``follow_symlinks``; when followed, each real directory is
      walked once, so a link to an ancestor (a loop) is skipped with a warning. Broken links are
      skipped.
    * Files larger than ``max_bytes`` are skipped with a warning.

    Files are hashed as they are yielded; nothing else is read.
    """
    base = Path(root)
    include = list(include) if include else None
    exclude = list(exclude) if exclude else []
    try:
        root_st = base.stat()
    except FileNotFoundError:
        raise SourceError(f"source path does not exist: {base}") from None
    except OSError as exc:
        raise SourceError(f"cannot access source path {base}: {exc.strerror or exc}") from None

    if not stat.S_ISDIR(root_st.st_mode):
        file_kind = kind_for(base)
        if file_kind is None:
            raise SourceError(
                f"unsupported file type {base.suffix or '(no suffix)'!r}: {base} "
                f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
            )
        if not stat.S_ISREG(root_st.st_mode):
            raise SourceError(f"not a regular file: {base}")
        rel_path = base.name
        if (include is not None and not _matches(rel_path, include)) or _matches(rel_path, exclude):
            return
        if root_st.st_size > max_bytes:
            logger.warning(
                "skipping %s: %d bytes is over the %d byte limit", base, root_st.st_size, max_bytes
            )
            return
        yield _make_source(base, rel_path, root_st, file_kind)
        return

    visited: set[tuple[int, int]] = {(root_st.st_dev, root_st.st_ino)}
    yield from _walk(base, "", include, exclude, follow_symlinks, max_bytes, visited)


def _walk(
    directory: Path,
    rel_dir: str,
    include: list[str] | None,
    exclude: list[str],
    follow_symlinks: bool,
    max_bytes: int,
    visited: set[tuple[int, int]],
) -> Iterator[SourceFile]:
    try:
        with os.scandir(directory) as scan:
            entries = list(scan)
    except OSError as exc:
        logger.warning("cannot list %s: %s", directory, exc.strerror or exc)
        return

    items: list[tuple[str, os.DirEntry[str], os.stat_result, bool]] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        rel_path = f"{rel_dir}{entry.name}"
        try:
            rel_path.encode("utf-8")
        except UnicodeEncodeError:
            logger.warning("skipping %r: its name is not valid UTF-8", rel_path)
            continue
        try:
            is_link = entry.is_symlink()
            if is_link and not follow_symlinks:
                logger.debug("skipping symbolic link %s", rel_path)
                continue
            st = entry.stat(follow_symlinks=True)
        except FileNotFoundError:
            logger.debug("skipping broken symbolic link %s", rel_path)
            continue
        except OSError as exc:
            logger.warning("cannot stat %s: %s", rel_path, exc.strerror or exc)
            continue
        is_dir = stat.S_ISDIR(st.st_mode)
        # Sorting a folder's entries by name (with "/" after folder names) yields rel_paths in order.
        items.append((rel_path + "/" if is_dir else rel_path, entry, st, is_dir))
    items.sort(key=lambda item: item[0])

    for key, entry, st, is_dir in items:
        if is_dir:
            rel_path = key[:-1]
            if entry.name in SKIPPED_DIRS or _dir_excluded(rel_path, exclude):
                continue
            identity = (st.st_dev, st.st_ino)
            if identity in visited:
                logger.warning(
                    "skipping %s: directory already walked (a symbolic link loop or a second link to it)",
                    rel_path,
                )
                continue
            visited.add(identity)
            yield from _walk(Path(entry.path), key, include, exclude, follow_symlinks, max_bytes, visited)
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        file_kind = kind_for(entry.name)
        if file_kind is None:
            continue
        if include is not None and not _matches(key, include):
            continue
        if _matches(key, exclude):
            continue
        if st.st_size > max_bytes:
            logger.warning("skipping %s: %d bytes is over the %d byte limit", key, st.st_size, max_bytes)
            continue
        yield _make_source(Path(entry.path), key, st, file_kind)


# ---------------------------------------------------------------------------------------------------
# Reading


_BREAK = "\0"  # a <br> in the collected text (NUL never occurs in accepted input)


class _HTMLText(HTMLParser):
    """Collects the visible text of an HTML page: blocks become paragraphs, script/style are dropped."""

    _HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})
    _BLOCKS = frozenset(
        {
            "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
            "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
            "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section",
            "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.title = ""
        self.first_h1 = ""
        self._buffer: list[str] = []
        self._pre: list[str] = []
        self._hidden_depth = 0
        self._pre_depth = 0
        self._in_title = False
        self._h1_depth = 0
        self._title_parts: list[str] = []
        self._h1_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._HIDDEN:
            self._hidden_depth += 1
        elif self._pre_depth:
            if tag == "pre":
                self._pre_depth += 1
            elif tag == "br":
                self._pre.append("\n")
        elif tag == "br":
            self._buffer.append(_BREAK)
        elif tag in self._BLOCKS:
            self._flush()
            if tag == "pre":
                self._pre_depth = 1
            elif tag == "h1":
                self._h1_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            if self._pre_depth:
                self._pre.append("\n")
            elif not self._hidden_depth and not self._in_title:
                self._buffer.append(_BREAK)
        elif tag in self._BLOCKS and not self._pre_depth:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            if not self.title:
                self.title = _collapse("".join(self._title_parts))
        elif tag in self._HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif self._pre_depth:
            if tag == "pre":
                self._pre_depth -= 1
                if not self._pre_depth:
                    block = "\n".join(line.rstrip() for line in "".join(self._pre).split("\n"))
                    self._pre = []
                    if block.strip():
                        self.blocks.append(block.strip("\n"))
        elif tag in self._BLOCKS:
            self._flush()
            if tag == "h1" and self._h1_depth:
                self._h1_depth -= 1
                if not self.first_h1:
                    self.first_h1 = _collapse("".join(self._h1_parts))
                self._h1_parts = []

    def handle_data(self, data: str) -> None:
        data = data.replace(_BREAK, "")
        if self._in_title:
            self._title_parts.append(data)
        elif self._hidden_depth:
            return
        elif self._pre_depth:
            self._pre.append(data)
        else:
            if self._h1_depth:
                self._h1_parts.append(data)
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        if self._pre:
            self._buffer.append("".join(self._pre).replace("\n", _BREAK))  # unclosed <pre>: keep text
            self._pre = []
        self._flush()

    def _flush(self) -> None:
        lines = (_collapse(line) for line in "".join(self._buffer).split(_BREAK))
        self._buffer = []
        block = "\n".join(line for line in lines if line)
        if block:
            self.blocks.append(block)


def _collapse(text: str) -> str:
    """Collapse runs of whitespace to single spaces and strip the ends."""
    return " ".join(text.split())


def html_to_text(html: str) -> tuple[str, str]:
    """Return ``(visible_text, title)`` of an HTML page.

    Text of ``script``, ``style``, ``noscript``, ``template`` and ``svg`` is dropped; block elements
    (headings, paragraphs, list items, table cells, ...) are separated by a blank line; ``<br>`` is a
    line break; whitespace is collapsed except inside ``<pre>``. The title is the ``<title>`` text,
    else the first ``<h1>``, else ``""``.
    """
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "\n\n".join(parser.blocks), parser.title or parser.first_h1


_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RST_UNDERLINE = re.compile(r"""^([=\-~`:'"^_*+#<>.!$%&,/;?@\\|])\1+\s*$""")


def _markdown_title(text: str) -> str | None:
    """First ATX level-1 heading (``# Title``) outside fenced code blocks."""
    fence: str | None = None
    for line in text.splitlines():
        marker = _FENCE.match(line)
        if fence is not None:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
            continue
        if marker:
            fence = marker.group(1)
            continue
        heading = _ATX_H1.match(line)
        if heading and heading.group(1).strip():
            return heading.group(1).strip()
    return None


def _rst_title(text: str) -> str | None:
    """First line followed by an adornment line (``===``, ``---``, ``~~~``... of one repeated character)."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        candidate = line.strip()
        if not candidate or _RST_UNDERLINE.match(line) or line[:1].isspace():
            continue
        underline = lines[i + 1].rstrip()
        # docutils accepts (with a warning) an underline shorter than the title; so do we, from 3 chars.
        if _RST_UNDERLINE.match(underline) and len(underline) >= min(len(candidate), 3):
            return candidate
    return None


def _first_line_title(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:MAX_TITLE_CHARS].rstrip()
    return None


def _title(source: SourceFile, text: str) -> str:
    stem = source.path.stem or source.rel_path
    if source.kind == "code":
        return source.rel_path
    if source.kind == "markdown":
        return _markdown_title(text) or stem
    if source.path.suffix.lower() == ".rst":
        return _rst_title(text) or _first_line_title(text) or stem
    return _first_line_title(text) or stem


def read_source(source: SourceFile) -> SourceDocument:
    """Read and decode one source file.

    Raises :class:`SourceError` (one-line message starting with the ``rel_path``) when the file cannot
    be read (permission, vanished), is empty or whitespace only, contains NUL bytes (binary), or is not
    valid UTF-8 (a UTF-8 byte order mark is accepted and dropped). HTML becomes its visible text
    (see :func:`html_to_text`). The title is: markdown, the first ``# `` heading; reStructuredText,
    the first underlined line; HTML, ``<title>`` or the first ``<h1>``; code, the ``rel_path``; other
    text, the first non-empty line cut to 120 characters; falling back to the file stem.
    """
    name = source.rel_path
    try:
        with open(source.path, "rb") as handle:
            st = os.fstat(handle.fileno())
            data = handle.read()
    except PermissionError:
        raise SourceError(f"{name}: cannot read file: permission denied") from None
    except FileNotFoundError:
        raise SourceError(f"{name}: cannot read file: it no longer exists") from None
    except IsADirectoryError:
        raise SourceError(f"{name}: cannot read file: it is a directory") from None
    except OSError as exc:
        raise SourceError(f"{name}: cannot read file: {exc.strerror or exc}") from None

    if not data:
        raise SourceError(f"{name}: empty file (0 bytes)")
    if b"\0" in data:
        raise SourceError(f"{name}: binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{name}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8"
        ) from None
    if not text.strip():
        raise SourceError(f"{name}: empty file (whitespace only)")

    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != source.sha256 or st.st_size != source.size:
        source = replace(source, size=st.st_size, mtime=st.st_mtime, sha256=sha256)

    if source.kind == "html":
        text, title = html_to_text(text)
        if not text.strip():
            raise SourceError(f"{name}: HTML page has no visible text")
        return SourceDocument(source=source, text=text, title=title or source.path.stem or name)
    return SourceDocument(source=source, text=text, title=_title(source, text))


# ---------------------------------------------------------------------------------------------------
# Chunking


def chunks_for(doc: SourceDocument, chunk_size: int = 1000, chunk_overlap: int = 150) -> list[dict[str, Any]]:
    """Chunk a document into records ready for a store, in text order.

    Each record is ``{"id": f"{rel_path}#{index}", "content": text, "metadata": {...}}`` with
    metadata keys ``path`` (rel_path), ``title``, ``chunk`` (0-based index), ``chunks`` (total),
    ``kind``, ``language`` (None unless code), ``start_line``/``end_line`` (1-based, inclusive, in
    ``doc.text``, which for HTML is the extracted text) and ``sha256`` (of the file's bytes).
    Markdown is split with the Markdown splitter, code with code settings, everything else as text.
    Bad sizes raise :class:`~ragyard.errors.ConfigurationError`.
    """
    source = doc.source
    kind = source.kind if source.kind in ("markdown", "code") else "text"
    chunks = Chunker(chunk_size, chunk_overlap, kind, language=source.language).split(doc.text)
    total = len(chunks)
    return [
        {
            "id": f"{source.rel_path}#{chunk.index}",
            "content": chunk.text,
            "metadata": {
                "path": source.rel_path,
                "title": doc.title,
                "chunk": chunk.index,
                "chunks": total,
                "kind": source.kind,
                "language": source.language,
                "start_line": chunk.start_line,
                "end_line": chunk.end_line,
                "sha256": source.sha256,
            },
        }
        for chunk in chunks
    ]


__all__ = [
    "MAX_FILE_BYTES",
    "SKIPPED_DIRS",
    "SUPPORTED_SUFFIXES",
    "FileKind",
    "SourceDocument",
    "SourceFile",
    "chunks_for",
    "fingerprint",
    "html_to_text",
    "iter_source_files",
    "kind_for",
    "read_source",
]
