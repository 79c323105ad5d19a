"""Similarity functions on float32 numpy arrays, shared by the exact index and every store.

Two conventions, one place:
- *distance* (lower is closer), what the seed-004 index API returns: cosine ``1 - cos``,
  inner product ``-ip``, euclidean L2, manhattan L1.
- *score* (higher is closer), what every store returns: cosine ``cos``, inner product ``ip``,
  euclidean ``1 / (1 + L2)``, manhattan ``1 / (1 + L1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import ConfigurationError, DimensionMismatchError, ValidationError

METRICS = ("cosine", "inner_product", "euclidean", "manhattan")
_ALIASES = {
    "cos": "cosine",
    "cosine": "cosine",
    "angular": "cosine",
    "ip": "inner_product",
    "dot": "inner_product",
    "dot_product": "inner_product",
    "inner_product": "inner_product",
    "inner": "inner_product",
    "l2": "euclidean",
    "euclid": "euclidean",
    "euclidean": "euclidean",
    "l1": "manhattan",
    "manhattan": "manhattan",
    "cityblock": "manhattan",
}

# Memory bound for one block of a pairwise computation (query rows x data rows x dim for manhattan).
_BLOCK_BYTES = 64 * 1024 * 1024


def normalize_metric(metric: Any) -> str:
    """Canonical metric name for a name, alias or :class:`~ragyard.types.DistanceMetric`."""
    value = getattr(metric, "value", metric)
    key = str(value).lower().replace("-", "_")
    try:
        return _ALIASES[key]
    except KeyError:
        raise ConfigurationError(f"unknown similarity metric {metric!r}; use one of {', '.join(METRICS)}") from None


def as_matrix(vectors: Any, dim: int | None = None, *, where: str = "") -> np.ndarray:
    """Vectors (a list of lists, a list of arrays, one vector or a 2-D array) as a C-contiguous
    float32 matrix of shape (n, dim). Raises DimensionMismatchError or ValidationError (non-finite)."""
    if isinstance(vectors, np.ndarray):
        arr = vectors
    elif isinstance(vectors, Sequence) and len(vectors) == 0:
        return np.empty((0, dim or 0), dtype=np.float32)
    else:
        try:
            arr = np.asarray(vectors, dtype=np.float32)
        except (ValueError, TypeError) as exc:
            raise ValidationError(f"vectors are not a rectangular array of numbers{_at(where)}: {exc}") from None
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ValidationError(f"expected a 2-D array of vectors{_at(where)}, got shape {arr.shape}")
    if dim is not None and arr.shape[1] != dim:
        raise DimensionMismatchError(dim, int(arr.shape[1]), where)
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if arr.size and not np.isfinite(arr).all():
        raise ValidationError(f"vectors contain NaN or infinite values{_at(where)}")
    return arr


def _at(where: str) -> str:
    return f" for {where}" if where else ""


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Row-wise L2-normalised float32 copy; all-zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32, copy=False)


def pairwise_distances(
    queries: np.ndarray,
    data: np.ndarray,
    metric: str,
    *,
    data_sq_norms: np.ndarray | None = None,
    normalized: bool = False,
) -> np.ndarray:
    """(m, n) distances between query rows and data rows under ``metric``.

    For cosine, pass ``normalized=True`` when both sides are already unit length (saves two
    normalisations). For euclidean, ``data_sq_norms`` may carry precomputed squared row norms.
    """
    metric = normalize_metric(metric)
    q = np.asarray(queries, dtype=np.float32)
    x = np.asarray(data, dtype=np.float32)
    if metric == "cosine":
        if not normalized:
            q, x = l2_normalize(q), l2_normalize(x)
        return 1.0 - q @ x.T
    if metric == "inner_product":
        return -(q @ x.T)
    if metric == "euclidean":
        xn = data_sq_norms if data_sq_norms is not None else np.einsum("ij,ij->i", x, x)
        qn = np.einsum("ij,ij->i", q, q)
        d2 = qn[:, None] + xn[None, :] - 2.0 * (q @ x.T)
        np.maximum(d2, 0.0, out=d2)
        return np.sqrt(d2, out=d2)
    # manhattan: blocked broadcasting to bound memory
    m, n = q.shape[0], x.shape[0]
    out = np.empty((m, n), dtype=np.float32)
    row_bytes = max(1, n * x.shape[1] * 4)
    step = max(1, _BLOCK_BYTES // row_bytes)
    for start in range(0, m, step):
        block = q[start : start + step]
        out[start : start + step] = np.abs(block[:, None, :] - x[None, :, :]).sum(axis=2)
    return out


def top_k_smallest(dist: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions and values of the ``k`` smallest entries, sorted ascending.

    Returns ``(positions (m, k'), values (m, k'))`` with ``k' = min(k, n)``.
    """
    m, n = dist.shape
    k = min(k, n)
    if k <= 0:
        return np.empty((m, 0), dtype=np.int64), np.empty((m, 0), dtype=np.float32)
    if k < n:
        part = np.argpartition(dist, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(dist, part, axis=1)
    else:
        part = np.broadcast_to(np.arange(n), (m, n)).copy()
        vals = dist
    order = np.argsort(vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64), np.take_along_axis(vals, order, axis=1)


def distance_to_score(metric: str, distance: np.ndarray | float) -> np.ndarray | float:
    """Convert distances to scores (higher is better) for ``metric``."""
    metric = normalize_metric(metric)
    d = np.asarray(distance, dtype=np.float32)
    if metric == "cosine":
        s = 1.0 - d
    elif metric == "inner_product":
        s = -d
    else:
        s = 1.0 / (1.0 + d)
    return s if s.ndim else float(s)


def score_to_distance(metric: str, score: np.ndarray | float) -> np.ndarray | float:
    """Inverse of :func:`distance_to_score`."""
    metric = normalize_metric(metric)
    s = np.asarray(score, dtype=np.float32)
    if metric == "cosine":
        d = 1.0 - s
    elif metric == "inner_product":
        d = -s
    else:
        with np.errstate(divide="ignore"):
            d = 1.0 / s - 1.0
    return d if d.ndim else float(d)


def cosine_similarity(vec1: Sequence[float], vec2: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0.0 when either is all zeros), as in seed 001."""
    a = np.asarray(vec1, dtype=np.float64)
    b = np.asarray(vec2, dtype=np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 0.0
    return float(a @ b / (na * nb))


def euclidean_distance(vec1: Sequence[float], vec2: Sequence[float]) -> float:
    """L2 distance of two vectors."""
    return float(np.linalg.norm(np.asarray(vec1, dtype=np.float64) - np.asarray(vec2, dtype=np.float64)))


def inner_product(vec1: Sequence[float], vec2: Sequence[float]) -> float:
    """Inner (dot) product of two vectors."""
    return float(np.asarray(vec1, dtype=np.float64) @ np.asarray(vec2, dtype=np.float64))


def manhattan_distance(vec1: Sequence[float], vec2: Sequence[float]) -> float:
    """L1 distance of two vectors."""
    return float(np.abs(np.asarray(vec1, dtype=np.float64) - np.asarray(vec2, dtype=np.float64)).sum())


__all__ = [
    "METRICS",
    "as_matrix",
    "cosine_similarity",
    "distance_to_score",
    "euclidean_distance",
    "inner_product",
    "l2_normalize",
    "manhattan_distance",
    "normalize_metric",
    "pairwise_distances",
    "score_to_distance",
    "top_k_smallest",
]
