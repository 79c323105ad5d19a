"""Embedding caches: vectors keyed by (model name, BLAKE2b-16 digest of the UTF-8 text).

Contract of an :class:`EmbeddingCache`:

- ``get_many(model, hashes)`` returns ``{hash: vector}`` for the hashes it holds (missing ones are
  simply absent); vectors are float32 1-D arrays owned by the caller.
- ``put_many(model, {hash: vector})`` stores (or replaces) entries.
- Implementations are safe to call from several threads.

:class:`SQLiteEmbeddingCache` keeps its entries in its own table ``ragyard_embedding_cache`` of the
SQLite file it is given, so it may share the database file of a store: it creates nothing else, uses
WAL mode, short transactions and a busy timeout. A lock that outlasts the timeout raises
:class:`~ragyard.errors.StoreLockedError`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from hashlib import blake2b
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigurationError, StoreLockedError

logger = logging.getLogger(__name__)

TABLE = "ragyard_embedding_cache"
_SQL_CHUNK = 500  # bound parameters per SELECT ... IN (...)


def text_hash(text: str) -> bytes:
    """Cache key of a text: the 16-byte BLAKE2b digest of its UTF-8 encoding."""
    return blake2b(text.encode("utf-8"), digest_size=16).digest()


@runtime_checkable
class EmbeddingCache(Protocol):
    """Where :class:`~ragyard.embed.service.EmbeddingService` keeps vectors it has computed."""

    def get_many(self, model: str, hashes: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """The cached vectors among ``hashes`` for ``model``."""
        ...

    def put_many(self, model: str, vectors: Mapping[bytes, np.ndarray]) -> None:
        """Store vectors for ``model``."""
        ...


class MemoryEmbeddingCache:
    """In-process cache; ``max_entries`` (None = unbounded) evicts the least recently used entries."""

    def __init__(self, max_entries: int | None = None) -> None:
        if max_entries is not None and max_entries <= 0:
            raise ConfigurationError(f"max_entries must be positive or None, got {max_entries!r}")
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[str, bytes], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, model: str, hashes: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """See :class:`EmbeddingCache`."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for h in hashes:
                vec = self._data.get((model, h))
                if vec is not None:
                    self._data.move_to_end((model, h))
                    found[h] = vec.copy()
        return found

    def put_many(self, model: str, vectors: Mapping[bytes, np.ndarray]) -> None:
        """See :class:`EmbeddingCache`."""
        with self._lock:
            for h, vec in vectors.items():
                self._data[(model, h)] = np.array(vec, dtype=np.float32).reshape(-1)
                self._data.move_to_end((model, h))
            if self.max_entries is not None:
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class SQLiteEmbeddingCache:
    """Persistent cache in table ``ragyard_embedding_cache`` of the SQLite file ``path``.

    Vectors are stored as little-endian float32 blobs next to their ``dim``; a row whose blob does
    not match its ``dim`` is ignored. ``timeout`` is the busy timeout in seconds.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._setup()

    def _setup(self) -> None:
        conn = self._connection()
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode and str(mode[0]).lower() not in ("wal", "memory"):
                logger.debug("embedding cache %s: journal mode is %s", self.path, mode[0])
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                "model TEXT NOT NULL, hash BLOB NOT NULL, dim INT NOT NULL, vector BLOB NOT NULL, "
                "PRIMARY KEY (model, hash))"
            )
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ConfigurationError(f"embedding cache {self.path} is closed")
        return self._conn

    def _translate(self, exc: sqlite3.OperationalError) -> Exception:
        msg = str(exc).lower()
        if "locked" in msg or "busy" in msg:
            return StoreLockedError(f"embedding cache {self.path} is locked: {exc}")
        return exc

    def get_many(self, model: str, hashes: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """See :class:`EmbeddingCache`."""
        keys = list(dict.fromkeys(bytes(h) for h in hashes))
        found: dict[bytes, np.ndarray] = {}
        if not keys:
            return found
        with self._lock:
            conn = self._connection()
            try:
                for start in range(0, len(keys), _SQL_CHUNK):
                    chunk = keys[start : start + _SQL_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows = conn.execute(
                        f"SELECT hash, dim, vector FROM {TABLE} WHERE model = ? AND hash IN ({marks})",
                        [model, *chunk],
                    ).fetchall()
                    for h, dim, blob in rows:
                        if len(blob) != 4 * int(dim):
                            continue
                        found[bytes(h)] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
            except sqlite3.OperationalError as exc:
                raise self._translate(exc) from exc
        return found

    def put_many(self, model: str, vectors: Mapping[bytes, np.ndarray]) -> None:
        """See :class:`EmbeddingCache`. All rows are written in one short transaction."""
        rows = []
        for h, vec in vectors.items():
            arr = np.ascontiguousarray(np.asarray(vec, dtype="<f4").reshape(-1))
            rows.append((model, bytes(h), int(arr.shape[0]), arr.tobytes()))
        if not rows:
            return
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(
                        f"INSERT OR REPLACE INTO {TABLE} (model, hash, dim, vector) VALUES (?, ?, ?, ?)", rows
                    )
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                raise self._translate(exc) from exc

    def count(self, model: str | None = None) -> int:
        """Number of cached vectors (for one model, or in total)."""
        with self._lock:
            conn = self._connection()
            if model is None:
                return int(conn.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0])
            return int(conn.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE model = ?", (model,)).fetchone()[0])

    def clear(self, model: str | None = None) -> None:
        """Delete cached vectors (of one model, or all of them)."""
        with self._lock:
            conn = self._connection()
            if model is None:
                conn.execute(f"DELETE FROM {TABLE}")
            else:
                conn.execute(f"DELETE FROM {TABLE} WHERE model = ?", (model,))

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SQLiteEmbeddingCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteEmbeddingCache({self.path!r})"


__all__ = ["TABLE", "EmbeddingCache", "MemoryEmbeddingCache", "SQLiteEmbeddingCache", "text_hash"]
