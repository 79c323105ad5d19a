"""The RAG faces of seed 001: a high-level object over one collection of a store.

``SQLRAG`` holds everything the faces share (embedder choice, loader, querier, export/import); each
database face (``SQLiteRAG`` here; DuckDB and PostgreSQL faces build on the same class) only says how
to open its store.

Embedder choice when ``embedding_provider`` is None: an existing collection is reopened with the model
it was built with; a new one gets the best available embedder (the offline MiniLM model when installed,
else the hashing embedder) and the choice is logged.

``embedding_dimension``: seed 001 defaults it to 768, which matches no model ragyard can load offline
(MiniLM has 384 dimensions), so the default here is None = "the embedder's dimension". When given, it
must match the embedder (or, with no embedder named, selects a hashing embedder of that size).
"""

from __future__ import annotations

import csv
import json
import logging
import os
from pathlib import Path
from typing import Any

from ..embed.base import Embedder
from ..embed.service import EmbeddingProvider, EmbeddingService
from ..errors import ConfigurationError, LoaderError, ValidationError
from ..store.base import VectorStore
from ..types import HybridStrategy
from .config import RAGConfig, SQLiteConfig
from .loader import Loader
from .querier import Querier

logger = logging.getLogger(__name__)


def embedder_for_model(model_name: str) -> Embedder:
    """Recreate the embedder that produced vectors recorded under ``model_name``."""
    from ..embed import create_embedder

    if model_name.startswith("hashing-"):
        parts = model_name.split("-")
        try:
            dim = int(parts[1])
            lo, hi = (int(x) for x in parts[2].split("x"))
        except (IndexError, ValueError):
            raise ConfigurationError(f"cannot parse hashing model name {model_name!r}") from None
        return create_embedder("hashing", dim=dim, ngram_range=(lo, hi), lowercase="cased" not in parts)
    if model_name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        return create_embedder("sentence")
    raise ConfigurationError(
        f"the collection was built with model {model_name!r}; pass embedding_provider for that model"
    )


