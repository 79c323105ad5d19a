"""Seed-001 EmbeddingService: async API, sync fast paths, dimension checks, caching."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from ragyard.embed import (
    DefaultEmbeddingProvider,
    EmbedderProvider,
    EmbeddingCache,
    EmbeddingProvider,
    EmbeddingService,
    HashingEmbedder,
    MemoryEmbeddingCache,
    SQLiteEmbeddingCache,
)
from ragyard.embed.cache import TABLE, text_hash
from ragyard.errors import DimensionMismatchError, ValidationError


class CountingEmbedder(HashingEmbedder):
    """A real hashing embedder that counts how many texts reach it."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim=dim)
        self.calls = 0
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls += 1
            self.texts.extend(texts)
        return super()._embed_batch(texts)


class AsyncOnlyProvider(EmbeddingProvider):
    """A third-party style provider: only async ``embed`` and plain attributes."""

    def __init__(self, dimension: int = 8) -> None:
        self.model_name = "toy-async"
        self.dimension = dimension
        self.width = dimension
        self.calls = 0

    async def embed(self, text: str) -> list[float]:
        self.calls += 1
        await asyncio.sleep(0)
        return [float(len(text) % 5 + i) for i in range(self.width)]


TEXTS = ["alpha beta", "gamma delta", "alpha beta", "epsilon"]


def test_seed_usage_with_default_provider() -> None:
    provider = DefaultEmbeddingProvider(64)
    service = EmbeddingService(provider=provider, dimension=64)
    vec = asyncio.run(service.create_embedding("a query"))
    assert isinstance(vec, list) and len(vec) == 64 and all(isinstance(x, float) for x in vec)
    vecs = asyncio.run(service.create_embeddings_batch(["one", "two", "three"]))
    assert len(vecs) == 3 and all(len(v) == 64 for v in vecs)
    assert service.provider.model_name == "hashing-64-1x2"  # what seed loaders record
    assert service.model_name == "hashing-64-1x2"


def test_async_and_sync_paths_agree() -> None:
    emb = HashingEmbedder(dim=32)
    service = EmbeddingService(emb, 32)
    assert isinstance(service.provider, EmbedderProvider) and service.embedder is emb
    sync = service.embed(TEXTS)
    assert sync.shape == (4, 32) and sync.dtype == np.float32
    np.testing.assert_allclose(sync, emb.embed(TEXTS))
    batch = np.asarray(asyncio.run(service.create_embeddings_batch(TEXTS)), dtype=np.float32)
    np.testing.assert_allclose(batch, sync)
    np.testing.assert_allclose(service.embed_query("alpha beta"), sync[0])
    np.testing.assert_allclose(asyncio.run(service.create_embedding("alpha beta")), sync[0], atol=1e-7)
    assert service.embed([]).shape == (0, 32)
    assert asyncio.run(service.create_embeddings_batch([])) == []


def test_dimension_checked_at_construction() -> None:
    with pytest.raises(DimensionMismatchError) as err:
        EmbeddingService(provider=EmbedderProvider(HashingEmbedder(dim=32)), dimension=768)
    assert err.value.expected == 768 and err.value.got == 32
    assert EmbeddingService(HashingEmbedder(dim=16)).dimension == 16  # defaults to the provider's


def test_dimension_checked_on_vectors_of_undeclared_provider() -> None:
    provider = AsyncOnlyProvider(dimension=8)
    provider.dimension = None  # type: ignore[assignment]  # a provider that does not declare it
    service = EmbeddingService(provider, dimension=4)
    with pytest.raises(DimensionMismatchError):
        asyncio.run(service.create_embedding("x"))


def test_async_only_provider_works_everywhere() -> None:
    provider = AsyncOnlyProvider()
    service = EmbeddingService(provider, 8, cache=MemoryEmbeddingCache())
    vecs = asyncio.run(service.create_embeddings_batch(["a", "bb", "a"]))
    assert len(vecs) == 3 and vecs[0] == vecs[2]
    assert provider.calls == 2  # "a" embedded once
    arr = service.embed(["ccc", "a"])  # sync path without a running loop
    assert arr.shape == (2, 8) and provider.calls == 3

    async def inside_a_loop() -> np.ndarray:
        return service.embed(["dddd"])  # sync path from inside a running loop

    assert asyncio.run(inside_a_loop()).shape == (1, 8)


def test_non_str_is_a_validation_error() -> None:
    service = EmbeddingService(HashingEmbedder(dim=8))
    with pytest.raises(ValidationError):
        service.embed(["ok", 1])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        asyncio.run(service.create_embeddings_batch([None]))  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        EmbeddingService(provider=object())  # type: ignore[arg-type]


