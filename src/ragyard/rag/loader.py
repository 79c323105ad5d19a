"""Seed 001's Loader: documents in (embedded in batches, written in one transaction), documents out.

Works over any :class:`~ragyard.store.base.VectorStore`; the faces (SQLiteRAG, ...) pick the store.

Contract:
- ``load_documents_batch`` validates every document first, embeds all of them (batched, cached by
  content hash, optional progress bar), then writes the whole batch in one transaction: a failure at
  any step stores nothing.
- a document dict has ``content`` (non-empty str), optional ``metadata`` (dict) and an optional id under
  ``document_id`` or ``id`` (a UUID is generated otherwise). Loading an existing id replaces it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..embed.service import EmbeddingService
from ..errors import DocumentNotFoundError, LoaderError, RagyardError, ValidationError
from ..store.base import FilterLike, PreparedBatch, VectorStore, prepare_batch

logger = logging.getLogger(__name__)


def _doc_dict(hit: Any) -> dict[str, Any]:
    return {"id": hit.id, "content": hit.content, "metadata": hit.metadata}


class Loader:
    """Loads documents into one collection of a store (seed 001 ``YourBackendLoader``)."""

    def __init__(self, config: Any, embedding_service: EmbeddingService, store: VectorStore, collection: str):
        self.config = config
        self.embedding_service = embedding_service
        self.store = store
        self.collection = collection

    # -- loading -----------------------------------------------------------------------------
    def load_document(
        self,
        content: str,
        metadata: dict[str, Any] | None = None,
        document_id: str | None = None,
        generate_embedding: bool = True,
    ) -> str:
        """Load one document; returns its id."""
        return self.load_documents_batch(
            [{"content": content, "metadata": metadata, "document_id": document_id}],
            generate_embeddings=generate_embedding,
            show_progress=False,
        )[0]

    def prepare(
        self, documents: Sequence[Mapping[str, Any]], generate_embeddings: bool = True, show_progress: bool = False
    ) -> PreparedBatch:
        """Validate and embed documents without writing them."""
        if isinstance(documents, (Mapping, str)):
            raise ValidationError("documents must be a list of dicts")
        ids: list[str] = []
        contents: list[str] = []
        metas: list[Mapping[str, Any] | None] = []
        for i, doc in enumerate(documents):
            if not isinstance(doc, Mapping):
                raise ValidationError(f"document #{i} is {type(doc).__name__}, not a dict")
            content = doc.get("content")
            if not isinstance(content, str) or not content.strip():
                raise ValidationError(f"document #{i} has no content (a non-empty string is required)")
            meta = doc.get("metadata")
            if meta is not None and not isinstance(meta, Mapping):
                raise ValidationError(f"document #{i}: metadata must be a dict")
            doc_id = doc.get("document_id") or doc.get("id") or uuid.uuid4().hex
            ids.append(str(doc_id))
            contents.append(content)
            metas.append(meta)
        vectors = None
        if generate_embeddings and contents:
            vectors = self.embed(contents, show_progress=show_progress)
        return (
            prepare_batch(self.dimension, vectors, ids, contents, metas)
            if contents
            else PreparedBatch([], None, [], [])
        )

    @property
    def dimension(self) -> int:
        return int(self.embedding_service.dimension or self.store.get_collection_info(self.collection).dimension)

    def embed(self, contents: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Embed texts in batches of ``config.batch_size`` (one progress bar over all of them)."""
        bar = None
        if show_progress and len(contents) > 0:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(contents), desc=f"Embedding ({self.embedding_service.model_name})", unit="doc")
        try:
            parts = []
            bs = int(self.config.batch_size)
            for start in range(0, len(contents), bs):
                chunk = list(contents[start : start + bs])
                parts.append(self.embedding_service.embed(chunk))
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        return np.concatenate(parts) if parts else np.empty((0, self.dimension), dtype=np.float32)

    def load_documents_batch(
        self,
        documents: Sequence[Mapping[str, Any]],
        generate_embeddings: bool = True,
        show_progress: bool = True,
        replace_filter: FilterLike = None,
    ) -> list[str]:
        """Load many documents in one transaction; returns their ids in input order."""
        try:
            batch = self.prepare(documents, generate_embeddings, show_progress)
            if not batch.ids and replace_filter is None:
                return []
            return self.store.upsert_batch(
                self.collection, batch, model_name=self.embedding_service.model_name, replace_filter=replace_filter
            )
        except RagyardError:
            raise
        except Exception as exc:
            raise LoaderError(f"Failed to load documents batch: {exc}") from exc

    def embed_missing(self, show_progress: bool = True) -> int:
        """Embed documents stored without embeddings; returns how many were embedded."""
        ids = self.store.missing_embeddings(self.collection)
        if not ids:
            return 0
        hits = self.store.fetch_hits(self.collection, ids)
        ids = [i for i in ids if i in hits]
        vectors = self.embed([hits[i].content for i in ids], show_progress=show_progress)
        return self.store.set_embeddings(self.collection, ids, vectors, model_name=self.embedding_service.model_name)

    # -- retrieval and changes ---------------------------------------------------------------
    def get_document(self, document_id: str) -> dict[str, Any] | None:
        """``{"id", "content", "metadata"}`` or None when no such document exists."""
        hit = self.store.fetch_hits(self.collection, [str(document_id)]).get(str(document_id))
        return _doc_dict(hit) if hit is not None else None

    def get_documents_batch(self, document_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Documents in the order asked (missing ids skipped)."""
        keys = [str(i) for i in document_ids]
        hits = self.store.fetch_hits(self.collection, keys)
        return [_doc_dict(hits[k]) for k in keys if k in hits]

    def delete_document(self, document_id: str) -> bool:
        """Delete a document and its embedding; False when it did not exist."""
        return self.store.delete(self.collection, ids=[str(document_id)]) > 0

    def update_document(
        self,
        document_id: str,
        content: str | None = None,
        metadata: dict[str, Any] | None = None,
        regenerate_embedding: bool = True,
    ) -> bool:
        """Change a document's content and/or metadata (re-embedding changed content); True on success.

        An unknown id raises DocumentNotFoundError."""
        current = self.get_document(document_id)
        if current is None:
            raise DocumentNotFoundError(f"no document with id {document_id!r}")
        new_content = current["content"] if content is None else content
        new_meta = current["metadata"] if metadata is None else metadata
        keep_vector = content is None or content == current["content"] or not regenerate_embedding
        if keep_vector:
            vec = self.store.get_vectors(self.collection, [str(document_id)]).get(str(document_id))
            batch = prepare_batch(
                self.dimension,
                None if vec is None else vec.reshape(1, -1),
                [str(document_id)],
                [new_content],
                [new_meta],
            )
            if not isinstance(new_content, str) or not new_content.strip():
                raise ValidationError("document content must be a non-empty string")
            self.store.upsert_batch(self.collection, batch, model_name=self.embedding_service.model_name)
        else:
            self.load_documents_batch(
                [{"id": document_id, "content": new_content, "metadata": new_meta}], show_progress=False
            )
        return True

    def create_index(self, index_name: str, similarity_function: str = "cosine", **kwargs: Any) -> bool:
        """Build a persisted ANN index (``backend="hnsw"`` by default, or any index backend)."""
        backend = kwargs.pop("backend", "hnsw")
        return self.store.create_index(self.collection, index_name, similarity_function, backend=backend, **kwargs)

    def delete_index(self, index_name: str) -> bool:
        """Remove an ANN index; False when it did not exist."""
        return self.store.delete_index(self.collection, index_name)


__all__ = ["Loader"]