class SQLRAG:
    """Shared implementation of the seed-001 RAG interface over a :class:`VectorStore`."""

    config: RAGConfig

    def __init__(
        self,
        config: RAGConfig,
        store: VectorStore,
        embedding_provider: EmbeddingProvider | Embedder | None = None,
        cache: Any = None,
    ):
        self.config = config
        self.store = store
        self.collection = config.documents_table
        existing = store.get_collection_info(self.collection) if store.has_collection(self.collection) else None
        self.embedding_service = self._make_service(embedding_provider, existing, cache)
        dim = int(self.embedding_service.dimension)
        if existing is None:
            store.create_collection(
                self.collection, dim, layout=config.layout(), adopt=True, model_name=self.embedding_service.model_name
            )
        elif existing.dimension != dim:
            from ..errors import DimensionMismatchError

            raise DimensionMismatchError(existing.dimension, dim, f"collection {self.collection!r} in {config.db_path}")
        elif existing.model_name and existing.model_name != self.embedding_service.model_name:
            raise ConfigurationError(
                f"collection {self.collection!r} in {config.db_path} was built with model {existing.model_name!r}, "
                f"not {self.embedding_service.model_name!r}; use that model or another collection/database"
            )
        self.config.embedding_dimension = dim
        self.loader = Loader(self.config, self.embedding_service, store, self.collection)
        self.querier = Querier(self.config, self.embedding_service, store, self.collection)

    def _make_service(self, provider: Any, existing: Any, cache: Any) -> EmbeddingService:
        dim = self.config.embedding_dimension
        if provider is None:
            if existing is not None and existing.model_name:
                provider = embedder_for_model(existing.model_name)
                logger.info("reopening %r with its model %s", self.collection, existing.model_name)
            else:
                from ..embed import default_embedder

                provider = default_embedder(dim if dim is not None else (existing.dimension if existing else None))
                logger.info("no embedder named: using %s (dim %d)", provider.model_name, provider.dim)
        return EmbeddingService(provider=provider, dimension=dim, cache=cache)

    # -- loading -----------------------------------------------------------------------------
    def load_document(
        self,
        content: str,
        metadata: dict[str, Any] | None = None,
        document_id: str | None = None,
        generate_embedding: bool = True,
    ) -> str:
        """Load one document; returns its id."""
        return self.loader.load_document(content, metadata, document_id, generate_embedding)

    def load_documents(
        self, documents: list[dict[str, Any]], generate_embeddings: bool = True, show_progress: bool = True
    ) -> list[str]:
        """Load many documents (embedded in batches with a progress bar, written in one transaction)."""
        return self.loader.load_documents_batch(documents, generate_embeddings, show_progress)

    def get_document(self, document_id: str) -> dict[str, Any] | None:
        """``{"id", "content", "metadata"}`` or None."""
        return self.loader.get_document(document_id)

    def get_documents(self, document_ids: list[str]) -> list[dict[str, Any]]:
        """Documents in the order asked (missing ids skipped)."""
        return self.loader.get_documents_batch(document_ids)

    def delete_document(self, document_id: str) -> bool:
        """Delete a document and its embedding; False when it did not exist."""
        return self.loader.delete_document(document_id)

    def update_document(
        self,
        document_id: str,
        content: str | None = None,
        metadata: dict[str, Any] | None = None,
        regenerate_embedding: bool = True,
    ) -> bool:
        """Change content and/or metadata; changed content is re-embedded."""
        return self.loader.update_document(document_id, content, metadata, regenerate_embedding)

    def embed_missing(self, show_progress: bool = True) -> int:
        """Embed documents loaded with ``generate_embeddings=False``; returns how many."""
        return self.loader.embed_missing(show_progress)

    # -- indexes -----------------------------------------------------------------------------
    def create_index(self, index_name: str, similarity_function: str = "cosine", **kwargs: Any) -> bool:
        """Build a persisted ANN index (``backend="hnsw"`` default; params such as ``M``)."""
        return self.loader.create_index(index_name, similarity_function, **kwargs)

    def delete_index(self, index_name: str) -> bool:
        return self.loader.delete_index(index_name)

    # -- queries -----------------------------------------------------------------------------
    def query(
        self,
        query_text: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents most similar to ``query_text`` (``filters=`` accepted)."""
        return self.querier.query(query_text, top_k, similarity_threshold, similarity_function, **kwargs)

    def query_with_embedding(
        self,
        query_embedding: Any,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents most similar to a precomputed vector."""
        return self.querier.query_with_precomputed_embedding(
            query_embedding, top_k, similarity_threshold, similarity_function, **kwargs
        )

    def query_batch(
        self,
        query_texts: list[str],
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[list[dict[str, Any]]]:
        """Many queries in one batched pass."""
        return self.querier.query_batch(query_texts, top_k, similarity_threshold, similarity_function, **kwargs)

    def query_with_filters(
        self,
        filters: dict[str, Any],
        query_text: str | None = None,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents matching metadata filters, ranked by similarity when a query text is given."""
        return self.querier.query_by_filters(
            filters, query_text, top_k, similarity_threshold, similarity_function, **kwargs
        )

    def find_similar_documents(
        self,
        document_id: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents most similar to a stored one (itself excluded)."""
        return self.querier.get_similar_documents(
            document_id, top_k, similarity_threshold, similarity_function, **kwargs
        )

    def keyword_search(self, query_text: str, top_k: int = 5, **kwargs: Any) -> list[dict[str, Any]]:
        """BM25 keyword search."""
        return self.querier.keyword_search(query_text, top_k, **kwargs)

    def hybrid_search(
        self,
        query_text: str,
        top_k: int = 5,
        alpha: float = 0.5,
        strategy: HybridStrategy | str = HybridStrategy.RRF,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Dense + BM25 search fused (RRF by default; ``alpha`` weights the dense side)."""
        return self.querier.hybrid_search(query_text, top_k, alpha, strategy, **kwargs)

    # -- statistics, export, import ------------------------------------------------------------
    def get_statistics(self) -> dict[str, Any]:
        """Counts, dimension, model, indexes and database size."""
        stats = self.store.statistics(self.collection)
        stats["embedding_model"] = self.embedding_service.model_name
        stats["embedding_cache"] = dict(self.embedding_service.stats)
        return stats

    def export_to_parquet(self, output_path: str | os.PathLike[str], include_embeddings: bool = True) -> int:
        """Write every document (id, content, metadata JSON, embedding) to a Parquet file; returns rows.

        Needs pyarrow (``pip install 'ragyard[parquet]'``)."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            from ..errors import BackendUnavailableError

            raise BackendUnavailableError("export_to_parquet needs pyarrow", extra="parquet") from None
        ids: list[str] = []
        contents: list[str] = []
        metas: list[str] = []
        for hit in self.store.iter_documents(self.collection):
            ids.append(hit.id)
            contents.append(hit.content)
            metas.append(json.dumps(hit.metadata, ensure_ascii=False))
        columns: dict[str, Any] = {"id": ids, "content": contents, "metadata": metas}
        if include_embeddings:
            vectors = {}
            for start in range(0, len(ids), 5000):
                vectors.update(self.store.get_vectors(self.collection, ids[start : start + 5000]))
            dim = int(self.embedding_service.dimension)
            columns["embedding"] = pa.array(
                [vectors[i].tolist() if i in vectors else None for i in ids], type=pa.list_(pa.float32(), dim)
            )
        table = pa.table(columns)
        tmp = Path(str(output_path) + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, output_path)
        return len(ids)

    def import_from_csv(
        self,
        csv_path: str | os.PathLike[str],
        has_embeddings: bool = False,
        *,
        content_column: str = "content",
        id_column: str | None = "id",
        metadata_column: str | None = "metadata",
        embedding_column: str = "embedding",
        show_progress: bool = True,
    ) -> list[str]:
        """Load documents from a CSV file in one transaction; returns their ids.

        Columns: ``content`` (required), ``id`` (optional), ``metadata`` (a JSON object, optional);
        every other column becomes a metadata field. With ``has_embeddings`` the ``embedding`` column
        holds a JSON list of floats used as is (checked against the dimension)."""
        path = Path(csv_path)
        if not path.is_file():
            raise LoaderError(f"CSV file not found: {path}")
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except UnicodeDecodeError:
            raise LoaderError(f"{path} is not UTF-8 text") from None
        except csv.Error as exc:
            raise LoaderError(f"{path} is not valid CSV: {exc}") from None
        if rows and content_column not in rows[0]:
            raise LoaderError(f"{path} has no {content_column!r} column")
        docs: list[dict[str, Any]] = []
        vectors: list[Any] = []
        skip = {content_column, id_column, metadata_column, embedding_column}
        for n, row in enumerate(rows, start=2):
            meta: dict[str, Any] = {}
            if metadata_column and row.get(metadata_column):
                try:
                    parsed = json.loads(row[metadata_column])
                except ValueError:
                    raise LoaderError(f"{path}:{n}: metadata is not JSON") from None
                if not isinstance(parsed, dict):
                    raise LoaderError(f"{path}:{n}: metadata must be a JSON object")
                meta.update(parsed)
            for key, value in row.items():
                if key not in skip and key is not None and value not in (None, ""):
                    meta[key] = value
            doc: dict[str, Any] = {"content": row.get(content_column) or "", "metadata": meta}
            if id_column and row.get(id_column):
                doc["id"] = row[id_column]
            docs.append(doc)
            if has_embeddings:
                try:
                    vectors.append(json.loads(row.get(embedding_column) or ""))
                except ValueError:
                    raise LoaderError(f"{path}:{n}: embedding is not a JSON list") from None
        if not has_embeddings:
            return self.load_documents(docs, show_progress=show_progress)
        batch = self.loader.prepare(docs, generate_embeddings=False)
        from ..store.base import prepare_batch

        try:
            batch = prepare_batch(
                self.loader.dimension, vectors, batch.ids, batch.contents, [d["metadata"] for d in docs]
            )
        except ValidationError as exc:
            raise LoaderError(f"{path}: {exc}") from exc
        return self.store.upsert_batch(self.collection, batch, model_name=self.embedding_service.model_name)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the store's connections."""
        self.store.close()

    def __enter__(self) -> SQLRAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.config.db_path!r}, model={self.embedding_service.model_name!r})"


class SQLiteRAG(SQLRAG):
    """RAG over a SQLite file (seed 001 ``SQLiteRAG``): the embedded default, no server needed.

    Parameters are seed 001's. ``db_path`` is a file (created if missing) or ``":memory:"``;
    ``engine`` is a SQLAlchemy engine on a ``sqlite://`` URL (used when ``use_sqlalchemy`` or given);
    table and column names may point at tables that exist already (they are adopted and indexed).
    """

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        embedding_provider: EmbeddingProvider | Embedder | None = None,
        embedding_dimension: int | None = None,
        batch_size: int = 1000,
        documents_table: str = "documents",
        embeddings_table: str = "embeddings",
        engine: Any | None = None,
        use_sqlalchemy: bool = False,
        documents_id_column: str = "id",
        documents_content_column: str = "content",
        documents_metadata_column: str | None = "metadata",
        embeddings_id_column: str = "id",
        embeddings_document_id_column: str = "document_id",
        embeddings_model_column: str | None = "model_name",
        embeddings_column: str = "embedding",
        *,
        busy_timeout: float = 5.0,
    ):
        from ..embed.cache import MemoryEmbeddingCache, SQLiteEmbeddingCache
        from ..store.sqlite import SQLiteStore

        if not use_sqlalchemy and engine is None and db_path is None:
            raise ConfigurationError("db_path is required when not using SQLAlchemy")
        path = self._engine_path(engine) if engine is not None else str(db_path)
        config = SQLiteConfig(
            db_path=path,
            documents_table=documents_table,
            embeddings_table=embeddings_table,
            embedding_dimension=embedding_dimension,
            batch_size=batch_size,
            engine=engine,
            use_sqlalchemy=use_sqlalchemy,
            documents_id_column=documents_id_column,
            documents_content_column=documents_content_column,
            documents_metadata_column=documents_metadata_column,
            embeddings_id_column=embeddings_id_column,
            embeddings_document_id_column=embeddings_document_id_column,
            embeddings_model_column=embeddings_model_column,
            embeddings_column=embeddings_column,
        )
        store = SQLiteStore(path, busy_timeout=busy_timeout)
        cache = MemoryEmbeddingCache() if store.memory else SQLiteEmbeddingCache(path)
        try:
            super().__init__(config, store, embedding_provider, cache)
        except BaseException:
            store.close()
            raise

    @staticmethod
    def _engine_path(engine: Any) -> str:
        url = getattr(engine, "url", None)
        if url is None or not str(getattr(url, "drivername", "")).startswith("sqlite"):
            raise ConfigurationError("SQLiteRAG needs a SQLAlchemy engine on a sqlite:// URL")
        database = url.database
        if not database or database == ":memory:":
            raise ConfigurationError(
                "SQLiteRAG cannot share an in-memory SQLAlchemy engine; use a file URL (sqlite:///path.db)"
            )
        return str(database)


__all__ = ["SQLRAG", "SQLiteRAG", "embedder_for_model"]
