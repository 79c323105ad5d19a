"""Seed 001's configuration object: database location, table/column names, dimension, batch size.

``RAGConfig`` holds what every SQL face shares; ``SQLiteConfig`` adds SQLite connections. The store does
the actual schema work; the config's ``get_documents_schema``/``get_embeddings_schema`` show the SQL
ragyard uses, and ``setup_database`` creates (or adopts) the tables through the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ..store.layout import TableLayout, quote_ident


@dataclass
class RAGConfig:
    """Configuration shared by the SQL RAG faces (seed 001 ``YourBackendConfig``).

    ``embedding_dimension`` None means "the embedder's dimension" (see SQLiteRAG). ``engine`` is a
    SQLAlchemy engine used when ``use_sqlalchemy`` is true (or whenever given).
    """

    db_path: str
    documents_table: str = "documents"
    embeddings_table: str = "embeddings"
    embedding_dimension: int | None = None
    batch_size: int = 1000
    engine: Any | None = None
    use_sqlalchemy: bool = False
    documents_id_column: str = "id"
    documents_content_column: str = "content"
    documents_metadata_column: str | None = "metadata"
    embeddings_id_column: str = "id"
    embeddings_document_id_column: str = "document_id"
    embeddings_model_column: str | None = "model_name"
    embeddings_column: str = "embedding"

    def __post_init__(self) -> None:
        if self.embedding_dimension is not None and self.embedding_dimension <= 0:
            raise ConfigurationError("embedding_dimension must be positive")
        if self.batch_size <= 0:
            raise ConfigurationError("batch_size must be positive")
        if self.use_sqlalchemy and self.engine is None:
            raise ConfigurationError("use_sqlalchemy=True needs an engine")
        self.layout()  # validates the names

    def layout(self) -> TableLayout:
        """The table layout these names describe."""
        return TableLayout(
            documents_table=self.documents_table,
            embeddings_table=self.embeddings_table,
            documents_id_column=self.documents_id_column,
            documents_content_column=self.documents_content_column,
            documents_metadata_column=self.documents_metadata_column,
            embeddings_id_column=self.embeddings_id_column,
            embeddings_document_id_column=self.embeddings_document_id_column,
            embeddings_model_column=self.embeddings_model_column,
            embeddings_column=self.embeddings_column,
        )

    def get_documents_schema(self) -> str:
        """CREATE TABLE SQL of the documents table."""
        q = quote_ident
        meta = f"{q(self.documents_metadata_column)} TEXT," if self.documents_metadata_column else ""
        return (
            f"CREATE TABLE IF NOT EXISTS {q(self.documents_table)} ({q(self.documents_id_column)} TEXT PRIMARY KEY, "
            f"{q(self.documents_content_column)} TEXT NOT NULL, {meta} created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
        )

    def get_embeddings_schema(self) -> str:
        """CREATE TABLE SQL of the embeddings table (float32 blob of ``embedding_dimension`` values)."""
        q = quote_ident
        model = f", {q(self.embeddings_model_column)} TEXT" if self.embeddings_model_column else ""
        return (
            f"CREATE TABLE IF NOT EXISTS {q(self.embeddings_table)} ({q(self.embeddings_id_column)} TEXT PRIMARY KEY, "
            f"{q(self.embeddings_document_id_column)} TEXT NOT NULL, {q(self.embeddings_column)} BLOB NOT NULL{model})"
        )


@dataclass
class SQLiteConfig(RAGConfig):
    """SQLite configuration: ``db_path`` is a file or ``:memory:``."""

    def get_connection(self) -> Any:
        """A new DB-API connection (a SQLAlchemy connection when an engine is configured)."""
        if self.engine is not None:
            return self.engine.connect()
        return sqlite3.connect(self.db_path)

    @contextmanager
    def get_connection_context(self) -> Iterator[Any]:
        """A connection closed on exit."""
        conn = self.get_connection()
        try:
            yield conn
        finally:
            conn.close()

    def setup_database(self, conn: Any = None) -> None:
        """Create the tables (the RAG face does this through its store; kept for seed compatibility)."""
        from ..store.sqlite import SQLiteStore

        store = SQLiteStore(self.db_path)
        try:
            if not store.has_collection(self.documents_table) and self.embedding_dimension:
                store.create_collection(
                    self.documents_table, self.embedding_dimension, layout=self.layout(), adopt=True
                )
        finally:
            store.close()


__all__ = ["RAGConfig", "SQLiteConfig"]
