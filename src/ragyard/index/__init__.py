"""Vector indexes ("similarity backends" in seed 004) and their factory API.

Everything here is a thin layer over the generic registry (``get_registry("indexes")``), whose
built-in entries (exact, hnsw, faiss) come from ragyard's entry points; a plugin registered there
shows up in :data:`BACKENDS`, :func:`list_backends` and :func:`make_index` without further changes.

Seed-004 API, as written:

- :data:`SimilarityBackend` — the abstract base (an alias of :class:`VectorIndex`).
- :data:`BACKENDS` — ``{name: factory}``; ``factory(dim, **params)`` builds an index. A live read-only
  mapping over the registry (names best first, aliases accepted on lookup).
- :func:`list_backends` — names of the backends that can run here, best first.
- :func:`get_factory` — the factory for a name or alias; an unknown name raises
  :class:`~ragyard.errors.UnknownBackendError` (a ``ValueError``) listing the registered names.
- :func:`default_backend_name` — the best available backend by registry priority
  (faiss, then hnsw, then exact).
- :func:`make_index` — ``make_index(dim=16, backend="auto", metric="cosine", **params)``.

Importing this package does not import hnswlib or faiss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import UnknownBackendError
from ..registry import AUTO, Registry, get_registry
from .base import INDEX_FORMAT_VERSION, VectorIndex, read_index_meta
from .exact import ExactIndex

#: seed-004 name of the index contract
SimilarityBackend = VectorIndex

IndexFactory = Callable[..., VectorIndex]


def _registry() -> Registry:
    return get_registry("indexes")


def _factory_for(name: str) -> IndexFactory:
    def factory(dim: int = 16, **params: Any) -> VectorIndex:
        return _registry().create(name, dim=dim, **params)

    factory.__name__ = f"make_{name}_index"
    factory.__doc__ = f"Build a {name!r} index: ``factory(dim, metric='cosine', **params)``."
    return factory


class _BackendsView(Mapping[str, IndexFactory]):
    """Live ``{name: factory(dim, **params)}`` view of the index registry (read-only)."""

    def __getitem__(self, name: str) -> IndexFactory:
        if not isinstance(name, str) or name not in _registry():
            raise KeyError(name)
        return _factory_for(_registry().get(name).name)

    def __iter__(self) -> Iterator[str]:
        return iter(_registry().names())

    def __len__(self) -> int:
        return len(_registry().names())

    def __contains__(self, name: object) -> bool:
        return name in _registry()

    def __repr__(self) -> str:
        return f"BACKENDS({', '.join(self)})"


#: seed 004: backend name -> factory ``(dim, **params) -> VectorIndex``
BACKENDS: Mapping[str, IndexFactory] = _BackendsView()


def list_backends() -> list[str]:
    """Names of the index backends that can run here (their modules are installed), best first."""
    return _registry().list_backends(available_only=True)


def get_factory(backend_name: str) -> IndexFactory:
    """The factory ``(dim, **params) -> VectorIndex`` for a backend name or alias.

    Raises :class:`~ragyard.errors.UnknownBackendError` (a ``ValueError``) naming the registered
    backends when ``backend_name`` is unknown. A known but unavailable backend fails when the factory
    is called, with :class:`~ragyard.errors.BackendUnavailableError` (an ``ImportError``).
    """
    if not isinstance(backend_name, str) or backend_name not in _registry():
        raise UnknownBackendError("indexes", str(backend_name), _registry().names())
    return BACKENDS[backend_name]


def default_backend_name() -> str:
    """The best available backend by registry priority (faiss, then hnsw, then exact)."""
    return _registry().resolve_name(AUTO)


def make_index(dim: int = 16, backend: str = AUTO, metric: str = "cosine", **params: Any) -> VectorIndex:
    """Create an index (seed 004). ``backend="auto"`` takes the best available backend, skipping
    (and logging) any whose library fails to import; ``params`` go to the backend's constructor, which
    rejects parameters it does not know."""
    return _registry().create(backend, dim=dim, metric=metric, **params)


def get_backend_info(name: str | None = None) -> dict[str, Any] | list[dict[str, Any]]:
    """Registry description of one index backend, or of all of them (see ``Registry.get_backend_info``)."""
    return _registry().get_backend_info(name)


def __getattr__(attr: str) -> Any:
    # the ANN classes are importable from here without importing their modules up front
    if attr == "HNSWIndex":
        from .hnsw import HNSWIndex

        return HNSWIndex
    if attr == "FaissIndex":
        from .faiss import FaissIndex

        return FaissIndex
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


__all__ = [
    "BACKENDS",
    "INDEX_FORMAT_VERSION",
    "ExactIndex",
    "FaissIndex",
    "HNSWIndex",
    "SimilarityBackend",
    "VectorIndex",
    "default_backend_name",
    "get_backend_info",
    "get_factory",
    "list_backends",
    "make_index",
    "read_index_meta",
]
