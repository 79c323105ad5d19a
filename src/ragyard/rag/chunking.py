"""Split text into overlapping chunks at semantic boundaries.

The boundaries come from `semantic-text-splitter`_ (a Rust library with Python bindings): it cuts text
at the largest semantic unit that fits (Markdown headings and blocks, paragraphs, lines, sentences,
words, graphemes), so a chunk rarely starts or ends in the middle of a sentence.

Overlap is added here rather than by the library. The library's ``overlap=`` argument is a *maximum*
that is filled with units of the same semantic level the chunk was cut at; when the chunks are whole
paragraphs and no paragraph fits in the overlap window, consecutive chunks share nothing. ragyard
promises overlap, so it asks the library for chunk bodies of ``chunk_size - chunk_overlap`` characters
and prefixes every chunk after the first with up to ``chunk_overlap`` characters of the text before
it, starting at a line or sentence start (for code: a line start) when there is one in that window,
else at a word start.

Contract of :meth:`Chunker.split` (and :func:`chunk_text`), for any input string ``text``:

* every chunk satisfies ``chunk.text == text[chunk.start:chunk.end]`` (offsets are character offsets,
  not bytes), has no leading or trailing whitespace (code chunks keep the indentation of their first
  line) and is at most ``chunk_size`` characters long;
* chunks are in text order, ``index`` counts from 0, ``start`` strictly increases;
* together the chunks cover every non-whitespace character of ``text``;
* when ``chunk_overlap > 0``, each chunk after the first starts before the previous one ends (they share
  at most ``chunk_overlap`` characters), unless the two are separated by a run of at least
  ``chunk_overlap`` whitespace characters, where there is nothing to share;
* a chunk that would fit entirely in the next one's overlap window (typically a lone heading) is
  merged into the next chunk instead of being repeated;
* ``start_line``/``end_line`` count ``\n`` line breaks;
* empty or whitespace-only text gives ``[]``.

.. _semantic-text-splitter: https://github.com/benbrandt/text-splitter
"""

from __future__ import annotations

import bisect
import importlib
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from semantic_text_splitter import CodeSplitter, MarkdownSplitter, TextSplitter

from ..errors import ConfigurationError

logger = logging.getLogger(__name__)

#: The kinds :class:`Chunker` accepts. HTML is converted to text before chunking (see ``sources``).
CHUNK_KINDS: tuple[str, ...] = ("text", "markdown", "code")

# tree-sitter grammar packages that differ from the ``tree_sitter_<language>`` / ``language()`` pattern.
_TREE_SITTER_MODULES: dict[str, tuple[str, str]] = {
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "php": ("tree_sitter_php", "language_php"),
}

# Where an overlap prefix may start: in prose a line or sentence start, in code a non-blank line start.
_SEMANTIC_START = re.compile(r"(?:(?<=\n)|(?<=[.!?]\s))\S")
_LINE_START = re.compile(r"(?<=\n)(?=[ \t]*\S)")
_WORD_START = re.compile(r"(?<=\s)\S")
_NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class Chunk:
    """One chunk of a text.

    ``start``/``end`` are character offsets into the text that was split (``end`` exclusive), so
    ``text == source[start:end]``. ``start_line``/``end_line`` are the 1-based lines of the first
    and the last character of the chunk.
    """

    text: str
    index: int
    start: int
    end: int
    start_line: int
    end_line: int


class _Splitter(Protocol):
    def chunk_indices(self, text: str) -> list[tuple[int, str]]: ...


def _tree_sitter_language(language: str | None) -> Any | None:
    """The tree-sitter language object for ``language`` if its grammar wheel is installed, else None."""
    if not language:
        return None
    module_name, attr = _TREE_SITTER_MODULES.get(language, (f"tree_sitter_{language}", "language"))
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    factory = getattr(module, attr, None)
    if not callable(factory):
        return None
    try:
        return factory()
    except Exception as exc:  # a broken grammar wheel must not stop indexing: fall back to text
        logger.debug("tree-sitter grammar %s unusable: %s", module_name, exc)
        return None


