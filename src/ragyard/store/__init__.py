"""Stores: collections of documents with embeddings in a database (SQLite by default).

``create_store(name="auto", **kwargs)`` builds a store backend by registry name; ``SQLiteStore`` is the
embedded default.
"""

from __future__ import annotations

from typing import Any

from ..registry import get_registry
from .base import Hit, VectorStore
from .layout import TableLayout


def create_store(name: str = "auto", /, **kwargs: Any) -> VectorStore:
    """A store backend by registry name (``auto``: the best available, SQLite by default)."""
    return get_registry("stores").create(name, **kwargs)


def list_backends(available_only: bool = False) -> list[str]:
    """Registered store backend names, best first."""
    return get_registry("stores").list_backends(available_only)


def get_backend_info(name: str | None = None) -> Any:
    """Registry info about one store backend or all of them."""
    return get_registry("stores").get_backend_info(name)


def __getattr__(name: str) -> Any:
    if name == "SQLiteStore":
        from .sqlite import SQLiteStore

        return SQLiteStore
    raise AttributeError(name)


__all__ = ["Hit", "SQLiteStore", "TableLayout", "VectorStore", "create_store", "get_backend_info", "list_backends"]
