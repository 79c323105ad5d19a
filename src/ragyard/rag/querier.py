"""Seed 001's Querier: similarity, filtered, keyword and hybrid queries over one collection.

Every method returns result dicts ``{"document_id", "content", "similarity", "metadata"}`` sorted best
first (``similarity``: higher is better; for hybrid search it is the fused score).
``similarity_function`` is cosine, inner_product, euclidean or manhattan (see
:class:`~ragyard.types.DistanceMetric` for what each score means); ``similarity_threshold`` drops
results scoring below it. ``filters`` (a keyword argument accepted by every query) is a Mongo-style dict
or a :class:`~ragyard.types.SearchFilter`; a filtered query returns ``min(top_k, matches)`` results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..embed.service import EmbeddingService
from ..errors import DocumentNotFoundError, QueryError, RagyardError, ValidationError
from ..store.base import FilterLike, Hit, VectorStore
from ..types import HybridStrategy, coerce_filter


def format_hits(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """Store hits -> seed-001 result dicts."""
    return [{"document_id": h.id, "content": h.content, "similarity": h.score, "metadata": h.metadata} for h in hits]


class Querier:
    """Queries one collection of a store (seed 001 ``YourBackendQuerier``)."""

    def __init__(self, config: Any, embedding_service: EmbeddingService, store: VectorStore, collection: str):
        self.config = config
        self.embedding_service = embedding_service
        self.store = store
        self.collection = collection

    @staticmethod
    def _filters(kwargs: dict[str, Any]) -> FilterLike:
        flt = kwargs.pop("filters", None)
        if flt is None:
            flt = kwargs.pop("filter", None)
        if kwargs:
            raise ValidationError(f"unknown query options: {', '.join(sorted(kwargs))}")
        return flt

    def _embed_query(self, text: str) -> np.ndarray:
        if not isinstance(text, str):
            raise ValidationError("query_text must be a string")
        return self.embedding_service.embed_query(text)

    def query(
        self,
        query_text: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents most similar to ``query_text``."""
        return self.query_with_precomputed_embedding(
            self._embed_query(query_text), top_k, similarity_threshold, similarity_function, **kwargs
        )

    def query_with_precomputed_embedding(
        self,
        query_embedding: Any,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents most similar to a given vector."""
        flt = self._filters(dict(kwargs))
        return self._guard(
            lambda: format_hits(
                self.store.search_hits(
                    self.collection, query_embedding, top_k, flt, similarity_threshold, similarity_function
                )
            )
        )

    def query_batch(
        self,
        query_texts: Sequence[str],
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[list[dict[str, Any]]]:
        """Many queries at once: one batched embedding call and one pass over the vectors."""
        if isinstance(query_texts, str) or not all(isinstance(t, str) for t in query_texts):
            raise ValidationError("query_texts must be a list of strings")
        flt = self._filters(dict(kwargs))
        if not query_texts:
            return []
        vectors = self.embedding_service.embed(list(query_texts))
        rows = self._guard(
            lambda: self.store.search_hits_batch(
                self.collection, vectors, top_k, flt, similarity_threshold, similarity_function
            )
        )
        return [format_hits(r) for r in rows]

    def query_by_filters(
        self,
        filters: FilterLike,
        query_text: str | None = None,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents matching ``filters``; ranked by similarity to ``query_text`` when given.

        Without a query text, up to ``top_k`` matching documents are returned (id order) with
        ``similarity`` None."""
        if kwargs:
            raise ValidationError(f"unknown query options: {', '.join(sorted(kwargs))}")
        flt = coerce_filter(filters)
        if query_text is None:
            if not isinstance(top_k, int) or top_k <= 0:
                raise ValidationError(f"top_k must be a positive integer, got {top_k!r}")
            ids = self._guard(lambda: self.store.filter_ids(self.collection, flt, top_k))
            hits = self.store.fetch_hits(self.collection, ids)
            return [
                {"document_id": i, "content": hits[i].content, "similarity": None, "metadata": hits[i].metadata}
                for i in ids
                if i in hits
            ]
        return self.query(query_text, top_k, similarity_threshold, similarity_function, filters=flt)

    def get_similar_documents(
        self,
        document_id: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Documents most similar to a stored document (the document itself excluded)."""
        flt = self._filters(dict(kwargs))
        vec = self.store.get_vectors(self.collection, [str(document_id)]).get(str(document_id))
        if vec is None:
            if self.store.fetch_hits(self.collection, [str(document_id)]):
                raise QueryError(f"document {document_id!r} has no embedding")
            raise DocumentNotFoundError(f"no document with id {document_id!r}")
        hits = self._guard(
            lambda: self.store.search_hits(
                self.collection, vec, top_k + 1, flt, similarity_threshold, similarity_function
            )
        )
        return format_hits([h for h in hits if h.id != str(document_id)][:top_k])

    def keyword_search(self, query_text: str, top_k: int = 5, **kwargs: Any) -> list[dict[str, Any]]:
        """BM25 keyword search (``similarity`` = BM25 score)."""
        flt = self._filters(dict(kwargs))
        return format_hits(self._guard(lambda: self.store.keyword_search_hits(self.collection, query_text, top_k, flt)))

    def hybrid_search(
        self,
        query_text: str,
        top_k: int = 5,
        alpha: float = 0.5,
        strategy: HybridStrategy | str = HybridStrategy.RRF,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Dense + BM25 fused. ``strategy``: rrf (default, k=60), weighted or dbsf; ``alpha`` is the
        weight of the dense side (the keyword side gets ``1 - alpha``). Extra options: ``filters``,
        ``similarity_threshold`` (on the fused score), ``prefetch``, ``rrf_k``."""
        threshold = kwargs.pop("similarity_threshold", None)
        prefetch = kwargs.pop("prefetch", None)
        rrf_k = kwargs.pop("rrf_k", 60)
        flt = self._filters(dict(kwargs))
        vec = self._embed_query(query_text)
        hits = self._guard(
            lambda: self.store.hybrid_search_hits(
                self.collection,
                vec,
                query_text,
                top_k,
                flt,
                strategy=strategy,
                alpha=alpha,
                rrf_k=rrf_k,
                prefetch=prefetch,
                score_threshold=threshold,
            )
        )
        return format_hits(hits)

    @staticmethod
    def _guard(fn: Any) -> Any:
        try:
            return fn()
        except RagyardError:
            raise
        except Exception as exc:
            raise QueryError(f"Query failed: {exc}") from exc


__all__ = ["Querier", "format_hits"]
