"""The contract of a vector store (a database holding collections of documents with embeddings).

A *collection* holds documents (id, text content, JSON metadata) and one embedding per document.
Every store backend implements the abstract methods of :class:`VectorStore`; dense, keyword and hybrid
search, filters, thresholds and fusion then behave the same on every backend (one contract test suite
runs against each).

Contract highlights:
- ``upsert`` writes a whole batch in one transaction: on any error nothing of the batch is stored.
  Input is validated (dimension, finiteness, unique ids, JSON-able metadata) before anything is written.
- ``search`` returns ``min(limit, number of matching documents)`` results (never fewer because of a
  filter), sorted by score, higher is better (see :class:`~ragyard.types.DistanceMetric`);
  ``score_threshold`` drops results scoring below it.
- ``keyword_search`` ranks by BM25 (score = BM25 relevance, higher is better) over documents that
  contain at least one query term.
- ``hybrid_search`` fuses dense and keyword rankings (RRF with k=60 by default, or weighted / DBSF with
  ``alpha`` = weight of the dense side).
- filters are :class:`~ragyard.types.SearchFilter` objects or Mongo-style dicts (see
  :mod:`ragyard.store.filters` for the exact semantics).
"""

from __future__ import annotations

import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigurationError, ValidationError
from ..similarity import as_matrix
from ..types import (
    BackendCapabilities,
    CollectionInfo,
    HybridStrategy,
    SearchFilter,
    SearchResult,
    VectorPoint,
    coerce_filter,
)
from . import fusion

FilterLike = SearchFilter | Mapping[str, Any] | None

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

#: how many candidates each side of a hybrid search contributes before fusion (at least)
HYBRID_PREFETCH = 100


def check_collection_name(name: str) -> str:
    """Collection names are identifiers: a letter or underscore, then letters, digits, underscores."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigurationError(
            f"invalid collection name {name!r}: use letters, digits and underscores, starting with a letter"
        )
    return name


@dataclass(slots=True)
class Hit:
    """One search hit as the stores produce it (faces turn it into their own result shape)."""

    id: str
    content: str
    metadata: dict[str, Any]
    score: float


@dataclass(slots=True)
class PreparedBatch:
    """A validated batch ready to write: ids, float32 matrix, contents, metadata JSON strings."""

    ids: list[str]
    vectors: np.ndarray | None
    contents: list[str]
    metadata_json: list[str | None]


def prepare_batch(
    dim: int,
    vectors: Any | None,
    ids: Sequence[str | int] | None = None,
    contents: Sequence[str | None] | None = None,
    metadatas: Sequence[Mapping[str, Any] | None] | None = None,
) -> PreparedBatch:
    """Validate and normalise one batch (raises ValidationError / DimensionMismatchError).

    ``vectors`` None means documents without embeddings (then ``contents`` sets the batch size)."""
    if vectors is None:
        if contents is None:
            raise ValidationError("a batch needs vectors or contents")
        mat = None
        n = len(contents)
    else:
        mat = as_matrix(vectors, dim, where="upsert")
        n = mat.shape[0]
    if ids is None:
        id_list = [uuid.uuid4().hex for _ in range(n)]
    else:
        id_list = [str(i) for i in ids]
        if len(id_list) != n:
            raise ValidationError(f"{len(id_list)} ids for {n} vectors")
        if any(not i for i in id_list):
            raise ValidationError("document ids must be non-empty")
        if len(set(id_list)) != n:
            raise ValidationError("document ids in one batch must be unique")
    if contents is None:
        content_list = [""] * n
    else:
        if len(contents) != n:
            raise ValidationError(f"{len(contents)} contents for {n} vectors")
        content_list = []
        for c in contents:
            if c is None:
                c = ""
            if not isinstance(c, str):
                raise ValidationError(f"document content must be a string, got {type(c).__name__}")
            content_list.append(c)
    meta_json: list[str | None] = []
    if metadatas is None:
        meta_json = [None] * n
    else:
        if len(metadatas) != n:
            raise ValidationError(f"{len(metadatas)} metadata entries for {n} vectors")
        for m in metadatas:
            if m is None:
                meta_json.append(None)
                continue
            if not isinstance(m, Mapping):
                raise ValidationError(f"metadata must be a dict, got {type(m).__name__}")
            try:
                meta_json.append(json.dumps(m, ensure_ascii=False, allow_nan=False))
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"metadata is not JSON-serialisable: {exc}") from None
    return PreparedBatch(id_list, mat, content_list, meta_json)


def points_to_batch(dim: int, points: Iterable[VectorPoint], text_field: str) -> PreparedBatch:
    """Seed-002 points -> a prepared batch; the payload's ``text_field`` becomes the document text."""
    pts = list(points)
    ids, vecs, contents, metas = [], [], [], []
    for p in pts:
        if not isinstance(p, VectorPoint):
            raise ValidationError(f"expected VectorPoint, got {type(p).__name__}")
        payload = dict(p.payload or {})
        text = payload.pop(text_field, "")
        ids.append(p.id)
        vecs.append(np.asarray(p.vector, dtype=np.float32).reshape(-1))
        contents.append(text if isinstance(text, str) else json.dumps(text))
        metas.append(payload)
    if not pts:
        return PreparedBatch([], np.empty((0, dim), dtype=np.float32), [], [])
    dims = {v.shape[0] for v in vecs}
    if len(dims) != 1:
        raise ValidationError(f"points have vectors of different dimensions: {sorted(dims)}")
    return prepare_batch(dim, np.stack(vecs), ids, contents, metas)


