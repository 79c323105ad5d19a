"""Exact (brute-force) vector index: one contiguous float32 matrix searched with a matrix product.

Contract (on top of :class:`~ragyard.index.base.VectorIndex`):

- Results are exact: the ``k`` smallest distances under the metric, ties broken by storage order.
- Storage is one C-contiguous float32 matrix with geometric growth (amortised O(1) appends), a
  row -> key array and a key -> row dict. Removal moves the last row into the hole (O(dim) per key),
  so storage order is not insertion order.
- cosine: rows are stored L2-normalised (and queries are normalised), so :meth:`get_items` returns
  unit vectors and a search is one matrix product. euclidean: squared row norms are kept, the ranking
  uses ``|x|^2 - 2 q.x`` and the distances of the returned rows are recomputed exactly as ``|q - x|``.
- ``allowed`` gathers the allowed rows and computes distances only over them; keys map to rows
  through a :class:`KeyMap` (vectorised for rowid-like keys).
- Thread safety: concurrent searches are fine; writes must not overlap other calls.
- Batched queries run as one matrix product per block of queries, a block's distance matrix being
  bounded by ~256 MB.

The module also holds the helpers the approximate backends share (key validation, exact k-NN over
an arbitrary matrix used for their exact fallbacks, and the single-file container they save into).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import numpy as np

from ..errors import ConfigurationError, NotFoundError, ValidationError
from ..registry import BackendSpec
from ..similarity import l2_normalize, pairwise_distances, top_k_smallest
from .base import VectorIndex

#: upper bound of one (queries x rows) float32 distance block
BLOCK_BYTES = 256 * 1024 * 1024
#: above this many keys a lookup builds (or reuses) a sorted key array instead of probing the dict
_SORTED_LOOKUP_MIN = 1024
#: a key map stays a dense array while the largest key is below max(this, 4 * item count)
_DENSE_KEYS_MIN = 1 << 20

_CONTAINER_MAGIC = b"RAGYIDX1"
_CONTAINER_VERSION = 1


# -- shared helpers --------------------------------------------------------------------------------
def check_k(k: Any) -> int:
    """``k`` as a positive int, or ValidationError."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise ValidationError(f"k must be a positive integer, got {k!r}")
    return int(k)


