"""The seed-001 embedding API: ``EmbeddingService``, ``EmbeddingProvider``, ``DefaultEmbeddingProvider``.

Seed code uses it as::

    service = EmbeddingService(provider=DefaultEmbeddingProvider(768), dimension=768)
    vec = asyncio.run(service.create_embedding("query"))               # list[float]
    vecs = asyncio.run(service.create_embeddings_batch(["a", "b"]))     # list[list[float]]
    service.provider.model_name                                          # recorded with the vectors

Contract:

- A provider is an :class:`EmbeddingProvider` (``model_name``, ``dimension``, async ``embed(text)``,
  async ``embed_batch(texts)``) or a plain :class:`~ragyard.embed.base.Embedder`, which the service
  wraps in an :class:`EmbedderProvider` (its blocking work runs in a worker thread, so the event loop
  is not blocked).
- Every vector the service returns has ``dimension`` entries; a provider producing anything else
  raises :class:`~ragyard.errors.DimensionMismatchError` (at construction when the provider declares
  its dimension, else when its vectors arrive).
- Besides the async seed API, ``embed(texts)`` / ``embed_query(text)`` are synchronous fast paths
  returning float32 numpy arrays.
- With a ``cache`` (:mod:`ragyard.embed.cache`), texts are keyed by (provider ``model_name``,
  BLAKE2b-16 of the UTF-8 text); only cache misses reach the provider, identical texts within one
  call are embedded once, and new vectors are written back. ``stats`` counts, per distinct text of a
  call, ``hits`` (served by the cache) and ``misses`` (embedded), plus ``duplicates`` (repeated texts
  within a call), ``provider_calls`` and ``requests``. A cache that stays locked is skipped with a
  warning rather than failing the call.
- Non-``str`` texts raise :class:`~ragyard.errors.ValidationError`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DimensionMismatchError, StoreLockedError, ValidationError
from ..similarity import as_matrix
from .base import Embedder
from .cache import EmbeddingCache, text_hash

logger = logging.getLogger(__name__)

_STAT_KEYS = ("requests", "hits", "misses", "duplicates", "provider_calls")


def _run_sync(coro_factory: Any) -> Any:
    """Run ``coro_factory()`` to completion from sync code, even if this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro_factory())
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro_factory())
        except BaseException as exc:
            result["error"] = exc

    worker = threading.Thread(target=target, name="ragyard-embed-sync")
    worker.start()
    worker.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


