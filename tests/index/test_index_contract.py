"""One contract suite run against every index configuration (see conftest.BACKEND_CONFIGS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragyard.errors import (
    ConfigurationError,
    DimensionMismatchError,
    FormatVersionError,
    NotFoundError,
    ValidationError,
)
from ragyard.index import INDEX_FORMAT_VERSION, VectorIndex
from ragyard.similarity import l2_normalize, pairwise_distances

DIM = 16


def _data(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    return rng.standard_normal((n, dim)).astype(np.float32)


def _assert_rows_valid(keys: np.ndarray, dists: np.ndarray, expected: int, allowed: set[int] | None = None) -> None:
    """Each row: exactly ``expected`` real results first (distinct, sorted), then -1 / inf padding."""
    for krow, drow in zip(keys, dists):
        real = krow[krow >= 0]
        assert real.shape[0] == expected, (krow, expected)
        assert (krow[:expected] >= 0).all() and (krow[expected:] == -1).all()
        assert np.isinf(drow[expected:]).all() and np.isfinite(drow[:expected]).all()
        assert len(set(real.tolist())) == expected
        assert (np.diff(drow[:expected]) >= -1e-5).all()
        if allowed is not None:
            assert set(real.tolist()) <= allowed


def test_add_search_remove_len(make: Any, rng: np.random.Generator) -> None:
    index: VectorIndex = make(DIM)
    x = _data(rng, 300)
    keys = np.arange(1000, 1300, dtype=np.int64)
    index.add_items(keys, x)
    assert len(index) == 300
    assert set(index.keys().tolist()) == set(keys.tolist())
    found, dists = index.search_items(x[:20], 5)
    assert found.shape == (20, 5) and found.dtype == np.int64 and dists.dtype == np.float32
    assert (found[:, 0] == keys[:20]).all()
    assert np.allclose(dists[:, 0], 0.0, atol=1e-4)
    _assert_rows_valid(found, dists, 5)

    gone = keys[:40]
    assert index.remove_items(gone) == 40
    assert index.remove_items(gone[:5]) == 0  # already gone
    assert index.remove_items(np.array([5, 6], dtype=np.int64)) == 0  # never existed
    assert len(index) == 260
    found, dists = index.search_items(x[:60], 10)
    assert not set(found.ravel().tolist()) & set(gone.tolist())
    assert (found[40:, 0] == keys[40:60]).all()
    _assert_rows_valid(found, dists, 10)
    with pytest.raises(NotFoundError):
        index.get_items(gone[:1])


def test_replace_existing_key(make: Any, rng: np.random.Generator) -> None:
    index = make(DIM)
    x = _data(rng, 200)
    index.add_items(np.arange(200), x)
    new = _data(rng, 1)
    index.add_items(np.array([7]), new)
    assert len(index) == 200
    found, dists = index.search_items(new, 1)
    assert found[0, 0] == 7 and dists[0, 0] == pytest.approx(0.0, abs=1e-4)
    assert np.allclose(index.get_items(np.array([7])), l2_normalize(new), atol=1e-5)
    found, dists = index.search_items(x[7:8], 3)
    assert 7 not in found[0] or dists[0][list(found[0]).index(7)] > 1e-3
    # duplicate keys in one batch: the last vector wins
    index.add_items(np.array([9, 9]), np.vstack([x[0], new[0]]))
    assert len(index) == 200
    assert np.allclose(index.get_items(np.array([9])), l2_normalize(new), atol=1e-5)


def test_seed_api_shapes(make: Any, rng: np.random.Generator) -> None:
    index = make(DIM)
    vectors = list(_data(rng, 10))
    ids = [f"file_{i}.jpg" for i in range(10)]
    index.add(ids, vectors)
    result_ids, distances = index.search([vectors[0]], k=3)
    assert isinstance(result_ids, list) and len(result_ids) == 1 and len(result_ids[0]) == 3
    assert len(distances) == 1 and len(distances[0]) == 3
    assert result_ids[0][0] == "file_0.jpg"
    assert all(isinstance(d, float) for d in distances[0])
    assert distances[0] == sorted(distances[0])
    assert index.remove(["file_0.jpg", "nope"]) == 1
    result_ids, _ = index.search([vectors[0]], k=3)
    assert "file_0.jpg" not in result_ids[0]
    assert index.get(["file_3.jpg"]).shape == (1, DIM)
    with pytest.raises(ValidationError):
        index.add(["a", "b"], vectors[:1])
    with pytest.raises(ValidationError):
        index.search([vectors[0]], k=0)


def test_k_larger_than_size(make: Any, rng: np.random.Generator) -> None:
    index = make(DIM)
    assert index.search_items(_data(rng, 2), 4)[0].tolist() == [[-1] * 4] * 2  # empty index
    x = _data(rng, 5)
    index.add([0, 1, 2, 3, 4], x)
    ids, dists = index.search([x[2]], k=10)
    assert sorted(ids[0]) == [0, 1, 2, 3, 4] and ids[0][0] == 2 and len(dists[0]) == 5
    keys, d = index.search_items(x, 10)
    assert keys.shape == (5, 10)
    _assert_rows_valid(keys, d, 5)


@pytest.mark.parametrize("n", [40, 300, 2500])
@pytest.mark.parametrize("force_filter", [False, True])
def test_allowed_returns_min_k_matches(
    make: Any, config: tuple[str, dict[str, Any], bool], rng: np.random.Generator, n: int, force_filter: bool
) -> None:
    extra: dict[str, Any] = {}
    if force_filter:  # push the approximate backends onto their filtered (non-exact) path
        if config[0] == "exact":
            pytest.skip("the exact index has a single path")
        extra = {"exact_threshold": 0, "exact_fraction": 0.0}
    index = make(8, **extra)
    x = _data(rng, n, 8)
    keys = np.arange(n, dtype=np.int64) * 2  # even keys only
    index.add_items(keys, x)
    index.remove_items(keys[:3])
    live = set(keys[3:].tolist())
    q = _data(rng, 4, 8)
    for size in (1, 3, 7, 50, n // 2, n):
        pick = rng.choice(keys, size=min(size, n), replace=False)
        allowed = np.concatenate([pick, pick[:2] + 1, np.array([10**9])])  # + odd keys never added
        matches = set(pick.tolist()) & live
        for k in (1, 5, 12):
            found, dists = index.search_items(q, k, allowed=allowed)
            assert found.shape == (4, k)
            _assert_rows_valid(found, dists, min(k, len(matches)), matches)
    found, _ = index.search_items(q, 5, allowed=np.array([], dtype=np.int64))
    assert (found == -1).all()


@pytest.mark.parametrize("metric", ["cosine", "inner_product", "euclidean", "manhattan"])
def test_metric_distances_match_similarity(
    make: Any, config: tuple[str, dict[str, Any], bool], rng: np.random.Generator, metric: str
) -> None:
    try:
        index = make(DIM, metric)
    except ConfigurationError:
        assert metric == "manhattan"  # only the exact index supports it
        return
    x = _data(rng, 300) * rng.uniform(0.5, 3.0, size=(300, 1)).astype(np.float32)
    index.add_items(np.arange(300), x)
    q = _data(rng, 6)
    k = 10
    found, dists = index.search_items(q, k)
    truth = pairwise_distances(q, x, metric)
    for i in range(q.shape[0]):
        np.testing.assert_allclose(dists[i], truth[i, found[i]], rtol=1e-4, atol=1e-4)
        if config[2]:  # exact-valued backend: the same k smallest distances
            np.testing.assert_allclose(dists[i], np.sort(truth[i])[:k], rtol=1e-4, atol=1e-4)
        else:
            assert len(set(found[i].tolist()) & set(np.argsort(truth[i])[:k].tolist())) >= k - 2


def test_dimension_mismatch(make: Any, rng: np.random.Generator) -> None:
    index = make(DIM)
    index.add_items(np.arange(3), _data(rng, 3))
    with pytest.raises(DimensionMismatchError):
        index.add_items(np.arange(3, 5), _data(rng, 2, DIM + 1))
    with pytest.raises(DimensionMismatchError):
        index.search_items(_data(rng, 1, DIM - 1), 2)
    with pytest.raises(DimensionMismatchError):
        index.add(["x"], [np.zeros(DIM + 2, dtype=np.float32)])
    assert len(index) == 3


def test_nan_and_bad_keys_rejected(make: Any, rng: np.random.Generator) -> None:
    index = make(DIM)
    bad = _data(rng, 2)
    bad[1, 3] = np.nan
    with pytest.raises(ValidationError):
        index.add_items(np.arange(2), bad)
    assert len(index) == 0
    index.add_items(np.arange(2), _data(rng, 2))
    with pytest.raises(ValidationError):
        index.search_items(bad, 1)
    inf = _data(rng, 1)
    inf[0, 0] = np.inf
    with pytest.raises(ValidationError):
        index.search([inf[0]], k=1)
    with pytest.raises(ValidationError):
        index.add_items(np.array([-3]), _data(rng, 1))
    with pytest.raises(ValidationError):
        index.add_items(np.arange(3), _data(rng, 2))
    assert len(index) == 2


def _roundtrip(make: Any, index: VectorIndex, path: Path, q: np.ndarray) -> VectorIndex:
    before = index.search(list(q), k=7)
    before_keys = index.search_items(q, 7)
    index.meta = {"generation": 3, "note": "ünïcode"}
    index.save(path)
    assert path.exists() and Path(str(path) + ".meta.json").exists()
    loaded = make(DIM)
    loaded.load(path)
    assert len(loaded) == len(index)
    assert set(loaded.keys().tolist()) == set(index.keys().tolist())
    assert loaded.meta == {"generation": 3, "note": "ünïcode"}
    after = loaded.search(list(q), k=7)
    assert after[0] == before[0]
    np.testing.assert_allclose(np.array(after[1]), np.array(before[1]), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(loaded.search_items(q, 7)[0], before_keys[0])
    return loaded


def test_save_load_round_trip(make: Any, rng: np.random.Generator, tmp_path: Path) -> None:
    index = make(DIM)
    x = _data(rng, 400)
    ids = [f"doc-{i}" for i in range(400)]
    index.add(ids, x)
    index.remove(ids[:25])
    index.add(ids[30:35], _data(rng, 5))  # replaced
    q = np.vstack([x[40:45], _data(rng, 3)])
    loaded = _roundtrip(make, index, tmp_path / "idx.bin", q)
    assert loaded.get(["doc-100"]).shape == (1, DIM)
    # the loaded index keeps working: add, replace, remove
    loaded.add(["new-1", "doc-100"], _data(rng, 2))
    assert len(loaded) == len(index) + 1
    assert loaded.remove(["doc-50"]) == 1
    assert loaded.search([x[60]], k=1)[0][0][0] == "doc-60"
    # save over an existing index at the same path, then a small (e.g. untrained ivf) index
    small = make(DIM)
    small.add(list(range(20)), x[:20])
    _roundtrip(make, small, tmp_path / "idx.bin", q)
    empty = make(DIM)
    empty.save(tmp_path / "empty.bin")
    again = make(DIM)
    again.load(tmp_path / "empty.bin")
    assert len(again) == 0


def test_load_refuses_newer_format_and_other_backend(make: Any, rng: np.random.Generator, tmp_path: Path) -> None:
    index = make(DIM)
    index.add_items(np.arange(5), _data(rng, 5))
    path = tmp_path / "idx"
    index.save(path)
    meta_path = Path(str(path) + ".meta.json")
    meta = json.loads(meta_path.read_text())
    meta["format_version"] = INDEX_FORMAT_VERSION + 1
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(FormatVersionError):
        make(DIM).load(path)
    meta["format_version"] = INDEX_FORMAT_VERSION
    meta["backend"] = "someone-else"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ConfigurationError):
        make(DIM).load(path)
    with pytest.raises(NotFoundError):
        make(DIM).load(tmp_path / "missing")
    meta["backend"] = index.name
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ConfigurationError):
        make(DIM + 1).load(path)


def test_churn_remove_and_readd(make: Any, rng: np.random.Generator) -> None:
    """Enough removals to trigger the ANN backends' rebuild, then revive some removed keys."""
    index = make(8)
    x = _data(rng, 2600, 8)
    keys = np.arange(2600, dtype=np.int64)
    index.add_items(keys[:1300], x[:1300])
    index.add_items(keys[1300:], x[1300:])
    assert index.remove_items(keys[:2200]) == 2200
    assert len(index) == 400
    revived = _data(rng, 100, 8)
    index.add_items(keys[:100], revived)
    assert len(index) == 500
    found, dists = index.search_items(revived[:20], 3)
    assert (found[:, 0] == keys[:20]).all()
    found, dists = index.search_items(x[2200:2220], 3)
    assert (found[:, 0] == keys[2200:2220]).all()
    live = set(keys[:100].tolist()) | set(keys[2200:].tolist())
    found, dists = index.search_items(_data(rng, 30, 8), 10)
    _assert_rows_valid(found, dists, 10, live)
    assert set(index.keys().tolist()) == live


