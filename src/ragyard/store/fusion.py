"""Fusion of ranked result lists (dense + keyword) into one ranking.

Each input is a list of ``(id, score)`` pairs sorted best first. Strategies:

- ``rrf``: reciprocal rank fusion, ``sum_i w_i / (k + rank_i)`` with ``k = 60`` and ranks from 1.
- ``weighted``: min-max normalise each list's scores to [0, 1], then ``sum_i w_i * s_i``
  (a list in which an id is missing contributes 0).
- ``dbsf``: distribution-based score fusion: scale each list by ``(s - (mu - 3 sigma)) / (6 sigma)``,
  clip to [0, 1], then weighted sum (as in Qdrant's DBSF).

Weights default to equal; with two lists, ``alpha`` is the weight of the first (dense) list and
``1 - alpha`` that of the second (keyword).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from ..errors import ConfigurationError
from ..types import HybridStrategy

RRF_K = 60

Ranked = Sequence[tuple[Hashable, float]]


def _weights(n: int, weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ConfigurationError(f"{len(weights)} weights given for {n} result lists")
    if any(w < 0 for w in weights):
        raise ConfigurationError("fusion weights must be non-negative")
    return [float(w) for w in weights]


def rrf(
    lists: Sequence[Ranked], weights: Sequence[float] | None = None, k: int = RRF_K
) -> list[tuple[Hashable, float]]:
    """Reciprocal rank fusion."""
    w = _weights(len(lists), weights)
    scores: dict[Hashable, float] = {}
    for wi, ranked in zip(w, lists):
        for rank, (id_, _score) in enumerate(ranked, start=1):
            scores[id_] = scores.get(id_, 0.0) + wi / (k + rank)
    return sorted(scores.items(), key=lambda t: t[1], reverse=True)


def _minmax(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.ones_like(values)
    return (values - lo) / (hi - lo)


def _dbsf(values: np.ndarray) -> np.ndarray:
    mu, sigma = float(values.mean()), float(values.std())
    if sigma <= 1e-12:
        return np.ones_like(values)
    lo = mu - 3 * sigma
    return np.clip((values - lo) / (6 * sigma), 0.0, 1.0)


def _score_fusion(lists: Sequence[Ranked], weights: Sequence[float] | None, scale) -> list[tuple[Hashable, float]]:
    w = _weights(len(lists), weights)
    scores: dict[Hashable, float] = {}
    for wi, ranked in zip(w, lists):
        if not ranked:
            continue
        vals = scale(np.asarray([s for _, s in ranked], dtype=np.float64))
        for (id_, _), v in zip(ranked, vals.tolist()):
            scores[id_] = scores.get(id_, 0.0) + wi * v
    return sorted(scores.items(), key=lambda t: t[1], reverse=True)


def weighted(lists: Sequence[Ranked], weights: Sequence[float] | None = None) -> list[tuple[Hashable, float]]:
    """Weighted sum of min-max-normalised scores."""
    return _score_fusion(lists, weights, _minmax)


def dbsf(lists: Sequence[Ranked], weights: Sequence[float] | None = None) -> list[tuple[Hashable, float]]:
    """Distribution-based score fusion."""
    return _score_fusion(lists, weights, _dbsf)


def fuse(
    lists: Sequence[Ranked],
    strategy: HybridStrategy | str = HybridStrategy.RRF,
    *,
    weights: Sequence[float] | None = None,
    alpha: float | None = None,
    rrf_k: int = RRF_K,
) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists with ``strategy``; ``alpha`` (two lists only) sets weights ``(alpha, 1-alpha)``."""
    try:
        strat = HybridStrategy(strategy.value if isinstance(strategy, HybridStrategy) else str(strategy).lower())
    except ValueError:
        raise ConfigurationError(
            f"unknown hybrid strategy {strategy!r}; use one of {', '.join(s.value for s in HybridStrategy)}"
        ) from None
    if alpha is not None and weights is None:
        if not 0.0 <= alpha <= 1.0:
            raise ConfigurationError(f"alpha must be within [0, 1], got {alpha}")
        if len(lists) != 2:
            raise ConfigurationError("alpha applies to exactly two result lists; pass weights instead")
        weights = (alpha, 1.0 - alpha)
    if strat is HybridStrategy.RRF:
        return rrf(lists, weights, rrf_k)
    if strat is HybridStrategy.WEIGHTED:
        return weighted(lists, weights)
    return dbsf(lists, weights)


__all__ = ["RRF_K", "dbsf", "fuse", "rrf", "weighted"]
