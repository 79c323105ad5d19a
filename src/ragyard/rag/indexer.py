"""Index a folder into a RAG collection, incrementally.

Each file becomes chunks (see :mod:`ragyard.rag.sources`); each chunk is a document whose metadata
carries ``path`` (relative to the indexed folder), ``source`` (absolute path), ``title``, ``chunk``,
``chunks``, ``kind``, ``language``, ``start_line``, ``end_line`` and ``sha256`` (of the file).

Re-indexing the same folder:
- a file whose content hash is unchanged is skipped (nothing is read twice or embedded again);
- a changed file has all its old chunks replaced by the new ones in the same transaction;
- a file that disappeared (or became unreadable/empty) has its chunks removed;
- a file that cannot be read is reported in ``IndexReport.errors`` and the run goes on.
Changed files are written in groups, each group in one transaction, so an interrupted run leaves every
file either fully old or fully new.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SourceError
from .rag import SQLRAG
from .sources import SourceFile, chunks_for, iter_source_files, read_source

logger = logging.getLogger(__name__)

#: chunks embedded and written per transaction
GROUP_CHUNKS = 2000


@dataclass
class IndexReport:
    """What an indexing run did (paths are relative to the indexed folder)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": len(self.unchanged),
            "removed": self.removed,
            "errors": [{"path": p, "error": e} for p, e in self.errors],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
        }


def _indexed_sources(rag: SQLRAG) -> dict[str, tuple[str, str]]:
    """source -> (sha256, path) of every indexed file in the collection."""
    rows = rag.store.distinct_metadata(rag.collection, ["source", "sha256", "path"])
    return {r[0]: (r[1], r[2]) for r in rows if r[0]}


def index_folder(
    rag: SQLRAG,
    root: str | os.PathLike[str],
    *,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    show_progress: bool = False,
) -> IndexReport:
    """Index (or re-index) every supported file under ``root`` into ``rag``'s collection."""
    started = time.perf_counter()
    report = IndexReport()
    root_path = Path(root).expanduser().resolve()
    files = list(iter_source_files(root_path, include=include, exclude=exclude))
    indexed = _indexed_sources(rag)
    prefix = str(root_path) if root_path.is_dir() else str(root_path.parent)
    seen: set[str] = set()
    pending: list[tuple[SourceFile, list[dict[str, Any]]]] = []
    pending_chunks = 0
    broken: list[str] = []

    def flush() -> None:
        nonlocal pending, pending_chunks
        if not pending:
            return
        docs = [c for _, chunks in pending for c in chunks]
        sources = [str(f.path.resolve()) for f, _ in pending]
        rag.loader.load_documents_batch(docs, show_progress=show_progress, replace_filter={"source": {"$in": sources}})
        report.chunks_written += len(docs)
        for f, _ in pending:
            (report.updated if str(f.path.resolve()) in indexed else report.added).append(f.rel_path)
        pending, pending_chunks = [], 0

    for source in files:
        key = str(source.path.resolve())
        seen.add(key)
        old = indexed.get(key)
        if old is not None and source.sha256 and old[0] == source.sha256:
            report.unchanged.append(source.rel_path)
            continue
        try:
            doc = read_source(source)
        except SourceError as exc:
            report.errors.append((source.rel_path, str(exc)))
            logger.warning("skipped %s", exc)
            if old is not None:
                broken.append(key)
            continue
        chunks = chunks_for(doc, chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        for c in chunks:
            c["id"] = f"{key}#{c['metadata']['chunk']}"
            c["metadata"]["source"] = key
        pending.append((doc.source, chunks))
        pending_chunks += len(chunks)
        if pending_chunks >= GROUP_CHUNKS:
            flush()
    flush()
    gone = [s for s in indexed if s not in seen and (s.startswith(prefix + os.sep) or s == prefix)]
    gone.extend(broken)
    if gone:
        rag.store.delete(rag.collection, filter={"source": {"$in": gone}})
        report.removed.extend(indexed[s][1] or s for s in gone if s not in broken)
    report.seconds = time.perf_counter() - started
    logger.info(
        "indexed %s: %d added, %d updated, %d unchanged, %d removed, %d errors",
        root_path,
        len(report.added),
        len(report.updated),
        len(report.unchanged),
        len(report.removed),
        len(report.errors),
    )
    return report


__all__ = ["GROUP_CHUNKS", "IndexReport", "index_folder"]