class Chunker:
    """Splits text of one kind into overlapping :class:`Chunk` objects (see the module contract).

    ``chunk_size`` and ``chunk_overlap`` are in characters; ``0 <= chunk_overlap < chunk_size``.
    ``kind`` is ``"text"``, ``"markdown"`` (split at headings, blocks, then paragraphs) or ``"code"``
    (split at syntax-tree nodes with ``CodeSplitter`` when a tree-sitter grammar wheel for
    ``language`` is installed, otherwise at blank lines then lines; indentation is kept).
    Invalid settings raise :class:`~ragyard.errors.ConfigurationError`.

    A chunker is cheap to create and safe to reuse for many texts.
    """

    def __init__(
        self,
        chunk_size: int = 1000,
        chunk_overlap: int = 150,
        kind: str = "text",
        *,
        language: str | None = None,
    ) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ConfigurationError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        if isinstance(chunk_overlap, bool) or not isinstance(chunk_overlap, int) or chunk_overlap < 0:
            raise ConfigurationError(f"chunk_overlap must be a non-negative integer, got {chunk_overlap!r}")
        if chunk_overlap >= chunk_size:
            raise ConfigurationError(
                f"chunk_overlap ({chunk_overlap}) must be smaller than chunk_size ({chunk_size})"
            )
        if kind not in CHUNK_KINDS:
            hint = " (convert HTML to text first)" if kind == "html" else ""
            raise ConfigurationError(f"unknown chunk kind {kind!r}{hint}; expected one of {CHUNK_KINDS}")
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.kind = kind
        self.language = language
        body = chunk_size - chunk_overlap
        self.uses_tree_sitter = False
        splitter: _Splitter
        if kind == "markdown":
            splitter = MarkdownSplitter(body, overlap=0, trim=False)
        elif kind == "code" and (ts_language := _tree_sitter_language(language)) is not None:
            splitter = CodeSplitter(ts_language, body, overlap=0, trim=False)
            self.uses_tree_sitter = True
        else:
            # For code without a grammar the text splitter is a good fit: its highest levels are runs
            # of newlines, so it cuts between blank-line separated blocks (functions, classes) first.
            splitter = TextSplitter(body, overlap=0, trim=False)
        self._splitter = splitter

    def __repr__(self) -> str:
        return (
            f"Chunker(chunk_size={self.chunk_size}, chunk_overlap={self.chunk_overlap}, "
            f"kind={self.kind!r}, language={self.language!r})"
        )

    def split(self, text: str) -> list[Chunk]:
        """Split ``text`` into chunks; see the module docstring for the guarantees."""
        if not text or text.isspace():
            return []
        bodies: list[tuple[int, int]] = []
        for offset, piece in self._splitter.chunk_indices(text):
            span = self._tidy(text, offset, offset + len(piece))
            if span is not None:
                bodies.append(span)

        # (start, end, body_start): body_start is where the library's chunk began, before the prefix.
        spans: list[tuple[int, int, int]] = []
        for start, end in bodies:
            if not spans or not self.chunk_overlap:
                spans.append((start, end, start))
                continue
            prev_start, prev_end, prev_body = spans[-1]
            if start - self.chunk_overlap <= prev_body and end - prev_start <= self.chunk_size:
                # The whole previous chunk fits in this one's overlap window (typically a lone heading
                # before a long section): merge the two instead of repeating the small one.
                spans[-1] = (prev_start, end, prev_body)
                continue
            spans.append((self._overlap_start(text, prev_body, prev_end, start), end, start))

        newlines = [m.start() for m in re.finditer("\n", text)]
        return [
            Chunk(
                text=text[start:end],
                index=i,
                start=start,
                end=end,
                start_line=bisect.bisect_left(newlines, start) + 1,
                end_line=bisect.bisect_left(newlines, end - 1) + 1,
            )
            for i, (start, end, _body) in enumerate(spans)
        ]

    def _tidy(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Trim whitespace off a span (keeping the first line's indentation for code); None if blank."""
        first = _NON_SPACE.search(text, start, end)
        if first is None:
            return None
        new_start = first.start()
        if self.kind == "code":
            line_start = text.rfind("\n", start, new_start) + 1
            new_start = line_start if line_start > 0 else start
        new_end = end
        while text[new_end - 1].isspace():
            new_end -= 1
        return new_start, new_end

    def _overlap_start(self, text: str, prev_body: int, prev_end: int, start: int) -> int:
        """Where a chunk whose body starts at ``start`` begins once its overlap prefix is added.

        The prefix lies in ``[max(start - chunk_overlap, prev_body), start)`` and begins before
        ``prev_end``, where ``prev_body``/``prev_end`` delimit the previous chunk's body. It starts at
        the previous body's start if the window reaches it, else at the earliest line or sentence start
        in the window (for code: the earliest start of a non-blank line, indentation included), else
        at the earliest word start, else at the first non-space character (a cut inside one very long
        token). The result is always greater than the previous chunk's start.
        """
        low = max(start - self.chunk_overlap, prev_body)
        if low >= prev_end:
            return start  # only whitespace between the two chunks fits in the window
        if low == prev_body:
            return prev_body  # a semantic boundary chosen by the splitter (the caller checked it is new)
        semantic = _LINE_START if self.kind == "code" else _SEMANTIC_START
        found = (
            semantic.search(text, low, prev_end)
            or _WORD_START.search(text, low, prev_end)
            or _NON_SPACE.search(text, low, prev_end)
        )
        return start if found is None else found.start()


def chunk_text(
    text: str,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    kind: str = "text",
    *,
    language: str | None = None,
) -> list[Chunk]:
    """``Chunker(chunk_size, chunk_overlap, kind, language=language).split(text)``."""
    return Chunker(chunk_size, chunk_overlap, kind, language=language).split(text)


__all__ = ["CHUNK_KINDS", "Chunk", "Chunker", "chunk_text"]
