"""The embedded default store: one SQLite file (WAL mode) holding every collection.

Layout per collection (names configurable, see :class:`~ragyard.store.layout.TableLayout`):

- documents ``(id TEXT PRIMARY KEY, content TEXT NOT NULL, metadata TEXT JSON, created_at)``
- embeddings ``(id TEXT PRIMARY KEY, document_id TEXT, embedding BLOB float32 LE, model_name TEXT)``
- ``<documents>__fts``: an FTS5 index over the content (porter stemming), kept current by triggers in
  the same transaction as every write
- ``<embeddings>__log``: a change log filled by triggers (rowid + op); its sequence number is the
  collection's *generation*, which tells vector caches whether and how to catch up.

Catalog tables ``ragyard_meta`` (format version) and ``ragyard_collections`` (dimension, metric, model,
layout, ANN index definitions, epoch).

Dense search runs on an in-memory index built from the embeddings (exact numpy search by default, or a
persisted ANN index created with :meth:`SQLiteStore.create_index`). Those indexes are caches: each knows
the generation it reflects; a stale one is caught up from the change log (or rebuilt when the log was
compacted away or the file vacuumed). The database is always the truth.

Concurrency: any number of readers (threads or processes). One writer at a time: a second writer waits
up to ``busy_timeout`` seconds, then gets :class:`~ragyard.errors.StoreLockedError`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (
    CollectionNotFoundError,
    ConfigurationError,
    ConflictError,
    DimensionMismatchError,
    FilterError,
    FormatVersionError,
    LoaderError,
    QueryError,
    RagyardError,
    StoreLockedError,
    ValidationError,
)
from ..index.base import VectorIndex, read_index_meta
from ..registry import BackendSpec, get_registry
from ..similarity import distance_to_score, normalize_metric
from ..types import CollectionInfo, DistanceMetric, SearchFilter, VectorPoint
from .base import FilterLike, Hit, PreparedBatch, VectorStore, check_collection_name
from .filters import SQLiteFilterCompiler
from .keyword import fts5_query
from .layout import TableLayout, quote_ident

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
_CHUNK = 5000  # ids per IN (...) list
_CATCHUP_SAVE_ROWS = 1000  # persist a caught-up ANN index when at least this many rows changed


def _utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _locked(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg)


@dataclass
class _Collection:
    name: str
    dimension: int
    metric: str
    model_name: str | None
    layout: TableLayout
    config: dict[str, Any]
    created_at: str | None
    epoch: int
    log_floor: int

    @property
    def indexes(self) -> dict[str, dict[str, Any]]:
        return self.config.setdefault("indexes", {})


@dataclass
class _Cache:
    """An in-memory index and the state of the database it reflects."""

    index: VectorIndex
    epoch: int
    gen: int
    lock: threading.Lock = field(default_factory=threading.Lock)


class SQLiteStore(VectorStore):
    """SQLite-backed :class:`~ragyard.store.base.VectorStore` (see module docstring).

    ``path`` is a file path or ``":memory:"``. ``busy_timeout`` is how long a writer waits for another
    writer before failing. ``index_dir`` holds persisted ANN indexes (default: ``<path>.indexes``).
    """

    name = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str] = ":memory:",
        *,
        busy_timeout: float = 5.0,
        index_dir: str | os.PathLike[str] | None = None,
        text_field: str = "content",
    ):
        self.path = str(path)
        self.memory = self.path == ":memory:" or self.path.startswith("file::memory:")
        if not self.memory:
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.exists():
                raise ConfigurationError(f"folder of database {self.path!r} does not exist")
        self.busy_timeout = float(busy_timeout)
        self.text_field = text_field
        self.index_dir = Path(index_dir) if index_dir else (None if self.memory else Path(self.path + ".indexes"))
        self._local = threading.local()
        self._all_conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._mem_lock = threading.RLock()
        self._caches: dict[tuple[str, str, str], _Cache] = {}
        self._caches_lock = threading.Lock()
        self._closed = False
        with self._use() as conn:
            self._init_catalog(conn)

    # -- connections -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=self.path.startswith("file:"),
            )
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open SQLite database {self.path!r}: {exc}") from None
        try:
            if not self.memory:
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    logger.warning("SQLite journal mode is %s, not WAL", mode)
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _locked(exc):
                raise StoreLockedError(f"database {self.path} is locked: {exc}") from None
            raise ConfigurationError(f"{self.path!r} is not a usable SQLite database: {exc}") from None
        with self._conns_lock:
            self._all_conns.append(conn)
        return conn

    @contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise RagyardError("the store is closed")
        if self.memory:
            with self._mem_lock:
                conn = getattr(self, "_mem_conn", None)
                if conn is None:
                    conn = self._mem_conn = self._connect()
                yield conn
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        yield conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on any error)."""
        with self._use() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _locked(exc):
                    raise StoreLockedError(
                        f"database {self.path} is locked by another writer (waited {self.busy_timeout:g}s)"
                    ) from None
                raise
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                conn.execute("ROLLBACK")
                if isinstance(exc, RagyardError):
                    raise
                if _locked(exc):
                    raise StoreLockedError(f"database {self.path} is locked: {exc}") from None
                if isinstance(exc, sqlite3.IntegrityError):
                    raise ConflictError(f"write rejected by the database: {exc}") from None
                if isinstance(exc, sqlite3.Error):
                    raise LoaderError(f"write failed and was rolled back: {exc}") from None
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for everything read inside."""
        with self._use() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            except sqlite3.Error as exc:
                if _locked(exc):
                    raise StoreLockedError(f"database {self.path} is locked: {exc}") from None
                raise QueryError(f"query failed: {exc}") from None
            finally:
                conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._conns_lock:
            for conn in self._all_conns:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all_conns.clear()
        self._local = threading.local()
        self._mem_conn = None
        self._closed = True

    # -- catalog -----------------------------------------------------------------------------
    def _init_catalog(self, conn: sqlite3.Connection) -> None:
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='ragyard_meta'").fetchone()
        if exists:
            row = conn.execute("SELECT value FROM ragyard_meta WHERE key='format_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > FORMAT_VERSION:
                raise FormatVersionError(
                    f"{self.path} was written by a newer ragyard (format {version}; this version reads up to "
                    f"{FORMAT_VERSION}). Upgrade ragyard to open it."
                )
            if version == FORMAT_VERSION:
                return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _locked(exc):
                raise StoreLockedError(f"database {self.path} is locked by another writer") from None
            raise
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS ragyard_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute(
                "INSERT INTO ragyard_meta(key, value) VALUES ('format_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(FORMAT_VERSION),),
            )
            conn.execute(
                """CREATE TABLE IF NOT EXISTS ragyard_collections (
                    name TEXT PRIMARY KEY, dimension INTEGER NOT NULL, metric TEXT NOT NULL,
                    model_name TEXT, layout TEXT NOT NULL, config TEXT NOT NULL DEFAULT '{}',
                    created_at TEXT, epoch INTEGER NOT NULL DEFAULT 0, log_floor INTEGER NOT NULL DEFAULT 0)"""
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _load(self, conn: sqlite3.Connection, name: str) -> _Collection:
        row = conn.execute(
            "SELECT name, dimension, metric, model_name, layout, config, created_at, epoch, log_floor "
            "FROM ragyard_collections WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            raise CollectionNotFoundError(
                f"collection {name!r} does not exist in {self.path}; existing: {', '.join(self._names(conn)) or 'none'}"
            )
        return _Collection(
            name=row[0],
            dimension=int(row[1]),
            metric=row[2],
            model_name=row[3],
            layout=TableLayout.from_dict(json.loads(row[4])),
            config=json.loads(row[5] or "{}"),
            created_at=row[6],
            epoch=int(row[7]),
            log_floor=int(row[8]),
        )

    def _names(self, conn: sqlite3.Connection) -> list[str]:
        return [r[0] for r in conn.execute("SELECT name FROM ragyard_collections ORDER BY name")]

    def _collection(self, name: str) -> _Collection:
        with self._use() as conn:
            return self._load(conn, name)

    @staticmethod
    def _table_exists(conn: sqlite3.Connection, table: str) -> bool:
        return (
            conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (table,)
            ).fetchone()
            is not None
        )

    @staticmethod
    def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
        return {r[1] for r in conn.execute(f"PRAGMA table_info({quote_ident(table)})")}

    # -- collections -------------------------------------------------------------------------
    def create_collection(
        self,
        name: str,
        dimension: int,
        metric: str | DistanceMetric = "cosine",
        *,
        exist_ok: bool = False,
        layout: TableLayout | None = None,
        adopt: bool = False,
        model_name: str | None = None,
        **options: Any,
    ) -> CollectionInfo:
        """Create a collection (its tables, FTS index, triggers and catalog row) in one transaction.

        ``layout`` names the tables and columns (default: ``<name>`` and ``<name>_embeddings``).
        ``adopt=True`` accepts tables that exist already (with the layout's columns) and indexes their
        rows; otherwise an existing table raises ConflictError. ``exist_ok`` returns the existing
        collection when its dimension matches (a different dimension raises DimensionMismatchError).
        """
        check_collection_name(name)
        if options:
            raise ConfigurationError(f"unknown collection options: {', '.join(sorted(options))}")
        if not isinstance(dimension, (int, np.integer)) or dimension <= 0:
            raise ConfigurationError(f"dimension must be a positive integer, got {dimension!r}")
        metric_name = normalize_metric(metric)
        layout = layout or TableLayout.for_collection(name)
        with self._write() as conn:
            if name in self._names(conn):
                existing = self._load(conn, name)
                if not exist_ok:
                    raise ConflictError(f"collection {name!r} exists already")
                if existing.dimension != int(dimension):
                    raise DimensionMismatchError(existing.dimension, int(dimension), f"collection {name!r}")
                return self._info(conn, existing)
            self._create_tables(conn, layout, int(dimension), adopt)
            conn.execute(
                "INSERT INTO ragyard_collections(name, dimension, metric, model_name, layout, config, created_at) "
                "VALUES (?, ?, ?, ?, ?, '{}', ?)",
                (name, int(dimension), metric_name, model_name, json.dumps(layout.to_dict()), _utcnow()),
            )
            col = self._load(conn, name)
            return self._info(conn, col)

    def _create_tables(self, conn: sqlite3.Connection, lay: TableLayout, dim: int, adopt: bool) -> None:
        q = quote_ident
        docs, emb = q(lay.documents_table), q(lay.embeddings_table)
        did, dcontent = q(lay.documents_id_column), q(lay.documents_content_column)
        eid, edoc, evec = q(lay.embeddings_id_column), q(lay.embeddings_document_id_column), q(lay.embeddings_column)
        for table in (lay.documents_table, lay.embeddings_table):
            taken = conn.execute(
                "SELECT name FROM ragyard_collections WHERE layout LIKE ?", (f'%"{table}"%',)
            ).fetchall()
            for (other,) in taken:
                other_layout = self._load(conn, other).layout
                if table in (other_layout.documents_table, other_layout.embeddings_table):
                    raise ConflictError(f"table {table!r} already belongs to collection {other!r}")
        docs_exist = self._table_exists(conn, lay.documents_table)
        emb_exist = self._table_exists(conn, lay.embeddings_table)
        if (docs_exist or emb_exist) and not adopt:
            raise ConflictError(
                f"table {lay.documents_table if docs_exist else lay.embeddings_table!r} exists already "
                "(pass adopt=True to use existing tables)"
            )
        if docs_exist:
            need = {lay.documents_id_column, lay.documents_content_column}
            if lay.documents_metadata_column:
                need.add(lay.documents_metadata_column)
            missing = need - self._columns(conn, lay.documents_table)
            if missing:
                raise ConfigurationError(f"table {lay.documents_table!r} lacks columns: {', '.join(sorted(missing))}")
        else:
            meta_col = f"{q(lay.documents_metadata_column)} TEXT," if lay.documents_metadata_column else ""
            conn.execute(
                f"CREATE TABLE {docs} ({did} TEXT PRIMARY KEY, {dcontent} TEXT NOT NULL, {meta_col} "
                "created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
            )
        if emb_exist:
            need = {lay.embeddings_id_column, lay.embeddings_document_id_column, lay.embeddings_column}
            if lay.embeddings_model_column:
                need.add(lay.embeddings_model_column)
            missing = need - self._columns(conn, lay.embeddings_table)
            if missing:
                raise ConfigurationError(f"table {lay.embeddings_table!r} lacks columns: {', '.join(sorted(missing))}")
            row = conn.execute(f"SELECT length({evec}) FROM {emb} LIMIT 1").fetchone()
            if row is not None and row[0] != dim * 4:
                raise DimensionMismatchError(dim, int(row[0] or 0) // 4, f"existing table {lay.embeddings_table!r}")
        else:
            model_col = f", {q(lay.embeddings_model_column)} TEXT" if lay.embeddings_model_column else ""
            conn.execute(
                f"CREATE TABLE {emb} ({eid} TEXT PRIMARY KEY, {edoc} TEXT NOT NULL, {evec} BLOB NOT NULL{model_col})"
            )
        conn.execute(f"CREATE INDEX IF NOT EXISTS {q(lay.embeddings_table + '__document_id')} ON {emb}({edoc})")
        # keyword index: FTS5 over the content, external-content table kept current by triggers
        fts = q(lay.fts_table)
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({dcontent}, content={q(lay.documents_table)}, "
            "content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')"
        )
        t = lay.documents_table
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {q(t + '__fts_ai')} AFTER INSERT ON {docs} BEGIN "
            f"INSERT INTO {fts}(rowid, {dcontent}) VALUES (new.rowid, new.{dcontent}); END"
        )
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {q(t + '__fts_ad')} AFTER DELETE ON {docs} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {dcontent}) VALUES ('delete', old.rowid, old.{dcontent}); END"
        )
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {q(t + '__fts_au')} AFTER UPDATE OF {dcontent} ON {docs} "
            f"WHEN old.{dcontent} IS NOT new.{dcontent} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {dcontent}) VALUES ('delete', old.rowid, old.{dcontent}); "
            f"INSERT INTO {fts}(rowid, {dcontent}) VALUES (new.rowid, new.{dcontent}); END"
        )
        if docs_exist:
            conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        # change log: the generation counter of the vector caches
        log = q(lay.log_table)
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {log} (seq INTEGER PRIMARY KEY AUTOINCREMENT, erow INTEGER NOT NULL, "
            "op TEXT NOT NULL)"
        )
        e = lay.embeddings_table
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {q(e + '__log_ai')} AFTER INSERT ON {emb} BEGIN "
            f"INSERT INTO {log}(erow, op) VALUES (new.rowid, 'u'); END"
        )
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {q(e + '__log_au')} AFTER UPDATE ON {emb} BEGIN "
            f"INSERT INTO {log}(erow, op) VALUES (new.rowid, 'u'); END"
        )
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {q(e + '__log_ad')} AFTER DELETE ON {emb} BEGIN "
            f"INSERT INTO {log}(erow, op) VALUES (old.rowid, 'd'); END"
        )

    def list_collections(self) -> list[str]:
        with self._use() as conn:
            return self._names(conn)

    def has_collection(self, name: str) -> bool:
        with self._use() as conn:
            return conn.execute("SELECT 1 FROM ragyard_collections WHERE name = ?", (name,)).fetchone() is not None

    def dimension(self, name: str) -> int:
        with self._use() as conn:
            row = conn.execute("SELECT dimension FROM ragyard_collections WHERE name = ?", (name,)).fetchone()
            if row is None:
                self._load(conn, name)  # raises CollectionNotFoundError with the list of collections
            return int(row[0])

    def get_collection_info(self, name: str) -> CollectionInfo:
        with self._use() as conn:
            return self._info(conn, self._load(conn, name))

    def _info(self, conn: sqlite3.Connection, col: _Collection) -> CollectionInfo:
        lay = col.layout
        n_vec = conn.execute(f"SELECT count(*) FROM {quote_ident(lay.embeddings_table)}").fetchone()[0]
        n_docs = conn.execute(f"SELECT count(*) FROM {quote_ident(lay.documents_table)}").fetchone()[0]
        indexed = 0
        for idx_name in col.indexes:
            cache = self._caches.get((col.name, "ann", idx_name))
            if cache is not None:
                indexed = max(indexed, len(cache.index))
        return CollectionInfo(
            name=col.name,
            dimension=col.dimension,
            distance_metric=DistanceMetric(col.metric),
            vector_count=int(n_vec),
            indexed_vector_count=indexed,
            model_name=col.model_name,
            created_at=col.created_at,
            extra={"documents": int(n_docs), "layout": lay.to_dict(), "indexes": dict(col.indexes)},
        )

    def delete_collection(self, name: str) -> None:
        """Drop the collection's tables, FTS index, log, triggers, catalog row and index files."""
        with self._write() as conn:
            col = self._load(conn, name)
            lay = col.layout
            for table in (lay.fts_table, lay.log_table, lay.embeddings_table, lay.documents_table):
                conn.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
            conn.execute("DELETE FROM ragyard_collections WHERE name = ?", (name,))
        self._drop_caches(name)
        for idx_name in col.indexes:
            self._remove_index_files(name, idx_name)

    def _drop_caches(self, name: str) -> None:
        with self._caches_lock:
            for key in [k for k in self._caches if k[0] == name]:
                del self._caches[key]

    # -- writes ------------------------------------------------------------------------------
    def upsert_batch(
        self,
        collection: str,
        batch: PreparedBatch,
        *,
        model_name: str | None = None,
        replace_filter: FilterLike = None,
    ) -> list[str]:
        """Insert or replace a validated batch in one transaction (documents, embeddings, FTS, log).

        ``batch.vectors`` may be None to store documents without embeddings (their old embeddings are
        removed). ``replace_filter`` first deletes every document matching it, in the same transaction
        (used to replace all chunks of a changed file atomically).
        """
        from ..types import coerce_filter

        flt = coerce_filter(replace_filter)
        if not batch.ids and flt is None:
            return []
        with self._write() as conn:
            col = self._load(conn, collection)
            if batch.vectors is not None and batch.vectors.shape[1] != col.dimension:
                raise DimensionMismatchError(col.dimension, int(batch.vectors.shape[1]), f"collection {collection!r}")
            if batch.vectors is not None and model_name and col.model_name and model_name != col.model_name:
                raise ConfigurationError(
                    f"collection {collection!r} holds vectors from model {col.model_name!r}, not {model_name!r}; "
                    "use the same embedder or a new collection"
                )
            if batch.vectors is not None and model_name and not col.model_name:
                conn.execute("UPDATE ragyard_collections SET model_name = ? WHERE name = ?", (model_name, collection))
            lay = col.layout
            q = quote_ident
            docs, emb = q(lay.documents_table), q(lay.embeddings_table)
            did = q(lay.documents_id_column)
            edoc = q(lay.embeddings_document_id_column)
            if flt is not None:
                where, params = self._compile(col, flt, "d")
                stale = [(r[0],) for r in conn.execute(f"SELECT d.{did} FROM {docs} d WHERE {where}", params)]
                conn.executemany(f"DELETE FROM {emb} WHERE {edoc} = ?", stale)
                conn.executemany(f"DELETE FROM {docs} WHERE {did} = ?", stale)
            one_ids = [(i,) for i in batch.ids]
            conn.executemany(f"DELETE FROM {emb} WHERE {edoc} = ?", one_ids)
            conn.executemany(f"DELETE FROM {docs} WHERE {did} = ?", one_ids)
            if lay.documents_metadata_column:
                conn.executemany(
                    f"INSERT INTO {docs}({did}, {q(lay.documents_content_column)}, {q(lay.documents_metadata_column)}) "
                    "VALUES (?, ?, ?)",
                    zip(batch.ids, batch.contents, batch.metadata_json),
                )
            else:
                conn.executemany(
                    f"INSERT INTO {docs}({did}, {q(lay.documents_content_column)}) VALUES (?, ?)",
                    zip(batch.ids, batch.contents),
                )
            if batch.vectors is not None:
                self._insert_embeddings(conn, col, batch.ids, batch.vectors, model_name or col.model_name)
        return list(batch.ids)

    def set_embeddings(
        self, collection: str, ids: Sequence[str], vectors: Any, *, model_name: str | None = None
    ) -> int:
        """Store (replace) embeddings of existing documents in one transaction; returns how many."""
        from ..similarity import as_matrix

        keys = [str(i) for i in ids]
        with self._write() as conn:
            col = self._load(conn, collection)
            mat = as_matrix(vectors, col.dimension, where=f"collection {collection!r}")
            if len(keys) != mat.shape[0]:
                raise ValidationError(f"{len(keys)} ids for {mat.shape[0]} vectors")
            missing = set(keys) - self._existing_ids(conn, col, keys)
            if missing:
                from ..errors import DocumentNotFoundError

                raise DocumentNotFoundError(f"no document with id {sorted(missing)[0]!r} in {collection!r}")
            if model_name and col.model_name and model_name != col.model_name:
                raise ConfigurationError(f"collection {collection!r} holds vectors from model {col.model_name!r}")
            if model_name and not col.model_name:
                conn.execute("UPDATE ragyard_collections SET model_name = ? WHERE name = ?", (model_name, collection))
            edoc = quote_ident(col.layout.embeddings_document_id_column)
            conn.executemany(
                f"DELETE FROM {quote_ident(col.layout.embeddings_table)} WHERE {edoc} = ?", [(k,) for k in keys]
            )
            self._insert_embeddings(conn, col, keys, mat, model_name or col.model_name)
        return len(keys)

    def missing_embeddings(self, collection: str) -> list[str]:
        """Ids of documents that have no embedding."""
        with self._read() as conn:
            col = self._load(conn, collection)
            lay = col.layout
            q = quote_ident
            sql = (
                f"SELECT d.{q(lay.documents_id_column)} FROM {q(lay.documents_table)} d WHERE NOT EXISTS "
                f"(SELECT 1 FROM {q(lay.embeddings_table)} e WHERE e.{q(lay.embeddings_document_id_column)} = "
                f"d.{q(lay.documents_id_column)})"
            )
            return [r[0] for r in conn.execute(sql)]

    def _insert_embeddings(
        self, conn: sqlite3.Connection, col: _Collection, ids: Sequence[str], vectors: np.ndarray, model: str | None
    ) -> None:
        lay = col.layout
        q = quote_ident
        vec = np.ascontiguousarray(vectors, dtype="<f4")
        blobs = [row.tobytes() for row in vec]
        cols = [q(lay.embeddings_id_column), q(lay.embeddings_document_id_column), q(lay.embeddings_column)]
        if lay.embeddings_model_column:
            cols.append(q(lay.embeddings_model_column))
            rows: Any = zip(ids, ids, blobs, [model] * len(blobs))
        else:
            rows = zip(ids, ids, blobs)
        conn.executemany(
            f"INSERT INTO {q(lay.embeddings_table)}({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows
        )

    def distinct_metadata(self, collection: str, fields: Sequence[str]) -> list[tuple[Any, ...]]:
        """Distinct value tuples of metadata ``fields`` with their document count (last element)."""
        from .filters import sqlite_json_path

        with self._read() as conn:
            col = self._load(conn, collection)
            if not col.layout.documents_metadata_column:
                raise FilterError(f"collection {collection!r} has no metadata column")
            m = f"d.{quote_ident(col.layout.documents_metadata_column)}"
            exprs = [f"json_extract({m}, ?)" for _ in fields]
            params = [sqlite_json_path(f) for f in fields]
            sql = (
                f"SELECT {', '.join(exprs)}, count(*) FROM {quote_ident(col.layout.documents_table)} d "
                f"GROUP BY {', '.join(str(i + 1) for i in range(len(fields)))}"
            )
            return [tuple(r) for r in conn.execute(sql, params)]

    def delete(self, collection: str, ids: Sequence[str | int] | None = None, filter: FilterLike = None) -> int:
        """Delete documents (and their embeddings) by ids and/or filter; both given = both must hold.

        With neither, nothing is deleted and ValidationError is raised (use delete_collection)."""
        from ..types import coerce_filter

        flt = coerce_filter(filter)
        if ids is None and flt is None:
            raise ValidationError("delete() needs ids or a filter (use delete_collection to drop everything)")
        with self._write() as conn:
            col = self._load(conn, collection)
            lay = col.layout
            q = quote_ident
            docs, emb = q(lay.documents_table), q(lay.embeddings_table)
            did, edoc = q(lay.documents_id_column), q(lay.embeddings_document_id_column)
            if flt is not None:
                where, params = self._compile(col, flt, "d")
                sql = f"SELECT d.{did} FROM {docs} d WHERE {where}"
                targets = [r[0] for r in conn.execute(sql, params)]
                if ids is not None:
                    wanted = {str(i) for i in ids}
                    targets = [t for t in targets if t in wanted]
            else:
                targets = list(dict.fromkeys(str(i) for i in ids or []))
            existing = self._existing_ids(conn, col, targets)
            one = [(t,) for t in existing]
            conn.executemany(f"DELETE FROM {emb} WHERE {edoc} = ?", one)
            conn.executemany(f"DELETE FROM {docs} WHERE {did} = ?", one)
            return len(existing)

    @staticmethod
    def _existing_ids(conn: sqlite3.Connection, col: _Collection, ids: Sequence[str]) -> set[str]:
        lay = col.layout
        found: set[str] = set()
        did = quote_ident(lay.documents_id_column)
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            sql = f"SELECT {did} FROM {quote_ident(lay.documents_table)} WHERE {did} IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in conn.execute(sql, chunk))
        return found

    # -- reads -------------------------------------------------------------------------------
    def _compile(self, col: _Collection, flt: SearchFilter, alias: str) -> tuple[str, list[Any]]:
        if not col.layout.documents_metadata_column:
            raise FilterError(f"collection {col.name!r} has no metadata column to filter on")
        compiler = SQLiteFilterCompiler(f"{alias}.{quote_ident(col.layout.documents_metadata_column)}")
        return compiler.compile(flt)

    def _hit_select(self, col: _Collection) -> str:
        lay = col.layout
        q = quote_ident
        meta = f"d.{q(lay.documents_metadata_column)}" if lay.documents_metadata_column else "NULL"
        return f"d.{q(lay.documents_id_column)}, d.{q(lay.documents_content_column)}, {meta}"

    def _join(self, col: _Collection) -> str:
        lay = col.layout
        q = quote_ident
        return (
            f"{q(lay.embeddings_table)} e JOIN {q(lay.documents_table)} d "
            f"ON d.{q(lay.documents_id_column)} = e.{q(lay.embeddings_document_id_column)}"
        )

    @staticmethod
    def _meta(raw: Any) -> dict[str, Any]:
        if raw is None or raw == "":
            return {}
        if isinstance(raw, dict):
            return raw
        try:
            value = json.loads(raw)
        except (TypeError, ValueError):
            return {"_raw_metadata": raw}
        return value if isinstance(value, dict) else {"_metadata": value}

    def fetch_hits(self, collection: str, ids: Sequence[str]) -> dict[str, Hit]:
        """Documents by id (score 0), missing ids absent from the dict."""
        with self._read() as conn:
            col = self._load(conn, collection)
            return self._fetch_docs(conn, col, [str(i) for i in ids])

    def _fetch_docs(self, conn: sqlite3.Connection, col: _Collection, ids: Sequence[str]) -> dict[str, Hit]:
        lay = col.layout
        out: dict[str, Hit] = {}
        did = quote_ident(lay.documents_id_column)
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            sql = (
                f"SELECT {self._hit_select(col)} FROM {quote_ident(lay.documents_table)} d "
                f"WHERE d.{did} IN ({','.join('?' * len(chunk))})"
            )
            for doc_id, content, meta in conn.execute(sql, chunk):
                out[doc_id] = Hit(doc_id, content, self._meta(meta), 0.0)
        return out

    def get(self, collection: str, ids: Sequence[str | int], *, with_vectors: bool = False) -> list[VectorPoint]:
        """Stored points for ``ids`` in the order given (missing ids skipped)."""
        keys = [str(i) for i in ids]
        with self._read() as conn:
            col = self._load(conn, collection)
            docs = self._fetch_docs(conn, col, keys)
            vectors: dict[str, np.ndarray] = {}
            if with_vectors and docs:
                vectors = self._vectors_for(conn, col, list(docs))
        out = []
        for k in keys:
            hit = docs.get(k)
            if hit is None:
                continue
            payload = dict(hit.metadata)
            payload[self.text_field] = hit.content
            vec = vectors.get(k)
            out.append(
                VectorPoint(id=hit.id, vector=vec if vec is not None else np.empty(0, np.float32), payload=payload)
            )
        return out

    def get_vectors(self, collection: str, ids: Sequence[str | int]) -> dict[str, np.ndarray]:
        """Embedding vectors of the given document ids (missing ones absent)."""
        with self._read() as conn:
            col = self._load(conn, collection)
            return self._vectors_for(conn, col, [str(i) for i in ids])

    def _vectors_for(self, conn: sqlite3.Connection, col: _Collection, ids: Sequence[str]) -> dict[str, np.ndarray]:
        lay = col.layout
        q = quote_ident
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            sql = (
                f"SELECT {q(lay.embeddings_document_id_column)}, {q(lay.embeddings_column)} "
                f"FROM {q(lay.embeddings_table)} WHERE {q(lay.embeddings_document_id_column)} "
                f"IN ({','.join('?' * len(chunk))})"
            )
            for doc_id, blob in conn.execute(sql, chunk):
                out[doc_id] = self._decode(blob, col.dimension).reshape(-1)
        return out

    @staticmethod
    def _decode(blob: bytes, dim: int) -> np.ndarray:
        if blob is None or len(blob) != dim * 4:
            raise DimensionMismatchError(dim, (len(blob) if blob else 0) // 4, "stored embedding")
        return np.frombuffer(blob, dtype="<f4").reshape(1, dim)

    def count(self, collection: str, filter: FilterLike = None) -> int:
        from ..types import coerce_filter

        flt = coerce_filter(filter)
        with self._read() as conn:
            col = self._load(conn, collection)
            docs = quote_ident(col.layout.documents_table)
            if flt is None:
                return int(conn.execute(f"SELECT count(*) FROM {docs}").fetchone()[0])
            where, params = self._compile(col, flt, "d")
            return int(conn.execute(f"SELECT count(*) FROM {docs} d WHERE {where}", params).fetchone()[0])

    def filter_ids(self, collection: str, filter: FilterLike, limit: int | None = None) -> list[str]:
        """Ids of documents matching ``filter`` (all documents for None), in id order."""
        from ..types import coerce_filter

        flt = coerce_filter(filter)
        with self._read() as conn:
            col = self._load(conn, collection)
            did = quote_ident(col.layout.documents_id_column)
            where, params = ("1=1", []) if flt is None else self._compile(col, flt, "d")
            sql = f"SELECT d.{did} FROM {quote_ident(col.layout.documents_table)} d WHERE {where} ORDER BY d.{did}"
            if limit is not None:
                sql += " LIMIT ?"
                params = [*params, int(limit)]
            return [r[0] for r in conn.execute(sql, params)]

    def iter_documents(self, collection: str, batch_size: int = 1000) -> Iterator[Hit]:
        """Every document of the collection (id order), streamed in batches."""
        col = self._collection(collection)
        did = quote_ident(col.layout.documents_id_column)
        last: str | None = None
        while True:
            with self._read() as conn:
                where = f"WHERE d.{did} > ?" if last is not None else ""
                params = [last] if last is not None else []
                rows = conn.execute(
                    f"SELECT {self._hit_select(col)} FROM {quote_ident(col.layout.documents_table)} d {where} "
                    f"ORDER BY d.{did} LIMIT ?",
                    [*params, batch_size],
                ).fetchall()
            if not rows:
                return
            for doc_id, content, meta in rows:
                yield Hit(doc_id, content, self._meta(meta), 0.0)
            last = rows[-1][0]

    # -- dense search ------------------------------------------------------------------------
    def _state(self, conn: sqlite3.Connection, col: _Collection) -> int:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (col.layout.log_table,)).fetchone()
        return int(row[0]) if row else 0

    def _all_vectors(self, conn: sqlite3.Connection, col: _Collection, rowids: Sequence[int] | None = None):
        """(rowids int64, vectors float32 (n, dim)) of embeddings that have a document."""
        lay = col.layout
        base = f"SELECT e.rowid, e.{quote_ident(lay.embeddings_column)} FROM {self._join(col)}"
        rows: list[tuple[int, bytes]] = []
        if rowids is None:
            rows = conn.execute(base).fetchall()
        else:
            ids = list(rowids)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                rows.extend(conn.execute(f"{base} WHERE e.rowid IN ({','.join('?' * len(chunk))})", chunk))
        keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if not rows:
            return keys, np.empty((0, col.dimension), dtype=np.float32)
        width = col.dimension * 4
        bad = next((r for r in rows if r[1] is None or len(r[1]) != width), None)
        if bad is not None:
            raise DimensionMismatchError(col.dimension, len(bad[1] or b"") // 4, f"stored embedding rowid {bad[0]}")
        mat = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), col.dimension)
        return keys, mat

    def _index_path(self, collection: str, index_name: str) -> Path | None:
        if self.index_dir is None:
            return None
        return self.index_dir / collection / f"{index_name}.idx"

    def _remove_index_files(self, collection: str, index_name: str) -> None:
        path = self._index_path(collection, index_name)
        if path is None:
            return
        for p in path.parent.glob(path.name + "*"):
            try:
                p.unlink()
            except OSError:  # pragma: no cover
                logger.warning("could not remove index file %s", p)

    def _new_index(self, col: _Collection, backend: str, metric: str, params: dict[str, Any]) -> VectorIndex:
        return get_registry("indexes").create(backend, dim=col.dimension, metric=metric, **params)

    def _cache_for(self, conn: sqlite3.Connection, col: _Collection, metric: str) -> _Cache:
        """An index for ``metric`` reflecting the current generation (built, loaded or caught up)."""
        ann_name = next((n for n, spec in col.indexes.items() if spec.get("metric") == metric), None)
        key = (col.name, "ann", ann_name) if ann_name else (col.name, "exact", metric)
        gen = self._state(conn, col)
        with self._caches_lock:
            cache = self._caches.get(key)
            if cache is None:
                cache = self._caches[key] = self._load_or_new(col, metric, ann_name)
        with cache.lock:
            if cache.epoch == col.epoch and cache.gen == gen:
                return cache
            rebuilt = not (cache.epoch == col.epoch and cache.gen >= col.log_floor and cache.gen > 0)
            if rebuilt:
                if len(cache.index):
                    cache.index = self._fresh_index(col, metric, ann_name)
                keys, mat = self._all_vectors(conn, col)
                if len(keys):
                    cache.index.add_items(keys, mat)
                changed = len(keys)
                logger.debug("built %s index for %s: %d vectors", cache.index.name, col.name, len(keys))
            else:
                changed = self._catch_up(conn, col, cache, gen)
            cache.epoch, cache.gen = col.epoch, gen
            if ann_name and (rebuilt or changed >= _CATCHUP_SAVE_ROWS):
                self._save_ann(col, ann_name, cache)
            return cache

    def _fresh_index(self, col: _Collection, metric: str, ann_name: str | None) -> VectorIndex:
        if ann_name:
            spec = col.indexes[ann_name]
            return self._new_index(col, spec["backend"], metric, dict(spec.get("params") or {}))
        return self._new_index(col, "exact", metric, {})

    def _load_or_new(self, col: _Collection, metric: str, ann_name: str | None) -> _Cache:
        index = self._fresh_index(col, metric, ann_name)
        if ann_name:
            path = self._index_path(col.name, ann_name)
            if path is not None and path.exists():
                try:
                    meta = read_index_meta(path)
                    if meta.get("backend") == index.name:
                        index.load(path)
                        epoch, gen = int(index.meta.get("epoch", -1)), int(index.meta.get("generation", 0))
                        if epoch == col.epoch and gen >= col.log_floor:
                            return _Cache(index, epoch, gen)
                        index = self._fresh_index(col, metric, ann_name)
                except RagyardError as exc:
                    logger.warning("ignoring persisted index %s (%s); rebuilding", path, exc)
                    index = self._fresh_index(col, metric, ann_name)
        return _Cache(index, -1, 0)

    def _save_ann(self, col: _Collection, ann_name: str, cache: _Cache) -> None:
        path = self._index_path(col.name, ann_name)
        if path is None:
            return
        cache.index.meta = {"epoch": cache.epoch, "generation": cache.gen, "collection": col.name}
        try:
            cache.index.save(path)
        except OSError as exc:
            logger.warning("could not persist index %s: %s", path, exc)

    def _catch_up(self, conn: sqlite3.Connection, col: _Collection, cache: _Cache, gen: int) -> int:
        rows = conn.execute(
            f"SELECT erow, op FROM {quote_ident(col.layout.log_table)} WHERE seq > ? AND seq <= ? ORDER BY seq",
            (cache.gen, gen),
        ).fetchall()
        last: dict[int, str] = {}
        for erow, op in rows:
            last[erow] = op
        upserted = [r for r, op in last.items() if op == "u"]
        keys, mat = self._all_vectors(conn, col, upserted)
        gone = set(last) - set(keys.tolist())
        if gone:
            cache.index.remove_items(np.fromiter(gone, dtype=np.int64, count=len(gone)))
        if len(keys):
            cache.index.add_items(keys, mat)
        return len(last)

    def _candidates(self, conn: sqlite3.Connection, col: _Collection, flt: SearchFilter) -> np.ndarray:
        where, params = self._compile(col, flt, "d")
        rows = conn.execute(f"SELECT e.rowid FROM {self._join(col)} WHERE {where}", params).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def dense_hits(
        self,
        collection: str,
        queries: np.ndarray,
        limit: int,
        filter: SearchFilter | None,
        metric: str | None,
    ) -> list[list[Hit]]:
        with self._read() as conn:
            col = self._load(conn, collection)
            metric_name = normalize_metric(metric) if metric else col.metric
            allowed = self._candidates(conn, col, filter) if filter is not None else None
            if allowed is not None and len(allowed) == 0:
                return [[] for _ in range(len(queries))]
            cache = self._cache_for(conn, col, metric_name)
            if len(cache.index) == 0:
                return [[] for _ in range(len(queries))]
            keys, dists = cache.index.search_items(queries, limit, allowed)
            scores = distance_to_score(metric_name, dists)
            flat = np.unique(keys[keys >= 0])
            docs = self._docs_by_rowid(conn, col, flat.tolist())
        out: list[list[Hit]] = []
        for krow, srow in zip(keys.tolist(), np.asarray(scores).tolist()):
            row = []
            for key, score in zip(krow, srow):
                if key < 0:
                    continue
                doc = docs.get(key)
                if doc is not None:
                    row.append(Hit(doc[0], doc[1], self._meta(doc[2]), float(score)))
            out.append(row)
        return out

    def _docs_by_rowid(self, conn: sqlite3.Connection, col: _Collection, rowids: list[int]) -> dict[int, tuple]:
        out: dict[int, tuple] = {}
        for start in range(0, len(rowids), _CHUNK):
            chunk = rowids[start : start + _CHUNK]
            sql = (
                f"SELECT e.rowid, {self._hit_select(col)} FROM {self._join(col)} "
                f"WHERE e.rowid IN ({','.join('?' * len(chunk))})"
            )
            for row in conn.execute(sql, chunk):
                out[row[0]] = row[1:]
        return out

    # -- keyword search ----------------------------------------------------------------------
    def keyword_hits(self, collection: str, query: str, limit: int, filter: SearchFilter | None) -> list[Hit]:
        match = fts5_query(query)
        if match is None:
            return []
        with self._read() as conn:
            col = self._load(conn, collection)
            lay = col.layout
            fts = quote_ident(lay.fts_table)
            where, params = ("1=1", []) if filter is None else self._compile(col, filter, "d")
            sql = (
                f"SELECT {self._hit_select(col)}, -bm25({fts}) AS s FROM {fts} "
                f"JOIN {quote_ident(lay.documents_table)} d ON d.rowid = {fts}.rowid "
                f"WHERE {fts} MATCH ? AND {where} ORDER BY bm25({fts}) LIMIT ?"
            )
            rows = conn.execute(sql, [match, *params, limit]).fetchall()
        return [Hit(r[0], r[1], self._meta(r[2]), float(r[3])) for r in rows]

    # -- ANN indexes -------------------------------------------------------------------------
    def create_index(
        self,
        collection: str,
        index_name: str,
        metric: str | DistanceMetric | None = None,
        backend: str = "hnsw",
        **params: Any,
    ) -> bool:
        """Define a persisted ANN index (``backend`` from the index registry) and build it now.

        Dense searches with the index's metric then use it. Returns True. An existing name raises
        ConflictError; an unknown or unavailable backend raises before anything is stored.
        """
        check_collection_name(index_name)
        reg = get_registry("indexes")
        spec = reg.get(backend)
        reason = spec.unavailable_reason()
        if reason is not None:
            from ..errors import BackendUnavailableError

            raise BackendUnavailableError(f"index backend {spec.name!r} is unavailable: {reason}")
        with self._write() as conn:
            col = self._load(conn, collection)
            metric_name = normalize_metric(metric) if metric else col.metric
            if index_name in col.indexes:
                raise ConflictError(f"index {index_name!r} exists already on {collection!r}")
            if any(s.get("metric") == metric_name for s in col.indexes.values()):
                raise ConflictError(f"collection {collection!r} already has an index for metric {metric_name!r}")
            self._new_index(col, spec.name, metric_name, dict(params))  # validates params now
            col.indexes[index_name] = {"backend": spec.name, "metric": metric_name, "params": params}
            conn.execute(
                "UPDATE ragyard_collections SET config = ? WHERE name = ?", (json.dumps(col.config), collection)
            )
        self._drop_caches(collection)
        with self._read() as conn:
            col = self._load(conn, collection)
            self._cache_for(conn, col, metric_name)
        return True

    def delete_index(self, collection: str, index_name: str) -> bool:
        """Remove an ANN index definition and its files; False when no such index exists."""
        with self._write() as conn:
            col = self._load(conn, collection)
            if index_name not in col.indexes:
                return False
            del col.indexes[index_name]
            conn.execute(
                "UPDATE ragyard_collections SET config = ? WHERE name = ?", (json.dumps(col.config), collection)
            )
        self._drop_caches(collection)
        self._remove_index_files(collection, index_name)
        return True

    def list_indexes(self, collection: str) -> dict[str, dict[str, Any]]:
        return dict(self._collection(collection).indexes)

    # -- maintenance -------------------------------------------------------------------------
    def compact(self) -> dict[str, int]:
        """Reclaim space after deletes: prune change logs, optimise FTS indexes, VACUUM.

        VACUUM may renumber rows, so every vector cache and persisted index is rebuilt on next use
        (their epoch changes). Returns ``{"bytes_before": ..., "bytes_after": ...}`` (0 for memory).
        """
        before = self._file_size()
        with self._write() as conn:
            for name in self._names(conn):
                col = self._load(conn, name)
                lay = col.layout
                gen = self._state(conn, col)
                conn.execute(f"DELETE FROM {quote_ident(lay.log_table)}")
                fts = quote_ident(lay.fts_table)
                conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
                conn.execute(
                    "UPDATE ragyard_collections SET log_floor = ?, epoch = epoch + 1 WHERE name = ?", (gen, name)
                )
        with self._use() as conn:
            try:
                conn.execute("VACUUM")
            except sqlite3.OperationalError as exc:
                if _locked(exc):
                    raise StoreLockedError(f"cannot compact {self.path}: database is in use ({exc})") from None
                raise
            with self._write() as wconn:
                for name in self._names(wconn):
                    fts = quote_ident(self._load(wconn, name).layout.fts_table)
                    wconn.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
            if not self.memory:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with self._caches_lock:
            self._caches.clear()
        return {"bytes_before": before, "bytes_after": self._file_size()}

    def _file_size(self) -> int:
        if self.memory:
            return 0
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.path.getsize(self.path + suffix)
        return total

    def statistics(self, collection: str) -> dict[str, Any]:
        """Counts and sizes for one collection (used by the faces' get_statistics)."""
        info = self.get_collection_info(collection)
        return {
            "collection": info.name,
            "document_count": info.extra["documents"],
            "embedding_count": info.vector_count,
            "embedding_dimension": info.dimension,
            "metric": info.distance_metric.value,
            "model_name": info.model_name,
            "indexes": info.extra["indexes"],
            "database_path": self.path,
            "database_size_bytes": self._file_size(),
        }

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"


backend = BackendSpec(
    name="sqlite",
    factory=SQLiteStore,
    aliases=("sqlite3",),
    priority=100,
    description="Embedded SQLite file (WAL), FTS5 keyword index, numpy/HNSW vector caches",
)

__all__ = ["FORMAT_VERSION", "SQLiteStore", "backend"]
