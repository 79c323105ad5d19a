"""The store contract: one suite, run against every store backend (parametrised by the `store` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from ragyard.errors import (
    CollectionNotFoundError,
    ConfigurationError,
    ConflictError,
    DimensionMismatchError,
    FilterError,
    ValidationError,
)
from ragyard.similarity import distance_to_score, pairwise_distances
from ragyard.store.filters import evaluate
from ragyard.types import SearchFilter, VectorPoint, coerce_filter

DIM = 16


def rand(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]


def fill(store, name: str = "c", n: int = 200, seed: int = 0, metric: str = "cosine"):
    store.create_collection(name, DIM, metric)
    vecs = rand(n, seed)
    ids = [f"d{i}" for i in range(n)]
    contents = [f"{WORDS[i % 10]} {WORDS[(i * 7) % 10]} document number {i}" for i in range(n)]
    metas = [{"group": i % 10, "parity": "even" if i % 2 == 0 else "odd", "tags": [WORDS[i % 10]]} for i in range(n)]
    store.upsert_arrays(name, vecs, ids, contents, metas)
    return vecs, ids, contents, metas


# -- collections ----------------------------------------------------------------------------------
def test_collection_lifecycle(store) -> None:
    info = store.create_collection("docs", DIM, "cosine")
    assert info.dimension == DIM and info.vector_count == 0
    assert "docs" in store.list_collections()
    assert store.has_collection("docs")
    with pytest.raises(ConflictError):
        store.create_collection("docs", DIM)
    assert store.create_collection("docs", DIM, exist_ok=True).name == "docs"
    with pytest.raises(DimensionMismatchError):
        store.create_collection("docs", DIM + 1, exist_ok=True)
    store.delete_collection("docs")
    assert "docs" not in store.list_collections()
    with pytest.raises(CollectionNotFoundError):
        store.get_collection_info("docs")
    with pytest.raises(CollectionNotFoundError):
        store.search("docs", rand(1)[0])


@pytest.mark.parametrize("bad", ["", "1abc", "a b", "x;drop", "ü"])
def test_bad_collection_name(store, bad: str) -> None:
    with pytest.raises(ConfigurationError):
        store.create_collection(bad, DIM)


def test_bad_metric_and_dimension(store) -> None:
    with pytest.raises(ConfigurationError):
        store.create_collection("c", DIM, "hamming")
    with pytest.raises(ConfigurationError):
        store.create_collection("c", 0)


# -- writes ---------------------------------------------------------------------------------------
def test_upsert_get_count_delete(store) -> None:
    vecs, _ids, contents, _metas = fill(store, n=50)
    assert store.count("c") == 50
    assert store.count("c", {"parity": "even"}) == 25
    got = store.get("c", ["d3", "missing", "d1"], with_vectors=True)
    assert [p.id for p in got] == ["d3", "d1"]
    assert got[0].payload["content"] == contents[3]
    assert got[0].payload["group"] == 3
    np.testing.assert_allclose(got[0].vector, vecs[3], rtol=1e-6)
    # replace an existing id
    store.upsert_arrays("c", rand(1, 99), ["d3"], ["replaced text"], [{"group": 42}])
    assert store.count("c") == 50
    assert store.get("c", ["d3"])[0].payload == {"group": 42, "content": "replaced text"}
    assert store.delete("c", ids=["d3", "nope"]) == 1
    assert store.delete("c", filter={"group": 4}) == 5
    assert store.count("c") == 44
    with pytest.raises(ValidationError):
        store.delete("c")


def test_generated_ids_and_points(store) -> None:
    store.create_collection("c", DIM)
    ids = store.upsert_arrays("c", rand(3))
    assert len(set(ids)) == 3
    pts = [
        VectorPoint(id=f"p{i}", vector=v.tolist(), payload={"content": f"text {i}", "k": i})
        for i, v in enumerate(rand(4, 1))
    ]
    assert store.upsert("c", pts) == ["p0", "p1", "p2", "p3"]
    assert store.count("c") == 7
    hit = store.search("c", pts[2].vector, limit=1)[0]
    assert hit.id == "p2" and hit.payload == {"k": 2, "content": "text 2"}


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"vectors": rand(3, dim=DIM + 1)}, DimensionMismatchError),
        ({"vectors": np.full((3, DIM), np.nan, dtype=np.float32)}, ValidationError),
        ({"vectors": rand(3), "ids": ["a", "a", "b"]}, ValidationError),
        ({"vectors": rand(3), "ids": ["a", "b"]}, ValidationError),
        ({"vectors": rand(3), "metadatas": [{"x": object()}, None, None]}, ValidationError),
        ({"vectors": rand(3), "metadatas": ["not a dict", None, None]}, ValidationError),
        ({"vectors": rand(3), "contents": [1, "b", "c"]}, ValidationError),
    ],
)
def test_bad_batches_store_nothing(store, kwargs, error) -> None:
    fill(store, n=20)
    before = store.count("c")
    with pytest.raises(error):
        store.upsert_arrays("c", **kwargs)
    assert store.count("c") == before
    assert store.count("c", {"group": 0}) == 2


def test_unknown_collection_write(store) -> None:
    with pytest.raises(CollectionNotFoundError):
        store.upsert_arrays("nope", rand(2))


# -- dense search ---------------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["cosine", "inner_product", "euclidean", "manhattan"])
def test_dense_search_matches_brute_force(store, metric: str) -> None:
    vecs, ids, *_ = fill(store, n=300, metric=metric)
    queries = rand(5, 7)
    dist = pairwise_distances(queries, vecs, metric)
    for qi, q in enumerate(queries):
        res = store.search("c", q, limit=10)
        order = np.argsort(dist[qi], kind="stable")[:10]
        assert [r.id for r in res] == [ids[i] for i in order]
        expected = distance_to_score(metric, dist[qi][order])
        np.testing.assert_allclose([r.score for r in res], expected, rtol=1e-4, atol=1e-4)
        assert all(a.score >= b.score for a, b in zip(res, res[1:]))


def test_metric_per_query(store) -> None:
    vecs, ids, *_ = fill(store, n=100)
    q = rand(1, 3)[0]
    res = store.search("c", q, limit=5, metric="euclidean")
    order = np.argsort(pairwise_distances(q[None], vecs, "euclidean")[0])[:5]
    assert [r.id for r in res] == [ids[i] for i in order]


def test_batch_search_equals_single(store) -> None:
    fill(store, n=150)
    queries = rand(4, 5)
    batch = store.search_hits_batch("c", queries, limit=7, filter={"parity": "odd"})
    for q, row in zip(queries, batch):
        single = store.search_hits("c", q, limit=7, filter={"parity": "odd"})
        assert [h.id for h in row] == [h.id for h in single]


def test_score_threshold_and_limit(store) -> None:
    vecs, *_ = fill(store, n=100)
    res = store.search("c", vecs[0], limit=100, score_threshold=0.2)
    assert res and all(r.score >= 0.2 for r in res)
    assert res[0].id == "d0"
    assert len(store.search("c", vecs[0], limit=500)) == 100
    with pytest.raises(ValidationError):
        store.search("c", vecs[0], limit=0)
    with pytest.raises(DimensionMismatchError):
        store.search("c", rand(1, dim=DIM + 2)[0])


@pytest.mark.parametrize(
    "flt", [{"group": 3}, {"group": {"$in": [1, 2]}, "parity": "odd"}, {"tags": {"$contains": "beta"}}]
)
def test_filtered_search_returns_min_k_matches(store, flt) -> None:
    vecs, ids, _contents, metas = fill(store, n=400)
    matches = [i for i, m in enumerate(metas) if evaluate(coerce_filter(flt), m)]
    for k in (1, 5, len(matches), len(matches) + 10):
        res = store.search("c", rand(1, 11)[0], limit=k, filter=flt)
        assert len(res) == min(k, len(matches))
        assert all(evaluate(coerce_filter(flt), r.payload) for r in res)
    # exact ranking inside the filter
    q = rand(1, 12)[0]
    d = pairwise_distances(q[None], vecs[matches], "cosine")[0]
    expected = [ids[matches[i]] for i in np.argsort(d)[:5]]
    assert [r.id for r in store.search("c", q, limit=5, filter=flt)] == expected


def test_filter_with_no_match_and_bad_filter(store) -> None:
    fill(store, n=30)
    assert store.search("c", rand(1)[0], limit=5, filter={"group": 99}) == []
    with pytest.raises(FilterError):
        store.search("c", rand(1)[0], filter={"group": {"$near": 1}})
    seed_filter = SearchFilter(must=[{"field": "group", "operator": "ge", "value": 8}])
    assert {r.payload["group"] for r in store.search("c", rand(1)[0], limit=30, filter=seed_filter)} == {8, 9}


# -- keyword and hybrid ---------------------------------------------------------------------------
def test_keyword_search_kept_current(store) -> None:
    fill(store, n=50)
    res = store.keyword_search("c", "gamma", limit=50)
    assert res and all("gamma" in r.payload["content"] for r in res)
    assert all(a.score >= b.score for a, b in zip(res, res[1:]))
    store.upsert_arrays("c", rand(1, 5), ["new"], ["a unique zebra appears"], [{"group": 0}])
    assert [r.id for r in store.keyword_search("c", "zebra")] == ["new"]
    store.upsert_arrays("c", rand(1, 6), ["new"], ["now about giraffes"], [{"group": 0}])
    assert store.keyword_search("c", "zebra") == []
    assert [r.id for r in store.keyword_search("c", "giraffes")] == ["new"]
    store.delete("c", ids=["new"])
    assert store.keyword_search("c", "giraffes") == []
    assert store.keyword_search("c", "the of and") == []
    assert store.keyword_search("c", "") == []


def test_keyword_filter_and_stemming(store) -> None:
    fill(store, n=60)
    res = store.keyword_search("c", "documents numbers", limit=100, filter={"parity": "even"})
    assert len(res) == 30 and all(r.payload["parity"] == "even" for r in res)


@pytest.mark.parametrize("strategy", ["rrf", "weighted", "dbsf"])
def test_hybrid_search(store, strategy: str) -> None:
    vecs, _ids, _contents, _ = fill(store, n=100)
    res = store.hybrid_search("c", vecs[17], "theta", limit=10, strategy=strategy)
    assert len(res) == 10
    assert res[0].id == "d17" or "theta" in res[0].payload["content"]
    assert all(a.score >= b.score for a, b in zip(res, res[1:]))
    dense_only = store.hybrid_search_hits("c", vecs[17], "theta", 5, strategy=strategy, alpha=1.0)
    assert dense_only[0].id == "d17"
    kw_only = store.hybrid_search_hits("c", vecs[17], "theta", 5, strategy=strategy, alpha=0.0)
    assert all("theta" in h.content for h in kw_only)
    filtered = store.hybrid_search("c", vecs[17], "theta", limit=5, filter={"parity": "odd"}, strategy=strategy)
    assert len(filtered) == 5 and all(r.payload["parity"] == "odd" for r in filtered)


def test_hybrid_rrf_scores(store) -> None:
    vecs, *_ = fill(store, n=40)
    res = store.hybrid_search_hits("c", vecs[0], "alpha", 3)
    assert res[0].score <= 2 / 61 + 1e-9
    with pytest.raises(ConfigurationError):
        store.hybrid_search("c", vecs[0], "alpha", strategy="borda")
    with pytest.raises(ConfigurationError):
        store.hybrid_search("c", vecs[0], "alpha", alpha=1.5)