def test_sparse_large_keys(make: Any, rng: np.random.Generator) -> None:
    """Keys far apart (not rowid-like) and near 2**62 work like small ones."""
    index = make(8)
    keys = np.concatenate([np.arange(5), np.unique(rng.integers(2**20, 2**62, size=300, dtype=np.int64))])
    x = _data(rng, keys.shape[0], 8)
    index.add_items(keys[:5], x[:5])  # rowid-like first (dense key map), then sparse keys
    index.add_items(keys, x)
    assert len(index) == keys.shape[0]
    found, _ = index.search_items(x[:10], 1)
    assert (found[:, 0] == keys[:10]).all()
    assert index.remove_items(keys[:3]) == 3
    allowed = keys[:50]
    found, dists = index.search_items(x[:4], 5, allowed=allowed)
    _assert_rows_valid(found, dists, 5, set(keys[3:50].tolist()))
    np.testing.assert_allclose(index.get_items(keys[10:12]), l2_normalize(x[10:12]), atol=1e-5)
    assert set(index.keys().tolist()) == set(keys[3:].tolist())


def test_unknown_parameter_and_metric(config: tuple[str, dict[str, Any], bool]) -> None:
    from ragyard.index import make_index

    name, params, _ = config
    with pytest.raises(ConfigurationError, match="unknown parameter"):
        make_index(4, backend=name, **params, no_such_param=1)
    with pytest.raises(ConfigurationError):
        make_index(4, backend=name, metric="hamming", **params)
    with pytest.raises(ConfigurationError):
        make_index(0, backend=name, **params)
