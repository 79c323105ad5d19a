"""Seed 001's runtime-checkable protocols for SQL RAG backends.

``isinstance(obj, RAGSystemProtocol)`` checks that ``obj`` has every method of a complete RAG system
(structural typing: no inheritance needed). Every RAG face ragyard ships passes these checks.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class DatabaseConfigProtocol(Protocol):
    """Configuration: connection and schema."""

    db_path: str
    documents_table: str
    embeddings_table: str
    embedding_dimension: int
    batch_size: int

    def get_connection(self) -> Any: ...
    def get_connection_context(self) -> AbstractContextManager[Any]: ...
    def get_documents_schema(self) -> str: ...
    def get_embeddings_schema(self) -> str: ...
    def setup_database(self, conn: Any) -> None: ...


@runtime_checkable
class DocumentLoaderProtocol(Protocol):
    """Loading documents and managing indexes."""

    def load_document(
        self,
        content: str,
        metadata: dict[str, Any] | None = None,
        document_id: str | None = None,
        generate_embedding: bool = True,
    ) -> str: ...
    def load_documents_batch(
        self, documents: list[dict[str, Any]], generate_embeddings: bool = True, show_progress: bool = True
    ) -> list[str]: ...
    def get_document(self, document_id: str) -> Any: ...
    def get_documents_batch(self, document_ids: list[str]) -> list[Any]: ...
    def delete_document(self, document_id: str) -> bool: ...
    def create_index(self, index_name: str, similarity_function: str = "cosine", **kwargs: Any) -> bool: ...
    def delete_index(self, index_name: str) -> bool: ...


@runtime_checkable
class DocumentQuerierProtocol(Protocol):
    """Similarity queries."""

    def query(
        self,
        query_text: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...
    def query_with_precomputed_embedding(
        self,
        query_embedding: Any,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...
    def query_batch(
        self,
        query_texts: list[str],
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[list[dict[str, Any]]]: ...
    def query_by_filters(
        self,
        filters: dict[str, Any],
        query_text: str | None = None,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...
    def get_similar_documents(
        self,
        document_id: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...


@runtime_checkable
class RAGSystemProtocol(Protocol):
    """A complete RAG system: loading, retrieval, querying, indexes, statistics."""

    def load_document(
        self,
        content: str,
        metadata: dict[str, Any] | None = None,
        document_id: str | None = None,
        generate_embedding: bool = True,
    ) -> str: ...
    def load_documents(
        self, documents: list[dict[str, Any]], generate_embeddings: bool = True, show_progress: bool = True
    ) -> list[str]: ...
    def get_document(self, document_id: str) -> Any: ...
    def get_documents(self, document_ids: list[str]) -> list[Any]: ...
    def delete_document(self, document_id: str) -> bool: ...
    def create_index(self, index_name: str, similarity_function: str = "cosine", **kwargs: Any) -> bool: ...
    def delete_index(self, index_name: str) -> bool: ...
    def query(
        self,
        query_text: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...
    def query_with_embedding(
        self,
        query_embedding: Any,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...
    def query_batch(
        self,
        query_texts: list[str],
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[list[dict[str, Any]]]: ...
    def query_with_filters(
        self,
        filters: dict[str, Any],
        query_text: str | None = None,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...
    def find_similar_documents(
        self,
        document_id: str,
        top_k: int = 5,
        similarity_threshold: float = 0.0,
        similarity_function: str = "cosine",
        **kwargs: Any,
    ) -> list[dict[str, Any]]: ...
    def get_statistics(self) -> dict[str, Any]: ...


__all__ = ["DatabaseConfigProtocol", "DocumentLoaderProtocol", "DocumentQuerierProtocol", "RAGSystemProtocol"]
