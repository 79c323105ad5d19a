"""The contract of an in-memory vector index (seed 004's "similarity backend").

Two faces over one structure:

- the *key* API used by the stores: integer keys (the database rowids), float32 arrays in and out,
  ``add_items`` / ``remove_items`` / ``search_items``; no per-item Python work on the hot path.
- the *seed* API (``add(ids, vectors)``, ``search(query_vectors, k) -> (ids, distances)``, ``remove``,
  ``save``, ``load``, ``len``) for arbitrary string or integer ids, mapped onto keys here in the base
  class so that every backend gets it for free.

Distances follow :mod:`ragyard.similarity` (lower is closer). Results are sorted by distance; when
fewer than ``k`` items exist (or are allowed), rows are padded with key ``-1`` / distance ``inf`` in the
key API and are simply shorter in the seed API.

``save(path)`` writes the backend's own file(s) at ``path`` plus ``path + ".meta.json"`` holding the
dimension, metric, backend name, format version, the id mapping and ``self.meta`` (a free dict the
stores use to record the generation an index was built from). ``load(path)`` restores all of it and
refuses a newer format version or a different backend/dimension with a clear error.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigurationError, FormatVersionError, NotFoundError, ValidationError
from ..similarity import as_matrix, normalize_metric

INDEX_FORMAT_VERSION = 1


class VectorIndex(ABC):
    """Abstract in-memory vector index over integer keys, with the seed-004 id API on top."""

    #: registry name of the backend
    name: ClassVar[str] = "abstract"
    #: metrics the backend supports natively
    supported_metrics: ClassVar[tuple[str, ...]] = ("cosine", "inner_product", "euclidean")

    def __init__(self, dim: int, metric: str = "cosine", **params: Any):
        if not isinstance(dim, (int, np.integer)) or dim <= 0:
            raise ConfigurationError(f"index dimension must be a positive integer, got {dim!r}")
        self.dim = int(dim)
        self.metric = normalize_metric(metric)
        if self.metric not in self.supported_metrics:
            raise ConfigurationError(
                f"{self.name} index does not support metric {self.metric!r}; "
                f"supported: {', '.join(self.supported_metrics)}"
            )
        self.params: dict[str, Any] = dict(params)
        self.meta: dict[str, Any] = {}
        # seed-API id mapping (unused when the store drives the key API directly)
        self._id_to_key: dict[Hashable, int] = {}
        self._key_to_id: dict[int, Hashable] = {}
        self._next_key = 0

    # -- key API (implemented by each backend) --------------------------------------------------
    @abstractmethod
    def add_items(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Insert vectors under int64 ``keys``; a key that exists already is replaced."""

    @abstractmethod
    def remove_items(self, keys: np.ndarray) -> int:
        """Remove keys (absent ones are ignored); returns how many were removed."""

    @abstractmethod
    def search_items(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """k nearest keys per query row: ``(keys int64 (m, k), distances float32 (m, k))``.

        ``allowed`` (int64 keys) restricts the result to those keys; a backend must still return
        ``min(k, len(allowed ∩ index))`` results per row (over-fetching or falling back to exact
        search over the allowed vectors as needed).
        """

    @abstractmethod
    def keys(self) -> np.ndarray:
        """Every key currently in the index (int64)."""

    @abstractmethod
    def get_items(self, keys: np.ndarray) -> np.ndarray:
        """The stored vectors for ``keys`` (float32 (n, dim)); unknown keys raise NotFoundError."""

    @abstractmethod
    def _save_data(self, path: Path) -> None:
        """Write the backend's own data at ``path``."""

    @abstractmethod
    def _load_data(self, path: Path) -> None:
        """Read the backend's own data from ``path`` (dim and metric are already set)."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of items in the index."""

    # -- helpers for backends -------------------------------------------------------------------
    def _check_vectors(self, vectors: Any, where: str = "index") -> np.ndarray:
        return as_matrix(vectors, self.dim, where=where)

    @staticmethod
    def _as_keys(keys: Any) -> np.ndarray:
        arr = np.asarray(keys, dtype=np.int64).reshape(-1)
        return arr

    # -- seed API ------------------------------------------------------------------------------
    def add(self, ids: Sequence[Hashable], vectors: Sequence[np.ndarray] | np.ndarray) -> None:
        """Add vectors under arbitrary ids (seed 004). ``len(ids)`` must equal the number of vectors;
        an id that exists already has its vector replaced."""
        ids = list(ids)
        mat = self._check_vectors(vectors, "add")
        if len(ids) != mat.shape[0]:
            raise ValidationError(f"ids and vectors must have the same length ({len(ids)} != {mat.shape[0]})")
        if len(set(ids)) != len(ids):
            raise ValidationError("ids passed to add() must be unique")
        keys = np.empty(len(ids), dtype=np.int64)
        for i, id_ in enumerate(ids):
            key = self._id_to_key.get(id_)
            if key is None:
                key = self._next_key
                self._next_key += 1
            keys[i] = key
        self.add_items(keys, mat)
        for id_, key in zip(ids, keys.tolist()):
            self._id_to_key[id_] = key
            self._key_to_id[key] = id_

    def search(
        self, query_vectors: Sequence[np.ndarray] | np.ndarray, k: int = 10
    ) -> tuple[list[list[Hashable]], list[list[float]]]:
        """Seed 004 search: per query, the ids and distances of its ``k`` nearest items."""
        if k <= 0:
            raise ValidationError(f"k must be positive, got {k}")
        q = self._check_vectors(query_vectors, "search")
        keys, dists = self.search_items(q, k)
        all_ids: list[list[Hashable]] = []
        all_d: list[list[float]] = []
        for krow, drow in zip(keys, dists):
            valid = krow >= 0
            all_ids.append([self._key_to_id.get(int(key), int(key)) for key in krow[valid]])
            all_d.append(drow[valid].astype(float).tolist())
        return all_ids, all_d

    def remove(self, ids: Sequence[Hashable]) -> int:
        """Remove items by id; returns how many existed."""
        keys = [self._id_to_key[i] for i in ids if i in self._id_to_key]
        if not keys:
            return 0
        removed = self.remove_items(np.asarray(keys, dtype=np.int64))
        for i in ids:
            key = self._id_to_key.pop(i, None)
            if key is not None:
                self._key_to_id.pop(key, None)
        return removed

    def get(self, ids: Sequence[Hashable]) -> np.ndarray:
        """Stored vectors for ids (seed-API ids)."""
        try:
            keys = [self._id_to_key[i] for i in ids]
        except KeyError as exc:
            raise NotFoundError(f"id {exc.args[0]!r} is not in the index") from None
        return self.get_items(np.asarray(keys, dtype=np.int64))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path`` and its metadata to ``path + '.meta.json'``."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        self._save_data(tmp)
        os.replace(tmp, p)
        ids_are_ints = all(isinstance(i, int) for i in self._id_to_key)
        meta = {
            "format_version": INDEX_FORMAT_VERSION,
            "backend": self.name,
            "dim": self.dim,
            "metric": self.metric,
            "params": self.params,
            "count": len(self),
            "next_key": self._next_key,
            "id_kind": "int" if ids_are_ints else "str",
            "ids": [[k, v] for v, k in self._id_to_key.items()],
            "meta": self.meta,
        }
        meta_path = Path(str(p) + ".meta.json")
        tmp_meta = meta_path.with_name(meta_path.name + ".tmp")
        tmp_meta.write_text(json.dumps(meta))
        os.replace(tmp_meta, meta_path)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Replace this index's contents with what :meth:`save` wrote at ``path``."""
        p = Path(path)
        meta_path = Path(str(p) + ".meta.json")
        if not p.exists() or not meta_path.exists():
            raise NotFoundError(f"no saved index at {p}")
        meta = read_index_meta(p)
        if meta.get("backend") != self.name:
            raise ConfigurationError(f"index at {p} was saved by backend {meta.get('backend')!r}, not {self.name!r}")
        if int(meta["dim"]) != self.dim:
            raise ConfigurationError(f"index at {p} has dimension {meta['dim']}, this index has {self.dim}")
        self.metric = normalize_metric(meta["metric"])
        self._load_data(p)
        self._next_key = int(meta.get("next_key", 0))
        convert = int if meta.get("id_kind") == "int" else (lambda v: v)
        self._id_to_key = {convert(v): int(k) for k, v in meta.get("ids", [])}
        self._key_to_id = {k: v for v, k in self._id_to_key.items()}
        self.meta = dict(meta.get("meta") or {})

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(dim={self.dim}, metric={self.metric!r}, size={len(self)})"


def read_index_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata :meth:`VectorIndex.save` wrote next to ``path`` (checks the format version)."""
    meta_path = Path(str(path) + ".meta.json")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise NotFoundError(f"cannot read index metadata {meta_path}: {exc}") from None
    version = int(meta.get("format_version", 0))
    if version > INDEX_FORMAT_VERSION:
        raise FormatVersionError(
            f"index at {path} has format version {version}; this ragyard reads up to {INDEX_FORMAT_VERSION}. "
            "Upgrade ragyard or delete the index file (it is a cache and will be rebuilt)."
        )
    return meta


__all__ = ["INDEX_FORMAT_VERSION", "VectorIndex", "read_index_meta"]