class EmbeddingProvider(ABC):
    """Something that turns text into vectors (the seed-001 provider interface).

    Subclasses implement async :meth:`embed`; :meth:`embed_batch` defaults to calling it per text.
    ``model_name`` identifies the model (stored next to vectors; cache namespace) and ``dimension``
    is the vector length (``None`` when unknown until the first vector). Both may be plain attributes
    set in ``__init__`` or properties.
    """

    model_name: str = "default"
    dimension: int | None = None
    #: True when ``embed(t)`` equals ``embed_batch([t])[0]`` (queries and passages share cache entries)
    symmetric: bool = True

    @abstractmethod
    async def embed(self, text: str) -> list[float]:
        """The vector of one text."""

    async def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """The vectors of several texts, in order."""
        return [await self.embed(t) for t in texts]

    def embed_array(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """Synchronous (n, dimension) float32 array; runs :meth:`embed_batch` unless overridden."""
        vectors = _run_sync(lambda: self.embed_batch(list(texts)))
        return as_matrix(vectors, self.dimension, where=f"provider {self.model_name!r}")

    def embed_query_array(self, text: str) -> np.ndarray:
        """Synchronous (dimension,) float32 vector of a query; runs :meth:`embed` unless overridden."""
        vector = _run_sync(lambda: self.embed(text))
        return as_matrix([vector], self.dimension, where=f"provider {self.model_name!r}")[0]


class EmbedderProvider(EmbeddingProvider):
    """Adapts a ragyard :class:`~ragyard.embed.base.Embedder` to :class:`EmbeddingProvider`.

    ``embed(text)`` uses the embedder's ``embed_query``, ``embed_batch`` its ``embed``; both run in a
    worker thread (``asyncio.to_thread``). ``embed_array`` calls the embedder directly.
    """

    def __init__(self, embedder: Embedder) -> None:
        if not isinstance(embedder, Embedder):
            raise ValidationError(f"EmbedderProvider needs an Embedder, got {type(embedder).__name__}")
        self.embedder = embedder

    @property  # type: ignore[override]
    def model_name(self) -> str:
        """The embedder's ``model_name``."""
        return self.embedder.model_name

    @property  # type: ignore[override]
    def dimension(self) -> int:
        """The embedder's ``dim``."""
        return self.embedder.dim

    @property  # type: ignore[override]
    def symmetric(self) -> bool:
        """False when the embedder embeds queries differently from passages."""
        return type(self.embedder).embed_query is Embedder.embed_query

    async def embed(self, text: str) -> list[float]:
        """See :class:`EmbeddingProvider`."""
        vec = await asyncio.to_thread(self.embedder.embed_query, text)
        return vec.tolist()

    async def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """See :class:`EmbeddingProvider`."""
        vecs = await asyncio.to_thread(self.embedder.embed, list(texts))
        return vecs.tolist()

    def embed_array(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        """See :class:`EmbeddingProvider`."""
        return self.embedder.embed(list(texts), show_progress=show_progress)

    def embed_query_array(self, text: str) -> np.ndarray:
        """See :class:`EmbeddingProvider`."""
        return self.embedder.embed_query(text)

    def __repr__(self) -> str:
        return f"EmbedderProvider({self.embedder!r})"


class DefaultEmbeddingProvider(EmbedderProvider):
    """The provider seed code gets by default: :func:`ragyard.embed.default_embedder` ``(dimension)``.

    With ``dimension=None`` it is the best available model; with a dimension the best model is used
    when its dimension matches, else the hashing embedder of that dimension (with a logged warning).
    """

    def __init__(self, dimension: int | None = None) -> None:
        from . import default_embedder

        super().__init__(default_embedder(dimension))


class EmbeddingService:
    """Embeds texts through a provider, checking dimensions and using an optional cache.

    ``provider``: an :class:`EmbeddingProvider` or an :class:`~ragyard.embed.base.Embedder`;
    ``dimension``: expected vector length (defaults to the provider's); ``cache``: an
    :class:`~ragyard.embed.cache.EmbeddingCache` or None. See the module docstring for the contract.
    """

    def __init__(
        self,
        provider: EmbeddingProvider | Embedder,
        dimension: int | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        if isinstance(provider, Embedder):
            provider = EmbedderProvider(provider)
        if not isinstance(provider, EmbeddingProvider):
            raise ValidationError(
                f"provider must be an EmbeddingProvider or an Embedder, got {type(provider).__name__}"
            )
        declared = provider.dimension
        if dimension is None:
            dimension = declared
        elif declared is not None and int(declared) != int(dimension):
            where = f"embedding provider {provider.model_name!r}"
            raise DimensionMismatchError(int(dimension), int(declared), where)
        self.provider = provider
        self.dimension: int | None = None if dimension is None else int(dimension)
        self.cache = cache
        self.stats: dict[str, int] = dict.fromkeys(_STAT_KEYS, 0)
        self._stats_lock = threading.Lock()

    # -- public properties ----------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        """The provider's model name."""
        return str(getattr(self.provider, "model_name", "default"))

    @property
    def embedder(self) -> Embedder | None:
        """The wrapped :class:`Embedder` when the provider is an :class:`EmbedderProvider`."""
        return getattr(self.provider, "embedder", None)

    # -- seed-001 async API ---------------------------------------------------------------------
    async def create_embedding(self, text: str) -> list[float]:
        """The embedding of one text (a query, in seed code) as a list of floats."""
        keys, plan = await self._off_loop(self._plan, [text], query=True)
        if plan.todo:
            vec = await self.provider.embed(plan.todo[0])
            self._count("provider_calls")
            plan.fill(self._check([vec]))
        out = await self._off_loop(self._finish, keys, plan)
        return out[0].tolist()

    async def create_embeddings_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """The embeddings of ``texts``, in order, as lists of floats."""
        keys, plan = await self._off_loop(self._plan, texts, query=False)
        if plan.todo:
            vecs = await self.provider.embed_batch(list(plan.todo))
            self._count("provider_calls")
            plan.fill(self._check(vecs, len(plan.todo)))
        out = await self._off_loop(self._finish, keys, plan)
        return out.tolist()

    # -- sync numpy fast paths ------------------------------------------------------------------
    def embed(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """The embeddings of ``texts`` as an (n, dimension) float32 array (no event loop needed)."""
        keys, plan = self._plan(texts, query=False)
        if plan.todo:
            vecs = self.provider.embed_array(list(plan.todo), show_progress=show_progress)
            self._count("provider_calls")
            plan.fill(self._check(vecs, len(plan.todo)))
        return self._finish(keys, plan)

    def embed_query(self, text: str) -> np.ndarray:
        """The (dimension,) float32 embedding of one query."""
        keys, plan = self._plan([text], query=True)
        if plan.todo:
            vec = self.provider.embed_query_array(plan.todo[0])
            self._count("provider_calls")
            plan.fill(self._check([vec]))
        return self._finish(keys, plan)[0]

    # -- internals ------------------------------------------------------------------------------
    async def _off_loop(self, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Run cache work (possibly blocking SQLite I/O) in a worker thread; inline without a cache."""
        if self.cache is None:
            return func(*args, **kwargs)
        return await asyncio.to_thread(func, *args, **kwargs)

    def _namespace(self, query: bool) -> str:
        name = self.model_name
        return name if (not query or getattr(self.provider, "symmetric", True)) else f"{name}#query"

    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] = self.stats.get(key, 0) + n

    def _plan(self, texts: Sequence[str], *, query: bool) -> tuple[list[bytes], _Plan]:
        if isinstance(texts, str):
            raise ValidationError("expected a list of texts, not a single string")
        items = list(texts)
        for i, t in enumerate(items):
            if not isinstance(t, str):
                raise ValidationError(f"text #{i} is {type(t).__name__}, not str")
        keys = [text_hash(t) for t in items]
        unique: dict[bytes, str] = {}
        for k, t in zip(keys, items, strict=True):
            unique.setdefault(k, t)
        namespace = self._namespace(query)
        found: dict[bytes, np.ndarray] = {}
        if self.cache is not None and unique:
            try:
                found = self.cache.get_many(namespace, list(unique))
            except StoreLockedError as exc:
                logger.warning("embedding cache skipped (read): %s", exc)
            if self.dimension is not None:
                found = {k: v for k, v in found.items() if v.shape == (self.dimension,)}
        todo_keys = [k for k in unique if k not in found]
        with self._stats_lock:
            self.stats["requests"] += 1
            self.stats["hits"] += len(found)
            self.stats["misses"] += len(todo_keys)
            self.stats["duplicates"] += len(items) - len(unique)
        return keys, _Plan(namespace, found, todo_keys, [unique[k] for k in todo_keys])

    def _check(self, vectors: Any, expected_rows: int | None = None) -> np.ndarray:
        where = f"embedding provider {self.model_name!r}"
        arr = as_matrix(vectors, self.dimension, where=where)
        if self.dimension is None:
            self.dimension = int(arr.shape[1])
        n = 1 if expected_rows is None else expected_rows
        if arr.shape[0] != n:
            raise ValidationError(f"{where} returned {arr.shape[0]} vectors for {n} texts")
        return arr

    def _finish(self, keys: list[bytes], plan: _Plan) -> np.ndarray:
        if plan.new and self.cache is not None:
            try:
                self.cache.put_many(plan.namespace, plan.new)
            except StoreLockedError as exc:
                logger.warning("embedding cache skipped (write): %s", exc)
        dim = self.dimension if self.dimension is not None else 0
        out = np.empty((len(keys), dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = plan.found[k]
        return out

    def __repr__(self) -> str:
        return f"EmbeddingService(provider={self.provider!r}, dimension={self.dimension}, cache={self.cache!r})"


class _Plan:
    """Work of one call: cached vectors, texts still to embed, vectors computed for them."""

    __slots__ = ("found", "namespace", "new", "todo", "todo_keys")

    def __init__(self, namespace: str, found: dict[bytes, np.ndarray], todo_keys: list[bytes], todo: list[str]) -> None:
        self.namespace = namespace
        self.found = found
        self.todo_keys = todo_keys
        self.todo = todo
        self.new: dict[bytes, np.ndarray] = {}

    def fill(self, vectors: np.ndarray) -> None:
        for k, vec in zip(self.todo_keys, vectors, strict=True):
            self.found[k] = vec
            self.new[k] = vec


__all__ = ["DefaultEmbeddingProvider", "EmbedderProvider", "EmbeddingProvider", "EmbeddingService"]
