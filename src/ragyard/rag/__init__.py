"""Seed 001 faces: RAG over SQL databases (SQLiteRAG is the embedded default), plus sources/chunking.

``from ragyard.rag import SQLiteRAG`` does not import torch; the semantic model loads when a RAG object
picks it.
"""

from __future__ import annotations

from .config import RAGConfig, SQLiteConfig
from .loader import Loader
from .models import Document, Embedding, SQLiteDocument, SQLiteEmbedding
from .protocols import (
    DatabaseConfigProtocol,
    DocumentLoaderProtocol,
    DocumentQuerierProtocol,
    RAGSystemProtocol,
)
from .querier import Querier
from .rag import SQLRAG, SQLiteRAG, embedder_for_model

# seed-001 per-backend names
SQLiteLoader = Loader
SQLiteQuerier = Querier

__all__ = [
    "SQLRAG",
    "DatabaseConfigProtocol",
    "Document",
    "DocumentLoaderProtocol",
    "DocumentQuerierProtocol",
    "Embedding",
    "Loader",
    "Querier",
    "RAGConfig",
    "RAGSystemProtocol",
    "SQLiteConfig",
    "SQLiteDocument",
    "SQLiteEmbedding",
    "SQLiteLoader",
    "SQLiteQuerier",
    "SQLiteRAG",
    "embedder_for_model",
]