def test_deduplicates_within_a_batch_without_cache() -> None:
    emb = CountingEmbedder()
    service = EmbeddingService(emb)
    out = service.embed(TEXTS)
    assert sorted(emb.texts) == ["alpha beta", "epsilon", "gamma delta"]
    np.testing.assert_array_equal(out[0], out[2])
    assert service.stats["duplicates"] == 1 and service.stats["misses"] == 3


def test_memory_cache_avoids_recomputation() -> None:
    emb = CountingEmbedder()
    cache = MemoryEmbeddingCache()
    assert isinstance(cache, EmbeddingCache)
    service = EmbeddingService(emb, cache=cache)
    first = service.embed(TEXTS)
    calls = emb.calls
    second = service.embed(list(reversed(TEXTS)))
    np.testing.assert_array_equal(second, first[::-1])
    third = asyncio.run(service.create_embeddings_batch(TEXTS))
    np.testing.assert_array_equal(np.asarray(third, dtype=np.float32), first)
    assert emb.calls == calls  # nothing re-embedded
    assert service.stats["hits"] == 6 and service.stats["misses"] == 3
    service.embed(["alpha beta", "new text"])
    assert emb.texts[-1:] == ["new text"]


def test_sqlite_cache_persists_across_service_instances(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    with sqlite3.connect(db) as conn:  # the store's own table in the same file is left alone
        conn.execute("CREATE TABLE documents (id TEXT PRIMARY KEY, content TEXT)")
        conn.execute("INSERT INTO documents VALUES ('d1', 'hello')")

    emb1 = CountingEmbedder()
    with SQLiteEmbeddingCache(db) as cache1:
        first = EmbeddingService(emb1, 64, cache=cache1).embed(TEXTS)
    assert emb1.calls == 1 and len(emb1.texts) == 3

    emb2 = CountingEmbedder()
    cache2 = SQLiteEmbeddingCache(db)
    service2 = EmbeddingService(emb2, 64, cache=cache2)
    again = service2.embed(TEXTS)
    query = asyncio.run(service2.create_embedding("gamma delta"))
    assert emb2.calls == 0  # everything came from the SQLite file
    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(np.asarray(query, dtype=np.float32), first[1])
    assert service2.stats["misses"] == 0 and service2.stats["hits"] == 4
    assert cache2.count("hashing-64-1x2") == 3
    cache2.close()

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT content FROM documents").fetchall() == [("hello",)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        row = conn.execute(f"SELECT model, hash, dim, length(vector) FROM {TABLE} LIMIT 1").fetchone()
        assert row[0] == "hashing-64-1x2" and len(row[1]) == 16 and row[2] == 64 and row[3] == 256


def test_cache_is_keyed_by_model(tmp_path: Path) -> None:
    cache = SQLiteEmbeddingCache(tmp_path / "c.db")
    EmbeddingService(HashingEmbedder(dim=16), cache=cache).embed(["same text"])
    emb = CountingEmbedder(dim=32)
    out = EmbeddingService(emb, cache=cache).embed(["same text"])
    assert emb.calls == 1 and out.shape == (1, 32)
    got = cache.get_many("hashing-16-1x2", [text_hash("same text"), text_hash("other")])
    assert list(got) == [text_hash("same text")] and got[text_hash("same text")].shape == (16,)
    cache.close()


def test_sqlite_cache_from_threads(tmp_path: Path) -> None:
    emb = CountingEmbedder()
    service = EmbeddingService(emb, cache=SQLiteEmbeddingCache(tmp_path / "t.db"))
    texts = [f"text {i}" for i in range(40)]
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for _ in range(3):
                out = service.embed(texts[offset : offset + 20])
                assert out.shape == (20, 64)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(o,)) for o in (0, 10, 20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert set(emb.texts) == set(texts)
    np.testing.assert_allclose(service.embed(texts), emb.embed(texts))


def test_minilm_service(minilm) -> None:
    service = EmbeddingService(minilm, 384, cache=MemoryEmbeddingCache())
    vecs = asyncio.run(service.create_embeddings_batch(["a cat sits on the mat", "a kitten on a rug"]))
    assert service.provider.model_name == "all-MiniLM-L6-v2"
    assert len(vecs) == 2 and len(vecs[0]) == 384
    q = service.embed_query("a cat sits on the mat")
    np.testing.assert_allclose(q, vecs[0], atol=1e-6)
    assert service.stats["hits"] == 1