class VectorStore(ABC):
    """Abstract store (see module docstring). Synchronous and thread-safe."""

    name: str = "abstract"
    #: payload key that carries the document text in the seed-002 point API
    text_field: str = "content"

    # -- collections -------------------------------------------------------------------------
    @abstractmethod
    def create_collection(
        self, name: str, dimension: int, metric: str = "cosine", *, exist_ok: bool = False, **options: Any
    ) -> CollectionInfo:
        """Create a collection; an existing name raises ConflictError unless ``exist_ok``."""

    @abstractmethod
    def list_collections(self) -> list[str]:
        """Names of all collections."""

    @abstractmethod
    def get_collection_info(self, name: str) -> CollectionInfo:
        """Info about one collection (CollectionNotFoundError when absent)."""

    @abstractmethod
    def delete_collection(self, name: str) -> None:
        """Drop a collection and all its data (CollectionNotFoundError when absent)."""

    def has_collection(self, name: str) -> bool:
        return name in self.list_collections()

    def dimension(self, name: str) -> int:
        """The collection's vector dimension (stores override this with a cheaper lookup)."""
        return self.get_collection_info(name).dimension

    # -- writes ------------------------------------------------------------------------------
    @abstractmethod
    def upsert_batch(
        self,
        collection: str,
        batch: PreparedBatch,
        *,
        model_name: str | None = None,
        replace_filter: FilterLike = None,
    ) -> list[str]:
        """Write a prepared batch in one transaction (after deleting documents matching
        ``replace_filter``, in the same transaction); returns the ids."""

    def upsert_arrays(
        self,
        collection: str,
        vectors: Any,
        ids: Sequence[str | int] | None = None,
        contents: Sequence[str | None] | None = None,
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        model_name: str | None = None,
    ) -> list[str]:
        """Insert or replace documents given as arrays (ids generated when None)."""
        dim = self.dimension(collection)
        return self.upsert_batch(
            collection, prepare_batch(dim, vectors, ids, contents, metadatas), model_name=model_name
        )

    def upsert(self, collection: str, points: Iterable[VectorPoint]) -> list[str]:
        """Insert or replace seed-002 points (payload[text_field] is the document text)."""
        info = self.get_collection_info(collection)
        return self.upsert_batch(collection, points_to_batch(info.dimension, points, self.text_field))

    @abstractmethod
    def delete(self, collection: str, ids: Sequence[str | int] | None = None, filter: FilterLike = None) -> int:
        """Delete documents by id and/or filter; returns how many were deleted."""

    # -- reads -------------------------------------------------------------------------------
    @abstractmethod
    def get(self, collection: str, ids: Sequence[str | int], *, with_vectors: bool = False) -> list[VectorPoint]:
        """Stored points for ``ids`` in the order given (missing ids are skipped)."""

    @abstractmethod
    def count(self, collection: str, filter: FilterLike = None) -> int:
        """Number of documents (matching ``filter``)."""

    @abstractmethod
    def dense_hits(
        self,
        collection: str,
        queries: np.ndarray,
        limit: int,
        filter: SearchFilter | None,
        metric: str | None,
    ) -> list[list[Hit]]:
        """Per query row, the ``limit`` most similar documents (scores higher = better)."""

    @abstractmethod
    def keyword_hits(self, collection: str, query: str, limit: int, filter: SearchFilter | None) -> list[Hit]:
        """BM25-ranked documents containing at least one query term."""

    @abstractmethod
    def fetch_hits(self, collection: str, ids: Sequence[str]) -> dict[str, Hit]:
        """Documents by id as hits with score 0 (used to assemble fused results)."""

    @abstractmethod
    def filter_ids(self, collection: str, filter: FilterLike, limit: int | None = None) -> list[str]:
        """Ids of documents matching ``filter`` (all for None), in id order, at most ``limit``."""

    @abstractmethod
    def get_vectors(self, collection: str, ids: Sequence[str | int]) -> dict[str, np.ndarray]:
        """Embeddings of the given document ids (missing ones absent)."""

    @abstractmethod
    def set_embeddings(
        self, collection: str, ids: Sequence[str], vectors: Any, *, model_name: str | None = None
    ) -> int:
        """Store embeddings of existing documents in one transaction; returns how many."""

    @abstractmethod
    def missing_embeddings(self, collection: str) -> list[str]:
        """Ids of documents without an embedding."""

    @abstractmethod
    def iter_documents(self, collection: str, batch_size: int = 1000) -> Iterator[Hit]:
        """Every document, streamed."""

    @abstractmethod
    def create_index(
        self, collection: str, index_name: str, metric: str | None = None, backend: str = "hnsw", **params: Any
    ) -> bool:
        """Create an ANN index over the collection's vectors; returns True."""

    @abstractmethod
    def delete_index(self, collection: str, index_name: str) -> bool:
        """Remove an ANN index; False when it did not exist."""

    @abstractmethod
    def statistics(self, collection: str) -> dict[str, Any]:
        """Counts and sizes for one collection."""

    def capabilities(self) -> BackendCapabilities:
        return BackendCapabilities(
            supports_filtering=True,
            supports_hybrid_search=True,
            supports_keyword_search=True,
            supports_transactions=True,
        )

    def close(self) -> None:  # noqa: B027 - optional hook, stores without connections need nothing
        """Release connections (the store is unusable afterwards)."""

    def __enter__(self) -> VectorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared search logic -----------------------------------------------------------------
    @staticmethod
    def _check_limit(limit: int) -> int:
        if not isinstance(limit, (int, np.integer)) or limit <= 0:
            raise ValidationError(f"limit must be a positive integer, got {limit!r}")
        return int(limit)

    def search_hits(
        self,
        collection: str,
        query_vector: Any,
        limit: int = 10,
        filter: FilterLike = None,
        score_threshold: float | None = None,
        metric: str | None = None,
    ) -> list[Hit]:
        """Dense search for one query vector, as hits."""
        return self.search_hits_batch(collection, query_vector, limit, filter, score_threshold, metric)[0]

    def search_hits_batch(
        self,
        collection: str,
        query_vectors: Any,
        limit: int = 10,
        filter: FilterLike = None,
        score_threshold: float | None = None,
        metric: str | None = None,
    ) -> list[list[Hit]]:
        """Dense search for many query vectors at once (one pass over the data)."""
        limit = self._check_limit(limit)
        dim = self.dimension(collection)
        q = as_matrix(query_vectors, dim, where="query")
        rows = self.dense_hits(collection, q, limit, coerce_filter(filter), metric)
        if score_threshold is not None:
            rows = [[h for h in row if h.score >= score_threshold] for row in rows]
        return rows

    def search(
        self,
        collection: str,
        query_vector: Any,
        limit: int = 10,
        filter: FilterLike = None,
        score_threshold: float | None = None,
        metric: str | None = None,
    ) -> list[SearchResult]:
        """Dense search returning seed-002 :class:`SearchResult` objects."""
        return [
            self._to_result(h)
            for h in self.search_hits(collection, query_vector, limit, filter, score_threshold, metric)
        ]

    def keyword_search(
        self,
        collection: str,
        query: str,
        limit: int = 10,
        filter: FilterLike = None,
        score_threshold: float | None = None,
    ) -> list[SearchResult]:
        """BM25 keyword search returning :class:`SearchResult` objects."""
        hits = self.keyword_search_hits(collection, query, limit, filter, score_threshold)
        return [self._to_result(h) for h in hits]

    def keyword_search_hits(
        self,
        collection: str,
        query: str,
        limit: int = 10,
        filter: FilterLike = None,
        score_threshold: float | None = None,
    ) -> list[Hit]:
        limit = self._check_limit(limit)
        if not isinstance(query, str):
            raise ValidationError("keyword query must be a string")
        hits = self.keyword_hits(collection, query, limit, coerce_filter(filter))
        if score_threshold is not None:
            hits = [h for h in hits if h.score >= score_threshold]
        return hits

    def hybrid_search_hits(
        self,
        collection: str,
        query_vector: Any,
        query_text: str,
        limit: int = 10,
        filter: FilterLike = None,
        strategy: HybridStrategy | str = HybridStrategy.RRF,
        alpha: float | None = None,
        weights: Sequence[float] | None = None,
        rrf_k: int = fusion.RRF_K,
        prefetch: int | None = None,
        score_threshold: float | None = None,
    ) -> list[Hit]:
        """Dense + keyword search fused into one ranking (see :mod:`ragyard.store.fusion`)."""
        limit = self._check_limit(limit)
        flt = coerce_filter(filter)
        n = max(prefetch or HYBRID_PREFETCH, limit)
        dim = self.dimension(collection)
        q = as_matrix(query_vector, dim, where="query")
        dense = self.dense_hits(collection, q, n, flt, None)[0]
        keyword = self.keyword_hits(collection, query_text, n, flt)
        fused = fusion.fuse(
            [[(h.id, h.score) for h in dense], [(h.id, h.score) for h in keyword]],
            strategy,
            weights=weights,
            alpha=alpha,
            rrf_k=rrf_k,
        )[:limit]
        by_id = {h.id: h for h in dense}
        for h in keyword:
            by_id.setdefault(h.id, h)
        out = []
        for id_, score in fused:
            h = by_id[id_]
            if score_threshold is not None and score < score_threshold:
                continue
            out.append(Hit(h.id, h.content, h.metadata, float(score)))
        return out

    def hybrid_search(
        self, collection: str, query_vector: Any, query_text: str, limit: int = 10, **kwargs: Any
    ) -> list[SearchResult]:
        """Hybrid search returning :class:`SearchResult` objects (kwargs as :meth:`hybrid_search_hits`)."""
        return [
            self._to_result(h) for h in self.hybrid_search_hits(collection, query_vector, query_text, limit, **kwargs)
        ]

    def _to_result(self, hit: Hit) -> SearchResult:
        payload = dict(hit.metadata)
        payload[self.text_field] = hit.content
        return SearchResult(id=hit.id, score=hit.score, payload=payload)


__all__ = [
    "HYBRID_PREFETCH",
    "FilterLike",
    "Hit",
    "PreparedBatch",
    "VectorStore",
    "check_collection_name",
    "points_to_batch",
    "prepare_batch",
]
