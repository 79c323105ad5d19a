"""The seed-004 factory API (BACKENDS, list_backends, get_factory, default_backend_name, make_index)
and backend-specific knobs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from ragyard.errors import BackendUnavailableError, UnknownBackendError
from ragyard.index import (
    BACKENDS,
    ExactIndex,
    SimilarityBackend,
    VectorIndex,
    default_backend_name,
    get_backend_info,
    get_factory,
    list_backends,
    make_index,
)
from ragyard.registry import get_registry

HAS_HNSWLIB = importlib.util.find_spec("hnswlib") is not None
HAS_FAISS = importlib.util.find_spec("faiss") is not None


def test_seed_names() -> None:
    assert SimilarityBackend is VectorIndex
    assert {"exact", "hnsw", "faiss"} <= set(BACKENDS)
    assert list(BACKENDS) == get_registry("indexes").names()  # a live view, not a second table
    assert "bruteforce" in BACKENDS and "numpy" in BACKENDS
    assert isinstance(BACKENDS["bruteforce"](8), ExactIndex)
    with pytest.raises(KeyError):
        BACKENDS["nope"]
    assert "exact" in list_backends()
    assert list_backends()[-1] == "exact"


def test_unknown_backend_lists_available() -> None:
    with pytest.raises(UnknownBackendError) as err:
        make_index(8, backend="annoy")
    assert isinstance(err.value, ValueError)
    assert "exact" in str(err.value) and "annoy" in str(err.value)
    with pytest.raises(ValueError, match=r"available: .*exact"):
        get_factory("annoy")


def test_default_backend_and_auto() -> None:
    expected = "faiss" if HAS_FAISS else "hnsw" if HAS_HNSWLIB else "exact"
    assert default_backend_name() == expected
    index = make_index(8, backend="auto")
    assert index.name == expected and index.dim == 8
    x = np.random.default_rng(0).standard_normal((10, 8)).astype(np.float32)
    ids = [f"img{i}" for i in range(10)]
    index.add(ids, list(x))
    result_ids, _ = index.search([x[0]], k=3)
    assert len(result_ids[0]) == 3 and ids[0] in result_ids[0]
    assert isinstance(make_index(), VectorIndex)  # seed defaults: dim=16, backend="auto"


def test_get_factory_builds_with_params() -> None:
    index = get_factory("exact")(4, metric="manhattan")
    assert isinstance(index, ExactIndex) and index.metric == "manhattan"


def test_backend_info() -> None:
    info = get_backend_info("exact")
    assert isinstance(info, dict) and info["available"] and info["priority"] == 10
    assert set(get_backend_info("hnsw")["requires"]) == {"hnswlib"}  # type: ignore[index]
    names = [i["name"] for i in get_backend_info()]  # type: ignore[union-attr]
    assert names[:3] == ["faiss", "hnsw", "exact"]


def test_unavailable_backend_raises_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = get_registry("indexes").get("hnsw")
    monkeypatch.setattr(spec, "requires", ("no_such_module_xyz",))
    assert "hnsw" not in list_backends()
    with pytest.raises(BackendUnavailableError, match="ragyard\\[ann\\]"):
        make_index(8, backend="hnsw")
    with pytest.raises(ImportError):
        get_factory("hnsw")(8)


def test_listing_backends_imports_no_ann_library() -> None:
    code = (
        "import sys, ragyard.index as i; i.list_backends(); i.get_backend_info(); i.default_backend_name();"
        "assert 'faiss' not in sys.modules and 'hnswlib' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(not HAS_HNSWLIB, reason="hnswlib is not installed")
def test_hnsw_knobs() -> None:
    index = make_index(8, backend="hnsw", max_elements=4, ef_search=10)
    x = np.random.default_rng(1).standard_normal((300, 8)).astype(np.float32)
    for start in range(0, 300, 50):  # capacity grows past max_elements
        index.add_items(np.arange(start, start + 50), x[start : start + 50])
    assert len(index) == 300
    index.ef_search = 100
    assert index.ef_search == 100 and index._index.ef == 100
    index.set_ef_search(50)
    assert index.params["ef_search"] == 50
    found, _ = index.search_items(x[:5], 3)
    assert (found[:, 0] == np.arange(5)).all()
    with pytest.raises(ValueError):
        index.ef_search = 0


@pytest.mark.skipif(not HAS_FAISS, reason="faiss is not installed")
def test_faiss_ivf_trains_lazily() -> None:
    index = make_index(8, backend="faiss", index_type="ivf", nlist=8)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((400, 8)).astype(np.float32)
    index.add_items(np.arange(200), x[:200])
    found, _ = index.search_items(x[:3], 2)  # 200 < 39 * 8: still exact, untrained
    assert not index.is_trained and (found[:, 0] == np.arange(3)).all()
    index.add_items(np.arange(200, 400), x[200:])
    assert not index.is_trained
    found, _ = index.search_items(x[390:393], 2)
    assert index.is_trained and (found[:, 0] == np.arange(390, 393)).all()
    index.nprobe = 1
    found, _ = index.search_items(x[:50], 10)
    assert (found >= 0).all()  # rows short after one list are completed
    default = make_index(8, backend="faiss", index_type="ivf")
    default.add_items(np.arange(400), x)
    default.search_items(x[:1], 1)
    assert not default.is_trained  # default nlist = 4*sqrt(400) = 80 needs 3120 vectors
    with pytest.raises(ValueError):
        make_index(8, backend="faiss", index_type="pq")


def test_keymap_dense_then_sparse() -> None:
    from ragyard.index.exact import KeyMap

    km = KeyMap()
    km.assign(np.arange(10, dtype=np.int64), np.arange(100, 110, dtype=np.int64), 10)
    assert km.dense and km.lookup(np.array([0, 9, 10, 5000], dtype=np.int64)).tolist() == [100, 109, -1, -1]
    big = np.arange(2**40, 2**40 + 3000, dtype=np.int64)
    km.assign(big, np.arange(3000, dtype=np.int64), 3010)
    assert not km.dense
    probe = np.concatenate([big[::-1], np.array([3, 11, 2**41], dtype=np.int64)])  # long: sorted-array path
    expected = [*range(2999, -1, -1), 103, -1, -1]
    assert km.lookup(probe).tolist() == expected
    assert km.lookup(probe[-3:]).tolist() == [103, -1, -1]  # short: dict path (cache still valid)
    assert km.pop_one(3) == 103 and km.pop_one(3) is None
    km.set_one(int(big[0]), 7)
    km.unassign(big[1:3])
    assert km.lookup(big[:4]).tolist() == [7, -1, -1, 3]
    assert len(km.keys()) == 9 + 2998
