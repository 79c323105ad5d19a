"""Recall on real vectors: NGT's 5k SIFT descriptors with brute-force ground truth
(shared/data/ngt-sift5k, see its SOURCE.md)."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

from ragyard.index import VectorIndex, make_index

needs_hnswlib = pytest.mark.skipif(importlib.util.find_spec("hnswlib") is None, reason="hnswlib is not installed")
needs_faiss = pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss is not installed")


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth))
    return hits / (k * found.shape[0])


def _build(sift: dict[str, np.ndarray], backend: str, **params: Any) -> VectorIndex:
    index = make_index(128, backend=backend, metric="euclidean", **params)
    base = sift["base"]
    index.add_items(np.arange(base.shape[0]), base)
    return index


def test_exact_reproduces_ground_truth(sift: dict[str, np.ndarray]) -> None:
    index = _build(sift, "exact")
    found, dists = index.search_items(sift["query"], 100)
    assert recall_at(found, sift["gt"], 10) == 1.0
    assert recall_at(found, sift["gt"], 100) == 1.0
    # our distances are plain L2; the published ones are squared (integers, exact)
    np.testing.assert_allclose(dists.astype(np.float64) ** 2, sift["gt_sqdist"], rtol=1e-5)
    full = make_index(128, backend="exact", metric="euclidean")
    full.add_items(np.arange(sift["full"].shape[0]), sift["full"])
    found3, _ = full.search_items(sift["query3"], 20)
    np.testing.assert_array_equal(found3, sift["gt3"][:, :20])


def test_exact_single_queries_match_batch(sift: dict[str, np.ndarray]) -> None:
    index = _build(sift, "exact")
    batch, _ = index.search_items(sift["query"][:10], 10)
    single = np.vstack([index.search_items(q, 10)[0] for q in sift["query"][:10]])
    np.testing.assert_array_equal(batch, single)


@needs_hnswlib
def test_hnsw_recall(sift: dict[str, np.ndarray]) -> None:
    index = _build(sift, "hnsw")
    found, dists = index.search_items(sift["query"], 10)
    assert recall_at(found, sift["gt"], 10) >= 0.95
    hit = found[:, 0] == sift["gt"][:, 0]  # where the true nearest was found, its distance is exact
    assert hit.mean() >= 0.9
    np.testing.assert_allclose(dists[hit, 0] ** 2, sift["gt_sqdist"][hit, 0], rtol=1e-4)
    # filtered search through hnswlib's filter on half of the keys vs exact over the same half
    allowed = np.arange(0, sift["base"].shape[0], 2)
    filtered = _build(sift, "hnsw", exact_threshold=0, exact_fraction=0.0)
    found, _ = filtered.search_items(sift["query"], 10, allowed=allowed)
    exact = _build(sift, "exact")
    truth, _ = exact.search_items(sift["query"], 10, allowed=allowed)
    assert recall_at(found, truth, 10) >= 0.95  # post-filtered over-fetch
    rare = allowed[::25]  # 98 keys: too selective to over-fetch, so hnswlib's filter callback runs
    found, _ = filtered.search_items(sift["query"], 10, allowed=rare)
    truth, _ = exact.search_items(sift["query"], 10, allowed=rare)
    assert recall_at(found, truth, 10) >= 0.95


@needs_faiss
def test_faiss_hnsw_recall(sift: dict[str, np.ndarray]) -> None:
    index = _build(sift, "faiss", index_type="hnsw")
    found, _ = index.search_items(sift["query"], 10)
    assert recall_at(found, sift["gt"], 10) >= 0.95


@needs_faiss
def test_faiss_ivf_recall(sift: dict[str, np.ndarray]) -> None:
    index = _build(sift, "faiss", index_type="ivf", nlist=64, nprobe=16)
    found, _ = index.search_items(sift["query"], 10)
    assert index.is_trained
    assert recall_at(found, sift["gt"], 10) >= 0.9


@needs_faiss
def test_faiss_flat_exact(sift: dict[str, np.ndarray]) -> None:
    index = _build(sift, "faiss", index_type="flat")
    found, _ = index.search_items(sift["query"], 10)
    assert recall_at(found, sift["gt"], 10) == 1.0