def check_keys(keys: Any, count: int | None = None) -> np.ndarray:
    """``keys`` as a 1-D int64 array of non-negative keys (``-1`` is the padding key), optionally of
    length ``count``; raises ValidationError otherwise."""
    try:
        arr = np.asarray(keys)
    except (TypeError, ValueError) as exc:  # pragma: no cover - numpy accepts nearly anything
        raise ValidationError(f"keys are not an array of integers: {exc}") from None
    if arr.dtype != np.int64:
        if arr.size and arr.dtype.kind not in "iu":
            raise ValidationError(f"keys must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
    arr = arr.reshape(-1)
    if count is not None and arr.shape[0] != count:
        raise ValidationError(f"got {arr.shape[0]} keys for {count} vectors")
    if arr.size and int(arr.min()) < 0:
        raise ValidationError("keys must be non-negative integers (-1 marks padding in results)")
    return arr


def dedupe_last(keys: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated keys of one batch, keeping each key's last vector (later writes win)."""
    if keys.shape[0] < 2:
        return keys, vectors
    uniq, first_in_reversed = np.unique(keys[::-1], return_index=True)
    if uniq.shape[0] == keys.shape[0]:
        return keys, vectors
    keep = np.sort(keys.shape[0] - 1 - first_in_reversed)
    return keys[keep], vectors[keep]


def padded(m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """An all-padding result: keys ``-1`` and distances ``inf`` of shape (m, k)."""
    return np.full((m, k), -1, dtype=np.int64), np.full((m, k), np.inf, dtype=np.float32)


def pad_to(keys: np.ndarray, dists: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Pad (m, k') results to (m, k) with key -1 / distance inf (no copy when k' == k)."""
    m, have = keys.shape
    if have == k:
        if keys.dtype != np.int64:
            keys = keys.astype(np.int64)
        if dists.dtype != np.float32:
            dists = dists.astype(np.float32)
        return keys, dists
    out_k, out_d = padded(m, k)
    out_k[:, :have] = keys
    out_d[:, :have] = dists
    return out_k, out_d


def exact_knn(
    queries: np.ndarray,
    data: np.ndarray,
    k: int,
    metric: str,
    *,
    sq_norms: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of ``data`` for each query row: ``(positions (m, k'), distances (m, k'))``
    sorted ascending, ``k' = min(k, len(data))``.

    For cosine both ``queries`` and ``data`` must already be unit length (the distances are
    ``1 - q.x``). For euclidean ``sq_norms`` may carry the squared row norms of ``data``. Distances
    equal :func:`ragyard.similarity.pairwise_distances` up to float rounding; the work is one matrix
    product per block of queries with the ranking done in place on the product (no extra (m, n)
    temporaries), which is what keeps this within a few percent of a bare matmul + argpartition.
    """
    m, n = queries.shape[0], data.shape[0]
    kk = min(k, n)
    if kk <= 0 or m == 0:
        return np.empty((m, 0), dtype=np.int64), np.empty((m, 0), dtype=np.float32)
    if metric == "euclidean" and sq_norms is None:
        sq_norms = np.einsum("ij,ij->i", data, data)
    step = max(1, BLOCK_BYTES // max(1, n * 4))
    if metric == "manhattan":  # pairwise_distances blocks its own broadcasting
        step = max(1, min(step, 4096))
    pos_out = np.empty((m, kk), dtype=np.int64)
    dist_out = np.empty((m, kk), dtype=np.float32)
    for start in range(0, m, step):
        q = queries[start : start + step]
        if metric == "manhattan":
            pos, dist = top_k_smallest(pairwise_distances(q, data, "manhattan"), kk)
        else:
            prod = q @ data.T
            if metric == "euclidean":
                prod *= -2.0
                prod += sq_norms
                pos, _ = top_k_smallest(prod, kk)
                dist = _exact_l2(q, data, pos)
                order = np.argsort(dist, axis=1, kind="stable")
                pos = np.take_along_axis(pos, order, axis=1)
                dist = np.take_along_axis(dist, order, axis=1)
            else:
                np.negative(prod, out=prod)
                pos, dist = top_k_smallest(prod, kk)
                if metric == "cosine":
                    dist += 1.0
        pos_out[start : start + step] = pos
        dist_out[start : start + step] = dist
    return pos_out, dist_out


def _exact_l2(q: np.ndarray, data: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """|q_i - data[pos[i, j]]| computed directly (no cancellation), float32 (m, k)."""
    diff = data[pos] - q[:, None, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff)).astype(np.float32, copy=False)


def prepare_queries(queries: np.ndarray, metric: str) -> np.ndarray:
    """Queries as searched: unit length for cosine, unchanged otherwise."""
    return l2_normalize(queries) if metric == "cosine" else queries


def check_params(backend: str, given: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """ConfigurationError for parameters a backend does not know (catches typos early)."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) or "none"
        raise ConfigurationError(
            f"unknown parameter(s) for the {backend} index: {', '.join(unknown)}; accepted: {accepted}"
        )


def positive_int(name: str, value: Any) -> int:
    """``value`` as a positive int or ConfigurationError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# -- single-file container -------------------------------------------------------------------------
def write_container(
    path: Path,
    header: dict[str, Any],
    arrays: dict[str, np.ndarray],
    blob: Callable[[BinaryIO], None] | None = None,
) -> None:
    """Write ``header`` (JSON), ``arrays`` (raw little-endian) and an optional trailing blob written by
    ``blob(file)`` into one file at ``path``."""
    specs = []
    for name, arr in arrays.items():
        a = np.ascontiguousarray(arr)
        if a.dtype.byteorder == ">":  # pragma: no cover - big-endian hosts
            a = a.astype(a.dtype.newbyteorder("<"))
        arrays[name] = a
        specs.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape)})
    head = json.dumps({"version": _CONTAINER_VERSION, "header": header, "arrays": specs}).encode()
    with open(path, "wb") as f:
        f.write(_CONTAINER_MAGIC)
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for spec in specs:
            a = arrays[spec["name"]]
            if a.size:
                f.write(memoryview(a).cast("B"))
        if blob is not None:
            blob(f)


@contextmanager
def read_container(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, np.ndarray], BinaryIO]]:
    """Open a file written by :func:`write_container`: yields ``(header, arrays, file)`` with the file
    positioned at the start of the blob. Raises ValidationError for a foreign or newer file."""
    with open(path, "rb") as f:
        if f.read(len(_CONTAINER_MAGIC)) != _CONTAINER_MAGIC:
            raise ValidationError(f"{path} is not a ragyard index data file")
        (length,) = struct.unpack("<Q", f.read(8))
        head = json.loads(f.read(length))
        if int(head.get("version", 0)) > _CONTAINER_VERSION:
            raise ValidationError(f"{path} was written by a newer ragyard (container v{head['version']})")
        arrays: dict[str, np.ndarray] = {}
        for spec in head["arrays"]:
            arr = np.empty(tuple(spec["shape"]), dtype=np.dtype(spec["dtype"]))
            if arr.size:
                got = f.readinto(memoryview(arr).cast("B"))
                if got != arr.nbytes:
                    raise ValidationError(f"{path} is truncated")
            arrays[spec["name"]] = arr
        yield head["header"], arrays, f


class KeyMap:
    """key -> row for non-negative int64 keys, vectorised.

    While keys stay dense (at most 4x the item count, or below 2**20) the map is one int64 array
    indexed by key (-1 = absent): lookups and inserts are single numpy operations, which suits the
    stores' rowids. A sparse key switches it, for good, to a dict plus a sorted-array cache for long
    lookups.
    """

    def __init__(self) -> None:
        self._table: np.ndarray | None = np.full(1024, -1, dtype=np.int64)
        self._dict: dict[int, int] = {}
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def dense(self) -> bool:
        """True while the array representation is in use."""
        return self._table is not None

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Row per key, -1 where absent."""
        t = self._table
        if t is not None:
            inside = keys < t.shape[0]
            if inside.all():
                return t[keys]
            out = np.full(keys.shape[0], -1, dtype=np.int64)
            out[inside] = t[keys[inside]]
            return out
        if self._sorted is None and keys.shape[0] < _SORTED_LOOKUP_MIN:
            get = self._dict.get
            return np.fromiter((get(key, -1) for key in keys.tolist()), dtype=np.int64, count=keys.shape[0])
        if self._sorted is None:
            skeys = np.fromiter(self._dict.keys(), dtype=np.int64, count=len(self._dict))
            srows = np.fromiter(self._dict.values(), dtype=np.int64, count=len(self._dict))
            order = np.argsort(skeys)
            self._sorted = (skeys[order], srows[order])
        skeys, srows = self._sorted
        if skeys.shape[0] == 0:
            return np.full(keys.shape[0], -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(skeys, keys), skeys.shape[0] - 1)
        return np.where(skeys[at] == keys, srows[at], -1)

    def assign(self, keys: np.ndarray, rows: np.ndarray, live_after: int) -> None:
        """Map ``keys`` to ``rows`` (``live_after``: item count once they are in)."""
        t = self._table
        if t is not None and keys.shape[0]:
            top = int(keys.max())
            if top >= t.shape[0]:
                size = max(top + 1, 2 * t.shape[0])
                if size > max(_DENSE_KEYS_MIN, 4 * live_after):
                    self._to_dict()
                else:
                    grown = np.full(size, -1, dtype=np.int64)
                    grown[: t.shape[0]] = t
                    self._table = grown
        if self._table is not None:
            self._table[keys] = rows
        else:
            self._dict.update(zip(keys.tolist(), rows.tolist()))
            self._sorted = None

    def set_one(self, key: int, row: int) -> None:
        """Map one key that is present already to a new row."""
        if self._table is not None:
            self._table[key] = row
        else:
            self._dict[key] = row
            self._sorted = None

    def pop_one(self, key: int) -> int | None:
        """Unmap one key; returns its row, or None when it was absent."""
        t = self._table
        if t is not None:
            if key >= t.shape[0] or t[key] < 0:
                return None
            row = int(t[key])
            t[key] = -1
            return row
        row = self._dict.pop(key, None)
        if row is not None:
            self._sorted = None
        return row

    def unassign(self, keys: np.ndarray) -> None:
        """Unmap ``keys`` (all of which must be mapped)."""
        if self._table is not None:
            self._table[keys] = -1
        else:
            for key in keys.tolist():
                del self._dict[key]
            self._sorted = None

    def keys(self) -> np.ndarray:
        """Every mapped key (int64; ascending while dense)."""
        if self._table is not None:
            return np.flatnonzero(self._table >= 0).astype(np.int64, copy=False)
        return np.fromiter(self._dict.keys(), dtype=np.int64, count=len(self._dict))

    def _to_dict(self) -> None:
        t = self._table
        assert t is not None
        live = np.flatnonzero(t >= 0)
        self._dict = dict(zip(live.tolist(), t[live].tolist()))
        self._sorted = None
        self._table = None


# -- the index ----------------------------------------------------------------------------------
class ExactIndex(VectorIndex):
    """Exact search over all vectors (see the module docstring for the contract)."""

    name: ClassVar[str] = "exact"
    supported_metrics: ClassVar[tuple[str, ...]] = ("cosine", "inner_product", "euclidean", "manhattan")

    def __init__(self, dim: int, metric: str = "cosine", **params: Any):
        check_params(self.name, params, ())
        super().__init__(dim, metric)
        self._reset(0)

    def _reset(self, capacity: int) -> None:
        self._data = np.empty((capacity, self.dim), dtype=np.float32)
        self._row_keys = np.empty(capacity, dtype=np.int64)
        self._sq = np.empty(capacity, dtype=np.float32) if self.metric == "euclidean" else None
        self._n = 0
        self._map = KeyMap()

    # -- storage ---------------------------------------------------------------------------------
    def _reserve(self, needed: int) -> None:
        cap = self._data.shape[0]
        if needed <= cap:
            return
        new_cap = max(needed, 2 * cap, 16)
        data = np.empty((new_cap, self.dim), dtype=np.float32)
        data[: self._n] = self._data[: self._n]
        keys = np.empty(new_cap, dtype=np.int64)
        keys[: self._n] = self._row_keys[: self._n]
        self._data, self._row_keys = data, keys
        if self._sq is not None:
            sq = np.empty(new_cap, dtype=np.float32)
            sq[: self._n] = self._sq[: self._n]
            self._sq = sq

    def _lookup_rows(self, keys: np.ndarray) -> np.ndarray:
        """Row of each key (-1 when absent)."""
        return self._map.lookup(keys)

    def _store_rows(self, rows: np.ndarray, mat: np.ndarray) -> None:
        self._data[rows] = mat
        if self._sq is not None:
            self._sq[rows] = np.einsum("ij,ij->i", mat, mat)

    # -- key API ---------------------------------------------------------------------------------
    def add_items(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace; O(batch) plus amortised O(1) growth. Keys must be non-negative."""
        mat = self._check_vectors(vectors, "add_items")
        keys = check_keys(keys, mat.shape[0])
        if keys.shape[0] == 0:
            return
        keys, mat = dedupe_last(keys, mat)
        if self.metric == "cosine":
            mat = l2_normalize(mat)
        rows = self._lookup_rows(keys)
        old = rows >= 0
        if old.any():
            self._store_rows(rows[old], mat[old])
        new = ~old
        count = int(new.sum())
        if count:
            start = self._n
            self._reserve(start + count)
            new_keys = keys[new] if count != keys.shape[0] else keys
            self._store_rows(np.arange(start, start + count), mat[new] if count != keys.shape[0] else mat)
            self._row_keys[start : start + count] = new_keys
            self._map.assign(new_keys, np.arange(start, start + count, dtype=np.int64), start + count)
            self._n += count

    def remove_items(self, keys: np.ndarray) -> int:
        """Remove keys (absent ones ignored) by moving the last row into each hole; returns the count."""
        removed = 0
        data, row_keys, sq, kmap = self._data, self._row_keys, self._sq, self._map
        for key in np.unique(check_keys(keys)).tolist():
            row = kmap.pop_one(key)
            if row is None:
                continue
            last = self._n - 1
            if row != last:
                data[row] = data[last]
                moved = int(row_keys[last])
                row_keys[row] = moved
                if sq is not None:
                    sq[row] = sq[last]
                kmap.set_one(moved, row)
            self._n = last
            removed += 1
        return removed

    def present(self, keys: np.ndarray) -> np.ndarray:
        """The distinct keys of ``keys`` that are in the index (sorted int64)."""
        uniq = np.unique(check_keys(keys))
        return uniq[self._lookup_rows(uniq) >= 0]

    def search_items(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact k-NN, see :meth:`VectorIndex.search_items`; with ``allowed`` only the allowed rows
        are gathered and compared."""
        q = self._check_vectors(queries, "search_items")
        k = check_k(k)
        if self._n == 0 or q.shape[0] == 0:
            return padded(q.shape[0], k)
        q = prepare_queries(q, self.metric)
        if allowed is None:
            n = self._n
            sq = self._sq[:n] if self._sq is not None else None
            pos, dist = exact_knn(q, self._data[:n], k, self.metric, sq_norms=sq)
            return pad_to(self._row_keys[pos], dist, k)
        rows = self._lookup_rows(np.unique(check_keys(allowed)))
        rows = rows[rows >= 0]
        if rows.shape[0] == 0:
            return padded(q.shape[0], k)
        rows.sort()
        sq = np.take(self._sq, rows) if self._sq is not None else None
        pos, dist = exact_knn(q, np.take(self._data, rows, axis=0), k, self.metric, sq_norms=sq)
        return pad_to(self._row_keys[rows[pos]], dist, k)

    def keys(self) -> np.ndarray:
        """Every key, in storage order (int64 copy)."""
        return self._row_keys[: self._n].copy()

    def get_items(self, keys: np.ndarray) -> np.ndarray:
        """Stored vectors (unit length under cosine); NotFoundError names the first unknown key."""
        keys = check_keys(keys)
        rows = self._lookup_rows(keys)
        missing = rows < 0
        if missing.any():
            raise NotFoundError(f"key {int(keys[missing][0])} is not in the index")
        return np.take(self._data, rows, axis=0)

    def vectors(self) -> np.ndarray:
        """A read-only view of the stored matrix, rows aligned with :meth:`keys` (valid until the next
        change)."""
        view = self._data[: self._n]
        view.flags.writeable = False
        return view

    def __len__(self) -> int:
        return self._n

    # -- persistence -----------------------------------------------------------------------------
    def _save_data(self, path: Path) -> None:
        write_container(
            path,
            {"kind": "exact", "metric": self.metric},
            {"keys": self._row_keys[: self._n], "vectors": self._data[: self._n]},
        )

    def _load_data(self, path: Path) -> None:
        with read_container(path) as (header, arrays, _f):
            if header.get("kind") != "exact":
                raise ValidationError(f"{path} does not hold exact-index data")
            self._restore(arrays["keys"], arrays["vectors"])

    def _restore(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the contents with ``vectors`` under ``keys`` as stored (already normalised for
        cosine)."""
        n = keys.shape[0]
        self._reset(max(16, n))
        self._data[:n] = vectors
        self._row_keys[:n] = keys
        if self._sq is not None:
            self._sq[:n] = np.einsum("ij,ij->i", vectors, vectors)
        self._map.assign(keys, np.arange(n, dtype=np.int64), n)
        self._n = n


backend = BackendSpec(
    name="exact",
    factory=ExactIndex,
    aliases=("bruteforce", "brute_force", "numpy"),
    priority=10,
    description="exact brute-force search with numpy (always available)",
)

__all__ = ["ExactIndex", "KeyMap", "backend", "exact_knn"]
