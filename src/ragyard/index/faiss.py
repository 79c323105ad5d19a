"""Index on Facebook AI Similarity Search (faiss-cpu; extra ``ann``), three structures behind one API.

Contract (on top of :class:`~ragyard.index.base.VectorIndex`):

- ``index_type="flat"`` (default): ``IndexIDMap2(IndexFlat)``; exact. Our keys are faiss ids.
  Replacing or removing costs O(n) (faiss compacts the flat storage and rebuilds its id map).
- ``index_type="ivf"``: ``IndexIVFFlat`` with our keys as ids and a hashtable direct map (for
  :meth:`get_items` and removal). It is trained lazily, at the first search (or :meth:`train`) once
  ``n >= 39 * nlist`` vectors exist, ``nlist`` defaulting to ``round(4 * sqrt(n))`` at that moment.
  Until then vectors sit in an exact buffer and searches are exact. ``nprobe`` (16) lists are
  scanned; a row that comes back short is searched again over every list (exact).
- ``index_type="hnsw"``: ``IndexHNSWFlat`` (``M`` 32, ``ef_construction`` 200, ``ef_search`` 64).
  faiss HNSW cannot remove, so each stored vector gets a sequential slot, a slot -> key array maps
  results back, and replaced or removed slots become tombstones excluded through an
  ``IDSelectorBitmap``. (``IndexIDMap`` is not used: a replaced key would leave two entries under
  one id.) When tombstones outnumber live slots the graph is rebuilt.
- Metrics: cosine (vectors and queries L2-normalised, inner-product index, distance ``1 - ip``),
  inner_product (distance ``-ip``) and euclidean (faiss returns squared L2; we return ``sqrt``).
- ``allowed``: fewer than ``exact_threshold`` keys (or ``exact_fraction`` of the index) are searched
  exactly over their reconstructed vectors; larger sets go through faiss ``SearchParameters`` with an
  id selector, and short rows fall back to an exact answer, so each row holds
  ``min(k, |allowed ∩ index|)`` results.
- No side copy of the vectors is kept: flat and hnsw reconstruct from faiss storage, ivf through its
  direct map. Live keys are tracked in a :class:`~ragyard.index.exact.KeyMap` (an int64 array indexed
  by key while keys are rowid-like, a dict otherwise); hnsw adds an int64 slot -> key array.
- Thread safety: concurrent searches are fine; writes (and the first search of an untrained IVF
  index, which trains it) must not overlap other calls.
- Persistence: one file with our state and the ``faiss.write_index`` output.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import numpy as np

from ..errors import BackendUnavailableError, ConfigurationError, NotFoundError, ValidationError
from ..registry import BackendSpec
from .base import VectorIndex
from .exact import (
    ExactIndex,
    KeyMap,
    check_k,
    check_keys,
    check_params,
    dedupe_last,
    exact_knn,
    pad_to,
    padded,
    positive_int,
    read_container,
    write_container,
)

logger = logging.getLogger(__name__)

INDEX_TYPES = ("flat", "ivf", "hnsw")
_PARAMS = ("index_type", "nlist", "nprobe", "M", "ef_construction", "ef_search", "exact_threshold", "exact_fraction")
#: faiss wants at least this many training points per IVF list
MIN_POINTS_PER_LIST = 39
_COMPACT_MIN_DEAD = 1024


def _import_faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise BackendUnavailableError(f"the faiss index needs faiss-cpu: {exc}", extra="ann") from None
    return faiss


class FaissIndex(VectorIndex):
    """faiss flat / IVF / HNSW index over int64 keys (see the module docstring for the contract).

    Parameters: ``index_type`` ("flat", "ivf", "hnsw"), ``nlist`` (IVF lists; default chosen at
    training), ``nprobe`` (16), ``M`` (32, hnsw), ``ef_construction`` (200, hnsw), ``ef_search``
    (64, hnsw; settable later), ``exact_threshold`` (2000) and ``exact_fraction`` (0.02) deciding when
    an ``allowed`` search is done exactly.
    """

    name: ClassVar[str] = "faiss"
    supported_metrics: ClassVar[tuple[str, ...]] = ("cosine", "inner_product", "euclidean")

    def __init__(
        self,
        dim: int,
        metric: str = "cosine",
        *,
        index_type: str = "flat",
        nlist: int | None = None,
        nprobe: int = 16,
        M: int = 32,
        ef_construction: int = 200,
        ef_search: int = 64,
        exact_threshold: int = 2000,
        exact_fraction: float = 0.02,
        **params: Any,
    ):
        check_params(self.name, params, _PARAMS)
        super().__init__(
            dim,
            metric,
            index_type=index_type,
            nlist=nlist,
            nprobe=nprobe,
            M=M,
            ef_construction=ef_construction,
            ef_search=ef_search,
            exact_threshold=exact_threshold,
            exact_fraction=exact_fraction,
        )
        self._faiss = _import_faiss()
        index_type = str(index_type).lower()
        if index_type not in INDEX_TYPES:
            raise ConfigurationError(f"faiss index_type must be one of {', '.join(INDEX_TYPES)}, got {index_type!r}")
        self.index_type = index_type
        self.nlist = None if nlist is None else positive_int("nlist", nlist)
        self._nprobe = positive_int("nprobe", nprobe)
        self.M = positive_int("M", M)
        self.ef_construction = positive_int("ef_construction", ef_construction)
        self._ef_search = positive_int("ef_search", ef_search)
        self.exact_threshold = int(exact_threshold)
        if not 0.0 <= float(exact_fraction) <= 1.0:
            raise ConfigurationError(f"exact_fraction must be within [0, 1], got {exact_fraction!r}")
        self.exact_fraction = float(exact_fraction)
        self._init_state()

    def _init_state(self) -> None:
        f = self._faiss
        self._ip = self.metric in ("cosine", "inner_product")
        self._fmetric = f.METRIC_INNER_PRODUCT if self._ip else f.METRIC_L2
        # live keys: key -> slot for hnsw, key -> 0 (presence) for flat/ivf
        self._kmap = KeyMap()
        self._count = 0
        self._index: Any = None
        # ivf: exact buffer until trained
        self._buffer: ExactIndex | None = None
        # hnsw: slot bookkeeping
        # slot -> key (-1: tombstone or unused); always longer than ntotal so that its last entry,
        # -1, maps faiss's "no result" slot -1 to key -1
        self._slot_keys = np.full(1, -1, dtype=np.int64)
        self._dead = 0
        self._alive_bits: np.ndarray | None = None  # cached tombstone bitmap (hnsw)
        if self.index_type == "flat":
            self._index = f.IndexIDMap2(self._flat())
        elif self.index_type == "ivf":
            self._buffer = ExactIndex(self.dim, self.metric)
        else:
            self._index = self._new_hnsw()

    def _flat(self) -> Any:
        f = self._faiss
        return f.IndexFlatIP(self.dim) if self._ip else f.IndexFlatL2(self.dim)

    def _new_hnsw(self) -> Any:
        index = self._faiss.IndexHNSWFlat(self.dim, self.M, self._fmetric)
        index.hnsw.efConstruction = self.ef_construction
        index.hnsw.efSearch = self._ef_search
        return index

    # -- settings --------------------------------------------------------------------------------
    @property
    def ef_search(self) -> int:
        """HNSW query-time candidate list size (faiss uses ``max(ef_search, k)``)."""
        return self._ef_search

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        self._ef_search = positive_int("ef_search", value)
        self.params["ef_search"] = self._ef_search
        if self.index_type == "hnsw" and self._index is not None:
            self._index.hnsw.efSearch = self._ef_search

    @property
    def nprobe(self) -> int:
        """IVF lists scanned per query."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self._nprobe = positive_int("nprobe", value)
        self.params["nprobe"] = self._nprobe

    @property
    def is_trained(self) -> bool:
        """False only for an IVF index still in its exact pre-training buffer."""
        return self._buffer is None

    # -- helpers ---------------------------------------------------------------------------------
    def _prep(self, mat: np.ndarray) -> np.ndarray:
        """Vectors as faiss sees them: L2-normalised copies under cosine (all-zero rows stay zero,
        as with :func:`ragyard.similarity.l2_normalize`; faiss's C++ normaliser is used because this
        runs on every query), unchanged otherwise."""
        if self.metric != "cosine":
            return mat
        out = mat.copy()
        self._faiss.normalize_L2(out)
        return out

    def _to_distances(self, raw: np.ndarray) -> np.ndarray:
        """faiss scores -> our distances, in place. Entries of missing results (label -1) are
        meaningless until the caller sets them to inf."""
        if self.metric == "cosine":
            np.subtract(1.0, raw, out=raw)
        elif self.metric == "inner_product":
            np.negative(raw, out=raw)
        else:
            np.maximum(raw, 0.0, out=raw)
            np.sqrt(raw, out=raw)
        return raw

    def _is_small(self, count: int) -> bool:
        return count < max(self.exact_threshold, self.exact_fraction * len(self))

    def _present(self, keys: np.ndarray) -> np.ndarray:
        """Distinct live keys among ``keys`` (sorted)."""
        uniq = np.unique(check_keys(keys))
        if self._buffer is not None:
            return self._buffer.present(uniq)
        return uniq[self._kmap.lookup(uniq) >= 0]

    # -- key API ---------------------------------------------------------------------------------
    def add_items(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace (replacement removes the old entry first; see the module docstring)."""
        mat = self._check_vectors(vectors, "add_items")
        keys = check_keys(keys, mat.shape[0])
        if keys.shape[0] == 0:
            return
        keys, mat = dedupe_last(keys, mat)
        if self._buffer is not None:
            self._buffer.add_items(keys, mat)
            return
        mat = self._prep(mat)
        if self.index_type == "hnsw":
            self._hnsw_add(keys, mat)
            return
        existing = self._present(keys)
        if existing.shape[0]:
            self._remove_ids(existing)
        self._index.add_with_ids(mat, keys)
        self._count += keys.shape[0] - existing.shape[0]
        self._kmap.assign(keys, np.zeros(keys.shape[0], dtype=np.int64), self._count)

    def _remove_ids(self, keys: np.ndarray) -> None:
        self._index.remove_ids(self._faiss.IDSelectorArray(keys))

    def remove_items(self, keys: np.ndarray) -> int:
        """Remove keys (absent ones ignored); returns how many were removed."""
        if self._buffer is not None:
            return self._buffer.remove_items(keys)
        present = self._present(keys)
        if present.shape[0] == 0:
            return 0
        if self.index_type == "hnsw":
            slots = self._kmap.lookup(present)
            self._slot_keys[slots] = -1
            self._dead += slots.shape[0]
            self._alive_bits = None
        else:
            self._remove_ids(present)
        self._kmap.unassign(present)
        self._count -= present.shape[0]
        if self.index_type == "hnsw":
            self._maybe_compact()
        return int(present.shape[0])

    def train(self) -> bool:
        """Train an IVF index on the buffered vectors now; returns True when the index is (now)
        trained, False when there are too few vectors (fewer than ``39 * nlist``)."""
        if self._buffer is None:
            return True
        n = len(self._buffer)
        nlist = self.nlist or max(1, round(4 * math.sqrt(n)))
        if n < MIN_POINTS_PER_LIST * nlist or n == 0:
            return False
        f = self._faiss
        quantizer = self._flat()
        ivf = f.IndexIVFFlat(quantizer, self.dim, nlist, self._fmetric)
        vectors = self._buffer.vectors()
        ivf.train(vectors)
        ivf.set_direct_map_type(f.DirectMap.Hashtable)
        keys = self._buffer.keys()
        ivf.add_with_ids(vectors, keys)
        self._quantizer = quantizer  # keep the Python wrapper alive with the index
        self._index = ivf
        self._kmap = KeyMap()
        self._kmap.assign(keys, np.zeros(keys.shape[0], dtype=np.int64), n)
        self._count = n
        self._buffer = None
        logger.info("faiss ivf index trained: %d vectors, %d lists", n, nlist)
        return True

    def search_items(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """k-NN (exact for flat; see the module docstring for ivf/hnsw and ``allowed``)."""
        q = self._check_vectors(queries, "search_items")
        k = check_k(k)
        if self._buffer is not None and not self.train():
            return self._buffer.search_items(q, k, allowed)
        n = len(self)
        if n == 0 or q.shape[0] == 0:
            return padded(q.shape[0], k)
        allow: np.ndarray | None = None
        if allowed is not None:
            allow = self._present(allowed)
            if allow.shape[0] == 0:
                return padded(q.shape[0], k)
            if self._is_small(allow.shape[0]):
                return pad_to(*self._exact(self._prep(q), k, allow), k)
        kk = min(k, n if allow is None else allow.shape[0])
        q = self._prep(q)
        if self.index_type == "hnsw":
            raw, labels = self._hnsw_search(q, kk, allow)
        else:
            raw, labels = self._index.search(q, kk, params=self._params(allow, self._nprobe))
        dists = self._to_distances(raw)
        # faiss puts missing results (-1) at the end of a row: the last column tells
        if (labels[0, -1] < 0) if labels.shape[0] == 1 else (labels[:, -1].min() < 0):
            dists[labels < 0] = np.inf
            rows = np.flatnonzero((labels < 0).any(axis=1))
            if self.index_type == "ivf":  # every list scanned with the selector is exact
                r2, l2 = self._index.search(q[rows], kk, params=self._params(allow, self._index.nlist))
                d2 = self._to_distances(r2)
                d2[l2 < 0] = np.inf
                labels[rows], dists[rows] = l2, d2
            else:
                labels[rows], dists[rows] = self._exact(q[rows], kk, allow)
        return pad_to(labels, dists, k)

    def _params(self, allow: np.ndarray | None, nprobe: int) -> Any:
        """Search parameters for flat/ivf (None when the index's own settings do)."""
        f = self._faiss
        if self.index_type == "ivf":
            if allow is None and nprobe == self._nprobe:
                self._index.nprobe = min(nprobe, self._index.nlist)
                return None
            params = f.SearchParametersIVF()
            params.nprobe = min(nprobe, self._index.nlist)
        elif allow is None:
            return None
        else:
            params = f.SearchParameters()
        if allow is not None:
            sel = f.IDSelectorBatch(allow)
            params.sel = sel
            params._ragyard_sel = sel  # keep the selector alive as long as the params
        return params

    def _exact(self, q: np.ndarray, k: int, keys: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Exact answer over ``keys`` (every live key when None): ``(keys (m, k'), distances)``."""
        if keys is None:
            keys = self.keys()
        vectors = self.get_items(keys)
        pos, dist = exact_knn(q, vectors, k, self.metric)
        out_k, out_d = pad_to(keys[pos], dist, k)
        return out_k, out_d

    # -- hnsw slots --------------------------------------------------------------------------------
    def _hnsw_add(self, keys: np.ndarray, mat: np.ndarray) -> None:
        old = self._kmap.lookup(keys)
        old = old[old >= 0]
        if old.shape[0]:
            self._slot_keys[old] = -1
            self._dead += old.shape[0]
        start = self._index.ntotal
        self._index.add(mat)
        count = keys.shape[0]
        if start + count >= self._slot_keys.shape[0]:
            grown = np.full(max(start + count + 1, 2 * self._slot_keys.shape[0], 1024), -1, dtype=np.int64)
            grown[:start] = self._slot_keys[:start]
            self._slot_keys = grown
        self._slot_keys[start : start + count] = keys
        self._count += count - old.shape[0]
        self._kmap.assign(keys, np.arange(start, start + count, dtype=np.int64), self._count)
        self._alive_bits = None
        self._maybe_compact()

    def _maybe_compact(self) -> None:
        if self._dead > max(_COMPACT_MIN_DEAD, self._count):
            self.compact()

    def compact(self) -> None:
        """Rebuild an hnsw index without its tombstones (no-op for the other types)."""
        if self.index_type != "hnsw" or self._dead == 0:
            return
        logger.info("faiss hnsw index: rebuilding (%d live, %d dead slots)", self._count, self._dead)
        ntotal = self._index.ntotal
        alive = np.flatnonzero(self._slot_keys[:ntotal] >= 0)
        vectors = self._storage()[alive].copy()
        keys = self._slot_keys[alive].copy()
        self._index = self._new_hnsw()
        self._slot_keys = np.full(1, -1, dtype=np.int64)
        self._kmap = KeyMap()
        self._count = 0
        self._dead = 0
        self._alive_bits = None
        if keys.shape[0]:
            self._hnsw_add(keys, vectors)

    def _storage(self) -> np.ndarray:
        """Zero-copy (ntotal, dim) view of the HNSW's flat storage (valid until the next add)."""
        f = self._faiss
        ntotal = self._index.ntotal
        if ntotal == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        storage = f.downcast_index(self._index.storage)
        return f.rev_swig_ptr(storage.get_xb(), ntotal * self.dim).reshape(ntotal, self.dim)

    def _hnsw_search(self, q: np.ndarray, kk: int, allow: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Raw HNSW scores and keys (slots mapped back; -1 where nothing was found)."""
        if allow is None and not self._dead and kk <= self._ef_search:
            raw, slots = self._index.search(q, kk)  # the index's own efSearch applies
            return raw, self._slot_keys[slots]  # slot -1 hits the array's trailing -1 sentinel
        f = self._faiss
        ntotal = self._index.ntotal
        params = f.SearchParametersHNSW()
        params.efSearch = max(self._ef_search, kk)
        bitmap = None
        if allow is not None:
            mask = np.zeros(ntotal, dtype=bool)
            mask[self._kmap.lookup(allow)] = True
            bitmap = np.packbits(mask, bitorder="little")
        elif self._dead:
            if self._alive_bits is None:
                self._alive_bits = np.packbits(self._slot_keys[:ntotal] >= 0, bitorder="little")
            bitmap = self._alive_bits
        if bitmap is not None:
            sel = f.IDSelectorBitmap(ntotal, f.swig_ptr(bitmap))
            params.sel = sel
        raw, slots = self._index.search(q, kk, params=params)
        del bitmap  # the selector pointed into it; safe to release after the search
        return raw, self._slot_keys[slots]

    # -- lookups ---------------------------------------------------------------------------------
    def keys(self) -> np.ndarray:
        """Every live key (int64)."""
        if self._buffer is not None:
            return self._buffer.keys()
        if self.index_type == "flat":
            return self._faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)
        return self._kmap.keys()

    def get_items(self, keys: np.ndarray) -> np.ndarray:
        """Stored vectors (unit length under cosine); unknown keys raise NotFoundError."""
        keys = check_keys(keys)
        if self._buffer is not None:
            return self._buffer.get_items(keys)
        found = self._kmap.lookup(keys)
        if (found < 0).any():
            raise NotFoundError(f"key {int(keys[found < 0][0])} is not in the index")
        if keys.shape[0] == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        if self.index_type == "hnsw":
            return np.take(self._storage(), found, axis=0)
        return np.asarray(self._index.reconstruct_batch(keys), dtype=np.float32).reshape(-1, self.dim)

    def __len__(self) -> int:
        if self._buffer is not None:
            return len(self._buffer)
        return self._count

    # -- persistence -----------------------------------------------------------------------------
    def _save_data(self, path: Path) -> None:
        f = self._faiss
        header: dict[str, Any] = {
            "kind": "faiss",
            "metric": self.metric,
            "index_type": self.index_type,
            "trained": self._buffer is None,
            "nlist": self.nlist,
            "nprobe": self._nprobe,
            "M": self.M,
            "ef_construction": self.ef_construction,
            "ef_search": self._ef_search,
        }
        arrays: dict[str, np.ndarray] = {}
        blob = None
        if self._buffer is not None:
            arrays = {"keys": self._buffer.keys(), "vectors": self._buffer.vectors()}
        else:
            if self.index_type == "hnsw":
                arrays["slot_keys"] = self._slot_keys[: self._index.ntotal]
            elif self.index_type == "ivf":
                arrays["keys"] = self.keys()
            index = self._index

            def blob(fh: BinaryIO) -> None:
                f.write_index(index, f.PyCallbackIOWriter(fh.write))

        write_container(path, header, arrays, blob)

    def _load_data(self, path: Path) -> None:
        f = self._faiss
        with read_container(path) as (header, arrays, fh):
            if header.get("kind") != "faiss":
                raise ValidationError(f"{path} does not hold faiss-index data")
            self.index_type = header["index_type"]
            self.nlist = header.get("nlist")
            self.M = int(header["M"])
            self.ef_construction = int(header["ef_construction"])
            self._nprobe = int(header["nprobe"])
            self._ef_search = int(header["ef_search"])
            self.params.update(
                index_type=self.index_type,
                nlist=self.nlist,
                nprobe=self._nprobe,
                M=self.M,
                ef_construction=self.ef_construction,
                ef_search=self._ef_search,
            )
            self._init_state()
            if not header["trained"]:
                assert self._buffer is not None
                self._buffer._restore(arrays["keys"], arrays["vectors"])
                return
            self._buffer = None
            # read_index returns the concrete class, owning the C++ object (no downcast_index: a
            # downcast wrapper does not own it and would dangle once ``index`` is collected)
            self._index = f.read_index(f.PyCallbackIOReader(fh.read))
        if self.index_type == "flat":
            keys = f.vector_to_array(self._index.id_map).astype(np.int64, copy=False)
            self._kmap.assign(keys, np.zeros(keys.shape[0], dtype=np.int64), keys.shape[0])
            self._count = keys.shape[0]
        elif self.index_type == "ivf":
            keys = arrays["keys"]
            self._kmap.assign(keys, np.zeros(keys.shape[0], dtype=np.int64), keys.shape[0])
            self._count = keys.shape[0]
        else:
            self._index.hnsw.efSearch = self._ef_search
            slot_keys = arrays["slot_keys"]
            self._slot_keys = np.append(slot_keys, np.int64(-1))
            alive = np.flatnonzero(slot_keys >= 0)
            self._kmap.assign(slot_keys[alive], alive.astype(np.int64), alive.shape[0])
            self._count = int(alive.shape[0])
            self._dead = int(slot_keys.shape[0] - alive.shape[0])


backend = BackendSpec(
    name="faiss",
    factory=FaissIndex,
    priority=30,
    description="faiss flat / IVF / HNSW index (flat by default)",
    requires=("faiss",),
    extra="ann",
)

__all__ = ["INDEX_TYPES", "FaissIndex", "backend"]
