"""Approximate index on hnswlib's HNSW graph (extra ``ann``).

Contract (on top of :class:`~ragyard.index.base.VectorIndex`):

- Metrics: cosine (hnswlib space ``cosine``), inner_product (``ip``; hnswlib returns ``1 - ip``, we
  return ``-ip``) and euclidean (``l2``; hnswlib returns the *squared* distance, we return ``L2``), so
  distances follow :mod:`ragyard.similarity`.
- Labels in the graph are our int64 keys. Adding an existing key updates its vector in place (hnswlib
  re-links the node); :meth:`remove_items` uses ``mark_deleted`` and re-adding a removed key revives
  its node. When deleted nodes outnumber live ones the graph is rebuilt from the live vectors.
- Capacity grows automatically (``resize_index`` to twice the size) — ``max_elements`` is only the
  initial allocation.
- ``ef_search`` (attribute, or :meth:`set_ef_search`) can be changed at any time; hnswlib uses
  ``max(ef_search, k)``.
- A copy of every vector is kept in an :class:`~ragyard.index.exact.ExactIndex` next to the graph
  (hnswlib's own ``get_items`` costs ~20 µs per vector through its Python binding). It serves
  :meth:`get_items`, the exact search over small ``allowed`` sets and the exact fallback; the memory
  cost is one extra float32 matrix (``4 * dim`` bytes per vector).
- ``allowed``, three strategies, cheapest first. (1) Fewer than ``exact_threshold`` allowed keys
  (or ``exact_fraction`` of the index): exact search over those vectors. (2) Otherwise, when
  ``2 * k / selectivity`` is at most 1024: one unfiltered, multi-threaded search for that many
  neighbours, keeping the allowed ones (post-filtering with over-fetch). (3) Rows still short, and
  more selective filters: hnswlib's ``filter`` callback (single-threaded, as it calls into Python;
  hnswlib searches with ``max(ef_search, k)``), then an exact answer for any row still short.
  Every row holds ``min(k, |allowed ∩ index|)`` results.
- Thread safety: concurrent searches are fine; writes must not overlap other calls.
- Persistence: one file holding the key/vector side store, the deleted labels and hnswlib's own
  ``save_index`` output (which keeps the deletion marks).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import numpy as np

from ..errors import BackendUnavailableError, ConfigurationError, ValidationError
from ..registry import BackendSpec
from .base import VectorIndex
from .exact import (
    ExactIndex,
    check_k,
    check_keys,
    check_params,
    dedupe_last,
    pad_to,
    padded,
    positive_int,
    read_container,
    write_container,
)

logger = logging.getLogger(__name__)

_SPACES = {"cosine": "cosine", "inner_product": "ip", "euclidean": "l2"}
_PARAMS = (
    "M",
    "ef_construction",
    "ef_search",
    "max_elements",
    "num_threads",
    "random_seed",
    "exact_threshold",
    "exact_fraction",
)
#: filtered search: fetch this many times ``k / selectivity`` results unfiltered and keep the allowed ones
_OVERFETCH = 2.0
#: ... unless that is more than this many results (then hnswlib's filter callback is used)
_OVERFETCH_MAX = 1024
#: rebuild the graph when more than this many deleted nodes exceed the live ones
_COMPACT_MIN_DELETED = 1024


def _import_hnswlib() -> Any:
    try:
        import hnswlib
    except ImportError as exc:
        raise BackendUnavailableError(f"the hnsw index needs hnswlib: {exc}", extra="ann") from None
    return hnswlib


def _usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class HNSWIndex(VectorIndex):
    """hnswlib HNSW graph over int64 keys (see the module docstring for the contract).

    Parameters: ``M`` (graph degree, 16), ``ef_construction`` (200), ``ef_search`` (64),
    ``max_elements`` (initial capacity, 1024), ``num_threads`` (threads for adds and batched
    queries, 0 = all cores), ``random_seed`` (100), ``exact_threshold`` (2000) and ``exact_fraction``
    (0.02) deciding when an ``allowed`` search is done exactly.
    """

    name: ClassVar[str] = "hnsw"
    supported_metrics: ClassVar[tuple[str, ...]] = ("cosine", "inner_product", "euclidean")

    def __init__(
        self,
        dim: int,
        metric: str = "cosine",
        *,
        M: int = 16,
        ef_construction: int = 200,
        ef_search: int = 64,
        max_elements: int = 1024,
        num_threads: int = 0,
        random_seed: int = 100,
        exact_threshold: int = 2000,
        exact_fraction: float = 0.02,
        **params: Any,
    ):
        check_params(self.name, params, _PARAMS)
        super().__init__(
            dim,
            metric,
            M=M,
            ef_construction=ef_construction,
            ef_search=ef_search,
            max_elements=max_elements,
            num_threads=num_threads,
            random_seed=random_seed,
            exact_threshold=exact_threshold,
            exact_fraction=exact_fraction,
        )
        self._hnswlib = _import_hnswlib()
        self.M = positive_int("M", M)
        self.ef_construction = positive_int("ef_construction", ef_construction)
        self._ef_search = positive_int("ef_search", ef_search)
        self._initial_capacity = positive_int("max_elements", max_elements)
        if not isinstance(num_threads, (int, np.integer)) or num_threads < 0:
            raise ConfigurationError(f"num_threads must be >= 0 (0 = all cores), got {num_threads!r}")
        self.num_threads = int(num_threads) or _usable_cpus()
        self.random_seed = int(random_seed)
        self.exact_threshold = int(exact_threshold)
        if not 0.0 <= float(exact_fraction) <= 1.0:
            raise ConfigurationError(f"exact_fraction must be within [0, 1], got {exact_fraction!r}")
        self.exact_fraction = float(exact_fraction)
        self._space = _SPACES[self.metric]
        self._store = ExactIndex(self.dim, self.metric)
        self._deleted: set[int] = set()
        self._index = self._new_graph(self._initial_capacity)

    # -- settings --------------------------------------------------------------------------------
    @property
    def ef_search(self) -> int:
        """Size of the dynamic candidate list at query time (higher: better recall, slower)."""
        return self._ef_search

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        self._ef_search = positive_int("ef_search", value)
        self.params["ef_search"] = self._ef_search
        self._index.set_ef(self._ef_search)

    def set_ef_search(self, value: int) -> None:
        """Same as assigning :attr:`ef_search`."""
        self.ef_search = value

    def _new_graph(self, capacity: int) -> Any:
        index = self._hnswlib.Index(space=self._space, dim=self.dim)
        index.init_index(
            max_elements=max(1, capacity), M=self.M, ef_construction=self.ef_construction, random_seed=self.random_seed
        )
        index.set_ef(self._ef_search)
        index.set_num_threads(self.num_threads)
        return index

    # -- key API ---------------------------------------------------------------------------------
    def add_items(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace (an existing or removed key is updated in place in the graph)."""
        mat = self._check_vectors(vectors, "add_items")
        keys = check_keys(keys, mat.shape[0])
        if keys.shape[0] == 0:
            return
        keys, mat = dedupe_last(keys, mat)
        known = self._store._lookup_rows(keys) >= 0
        if self._deleted:
            revived = np.fromiter((k in self._deleted for k in keys.tolist()), dtype=bool, count=keys.shape[0])
            known |= revived
        needed = self._index.get_current_count() + int((~known).sum())
        capacity = self._index.get_max_elements()
        if needed > capacity:
            self._index.resize_index(max(needed, 2 * capacity))
        self._index.add_items(mat, keys, num_threads=self.num_threads)
        if self._deleted:
            self._deleted.difference_update(keys.tolist())
        self._store.add_items(keys, mat)

    def remove_items(self, keys: np.ndarray) -> int:
        """Mark keys deleted (absent ones ignored); returns how many were removed."""
        present = self._store.present(check_keys(keys))
        if present.shape[0] == 0:
            return 0
        for key in present.tolist():
            self._index.mark_deleted(key)
        self._deleted.update(present.tolist())
        self._store.remove_items(present)
        if len(self._deleted) > max(_COMPACT_MIN_DELETED, len(self._store)):
            self.compact()
        return int(present.shape[0])

    def compact(self) -> None:
        """Rebuild the graph from the live vectors, dropping deleted nodes."""
        n = len(self._store)
        logger.info("hnsw index: rebuilding the graph (%d live, %d deleted nodes)", n, len(self._deleted))
        index = self._new_graph(max(self._initial_capacity, n + n // 2, 1))
        if n:
            index.add_items(self._store.vectors(), self._store.keys(), num_threads=self.num_threads)
        self._index = index
        self._deleted = set()

    def search_items(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate k-NN (see the module docstring for how ``allowed`` is served)."""
        q = self._check_vectors(queries, "search_items")
        k = check_k(k)
        n = len(self._store)
        if n == 0 or q.shape[0] == 0:
            return padded(q.shape[0], k)
        if allowed is None:
            kk = min(k, n)
            labels, dists = self._knn(q, kk, None, self.num_threads, None)
            return pad_to(labels, dists, k)
        allow = self._store.present(allowed)
        if allow.shape[0] == 0:
            return padded(q.shape[0], k)
        if allow.shape[0] < max(self.exact_threshold, self.exact_fraction * n):
            return self._store.search_items(q, k, allowed=allow)
        kk = min(k, allow.shape[0])
        m = q.shape[0]
        out_k = np.empty((m, kk), dtype=np.int64)
        out_d = np.empty((m, kk), dtype=np.float32)
        todo = np.arange(m)
        fetch = math.ceil(_OVERFETCH * kk * n / allow.shape[0])
        if fetch <= min(n, _OVERFETCH_MAX):
            # post-filter an unfiltered search (multi-threaded, no Python callbacks)
            labels, dists = self._knn(q, fetch, None, self.num_threads, None)
            at = np.minimum(np.searchsorted(allow, labels), allow.shape[0] - 1)
            hit = allow[at] == labels
            order = np.argsort(~hit, axis=1, kind="stable")[:, :kk]
            out_k[:] = np.take_along_axis(labels, order, axis=1)
            out_d[:] = np.take_along_axis(dists, order, axis=1)
            todo = np.flatnonzero(hit.sum(axis=1) < kk)
        if todo.shape[0]:  # hnswlib's filter callback (single-threaded: it calls into Python)
            members = set(allow.tolist())
            out_k[todo], out_d[todo] = self._knn(q[todo], kk, members.__contains__, 1, allow)
        return pad_to(out_k, out_d, k)

    def _knn(
        self, q: np.ndarray, kk: int, filt: Any, threads: int, allow: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """hnswlib query converted to our conventions (hnswlib searches with ``max(ef, kk)``); rows
        hnswlib cannot fill (deleted nodes or a selective filter) are retried alone and, failing
        that, answered exactly."""
        try:
            labels, raw = self._index.knn_query(q, k=kk, num_threads=threads, filter=filt)
            return self._convert(labels, raw)
        except RuntimeError:
            pass
        out_k = np.empty((q.shape[0], kk), dtype=np.int64)
        out_d = np.empty((q.shape[0], kk), dtype=np.float32)
        for i in range(q.shape[0]):
            row = q[i : i + 1]
            try:
                labels, raw = self._index.knn_query(row, k=kk, num_threads=1, filter=filt)
                out_k[i], out_d[i] = (a[0] for a in self._convert(labels, raw))
            except RuntimeError:
                keys, dists = self._store.search_items(row, kk, allowed=allow)
                out_k[i], out_d[i] = keys[0], dists[0]
        return out_k, out_d

    def _convert(self, labels: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keys = labels.view(np.int64) if labels.dtype == np.uint64 else labels.astype(np.int64)
        if self._space == "l2":
            np.maximum(raw, 0.0, out=raw)
            np.sqrt(raw, out=raw)
        elif self._space == "ip":
            raw -= 1.0
        return keys, raw

    def keys(self) -> np.ndarray:
        """Every live key (int64)."""
        return self._store.keys()

    def get_items(self, keys: np.ndarray) -> np.ndarray:
        """Stored vectors (unit length under cosine); unknown or removed keys raise NotFoundError."""
        return self._store.get_items(keys)

    def __len__(self) -> int:
        return len(self._store)

    # -- persistence -----------------------------------------------------------------------------
    def _save_data(self, path: Path) -> None:
        graph_tmp = path.with_name(path.name + ".hnswlib")
        self._index.save_index(str(graph_tmp))
        try:

            def copy_graph(f: BinaryIO) -> None:
                with open(graph_tmp, "rb") as src:
                    shutil.copyfileobj(src, f, 1 << 20)

            header = {
                "kind": "hnsw",
                "metric": self.metric,
                "M": self.M,
                "ef_construction": self.ef_construction,
                "ef_search": self._ef_search,
                "random_seed": self.random_seed,
            }
            arrays = {
                "keys": self._store.keys(),
                "vectors": self._store.vectors(),
                "deleted": np.fromiter(self._deleted, dtype=np.int64, count=len(self._deleted)),
            }
            write_container(path, header, arrays, copy_graph)
        finally:
            graph_tmp.unlink(missing_ok=True)

    def _load_data(self, path: Path) -> None:
        with read_container(path) as (header, arrays, f):
            if header.get("kind") != "hnsw":
                raise ValidationError(f"{path} does not hold hnsw-index data")
            fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".hnswlib", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as dst:
                    shutil.copyfileobj(f, dst, 1 << 20)
                self._space = _SPACES[self.metric]
                self.M = int(header["M"])
                self.ef_construction = int(header["ef_construction"])
                self.random_seed = int(header.get("random_seed", self.random_seed))
                index = self._hnswlib.Index(space=self._space, dim=self.dim)
                index.load_index(tmp_name, max_elements=0)
            finally:
                Path(tmp_name).unlink(missing_ok=True)
        self._index = index
        self._index.set_num_threads(self.num_threads)
        self.ef_search = int(header["ef_search"])
        self.params.update(M=self.M, ef_construction=self.ef_construction)
        self._store = ExactIndex(self.dim, self.metric)
        self._store._restore(arrays["keys"], arrays["vectors"])
        self._deleted = set(arrays["deleted"].tolist())


backend = BackendSpec(
    name="hnsw",
    factory=HNSWIndex,
    priority=20,
    description="approximate search on an hnswlib HNSW graph",
    requires=("hnswlib",),
    extra="ann",
)

__all__ = ["HNSWIndex", "backend"]
