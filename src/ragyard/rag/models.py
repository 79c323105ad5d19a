"""Seed 001's data models: a document and an embedding, with dict and binary round trips.

Embeddings serialise to little-endian float32 bytes (4 bytes per dimension), the format every SQLite
table ragyard writes uses; JSON (a list of floats) is accepted on input too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ValidationError


def serialize_embedding(embedding: Any) -> bytes:
    """A vector (list or array) as little-endian float32 bytes."""
    arr = np.asarray(embedding, dtype="<f4").reshape(-1)
    if not np.isfinite(arr).all():
        raise ValidationError("embedding contains NaN or infinite values")
    return arr.tobytes()


def deserialize_embedding(data: Any) -> np.ndarray:
    """float32 bytes, a JSON list string, or a sequence -> a float32 vector."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) % 4:
            raise ValidationError(f"embedding blob of {len(raw)} bytes is not a float32 array")
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ValidationError("embedding string is not a JSON list") from None
    return np.asarray(data, dtype=np.float32).reshape(-1)


@dataclass
class Document:
    """A document: id, text content, JSON metadata."""

    id: str
    content: str
    metadata: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """For database insertion: metadata as a JSON string."""
        return {"id": self.id, "content": self.content, "metadata": json.dumps(self.metadata or {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        metadata = data.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata) if metadata else None
        return cls(id=str(data["id"]), content=data["content"], metadata=metadata or None)


@dataclass
class Embedding:
    """An embedding of one document by one model."""

    id: str
    document_id: str
    embedding: np.ndarray
    model_name: str | None = None

    def __post_init__(self) -> None:
        self.embedding = deserialize_embedding(self.embedding)

    def to_dict(self) -> dict[str, Any]:
        """For database insertion: the vector as float32 bytes."""
        return {
            "id": self.id,
            "document_id": self.document_id,
            "embedding": self._serialize_embedding(self.embedding),
            "model_name": self.model_name,
        }

    @staticmethod
    def _serialize_embedding(embedding: Any) -> bytes:
        return serialize_embedding(embedding)

    @staticmethod
    def _deserialize_embedding(data: Any) -> np.ndarray:
        return deserialize_embedding(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Embedding:
        return cls(
            id=str(data["id"]),
            document_id=str(data["document_id"]),
            embedding=cls._deserialize_embedding(data["embedding"]),
            model_name=data.get("model_name"),
        )


# seed-001 per-backend names
SQLiteDocument = Document
SQLiteEmbedding = Embedding

__all__ = [
    "Document",
    "Embedding",
    "SQLiteDocument",
    "SQLiteEmbedding",
    "deserialize_embedding",
    "serialize_embedding",
]
