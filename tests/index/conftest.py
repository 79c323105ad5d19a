"""Fixtures shared by the index tests: the backend matrix and the real SIFT data."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragyard.index import VectorIndex, make_index


def _needs(module: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(importlib.util.find_spec(module) is None, reason=f"{module} is not installed")


#: (backend, params, exact-valued) for every index configuration the contract suite runs against.
#: faiss ivf with nlist=4 trains once 156 vectors exist; nprobe (16) >= nlist makes it exact.
BACKEND_CONFIGS = [
    pytest.param(("exact", {}, True), id="exact"),
    pytest.param(("hnsw", {}, False), id="hnsw", marks=_needs("hnswlib")),
    pytest.param(("faiss", {"index_type": "flat"}, True), id="faiss-flat", marks=_needs("faiss")),
    pytest.param(("faiss", {"index_type": "ivf", "nlist": 4}, True), id="faiss-ivf", marks=_needs("faiss")),
    pytest.param(("faiss", {"index_type": "hnsw"}, False), id="faiss-hnsw", marks=_needs("faiss")),
]

IndexMaker = Callable[..., VectorIndex]


@pytest.fixture(params=BACKEND_CONFIGS)
def config(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], bool]:
    """One backend configuration: (backend name, constructor params, results are exact)."""
    return request.param


@pytest.fixture
def make(config: tuple[str, dict[str, Any], bool]) -> IndexMaker:
    """``make(dim, metric="cosine", **extra)`` builds an index of the current configuration."""
    name, params, _exact = config

    def build(dim: int, metric: str = "cosine", **extra: Any) -> VectorIndex:
        return make_index(dim, backend=name, metric=metric, **{**params, **extra})

    return build


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# -- real data -----------------------------------------------------------------------------------
def shared_data_dir() -> Path:
    """``<repo>/../shared/data`` (the repo is /work/main, the shared data /work/shared/data)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def read_vecs(path: Path, dtype: str) -> np.ndarray:
    """TEXMEX .fvecs / .ivecs: per vector an int32 dimension then that many float32 / int32 values."""
    raw = np.fromfile(path, dtype=np.int32)
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    assert (rows[:, 0] == dim).all(), f"{path} has rows of varying dimension"
    return rows[:, 1:].copy().view(dtype)


@pytest.fixture(scope="session")
def sift() -> dict[str, np.ndarray]:
    """NGT's 5k SIFT vectors (see shared/data/ngt-sift5k/SOURCE.md): split base/query/ground truth
    and the 3 NGT queries over the full base."""
    root = shared_data_dir() / "ngt-sift5k"
    if not root.is_dir():
        pytest.skip(f"shared data not found at {root}")
    return {
        "base": read_vecs(root / "split_base.fvecs", "<f4"),
        "query": read_vecs(root / "split_query.fvecs", "<f4"),
        "gt": read_vecs(root / "split_groundtruth.ivecs", "<i4"),
        "gt_sqdist": np.loadtxt(root / "split_groundtruth_sqdist.tsv", delimiter="\t", dtype=np.float64),
        "full": read_vecs(root / "full_base.fvecs", "<f4"),
        "query3": read_vecs(root / "query3.fvecs", "<f4"),
        "gt3": read_vecs(root / "query3_groundtruth.ivecs", "<i4"),
    }
