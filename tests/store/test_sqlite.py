"""SQLite-specific behaviour: WAL, locking, format version, caches and their generations, compaction."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from ragyard.errors import (
    ConfigurationError,
    ConflictError,
    DimensionMismatchError,
    FormatVersionError,
    StoreLockedError,
    UnknownBackendError,
)
from ragyard.registry import get_registry
from ragyard.store.layout import TableLayout
from ragyard.store.sqlite import FORMAT_VERSION, SQLiteStore

from .test_contract import DIM, fill, rand


@pytest.fixture
def db(tmp_path):
    return tmp_path / "x.db"


def test_registered_as_default_store() -> None:
    reg = get_registry("stores")
    assert "sqlite" in reg.list_backends(available_only=True)
    assert reg.resolve_name("auto") == "sqlite"
    with pytest.raises(UnknownBackendError) as exc:
        reg.get("oracle")
    assert "sqlite" in str(exc.value)


def test_wal_mode_and_format_version(db) -> None:
    s = SQLiteStore(db)
    s.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM ragyard_meta WHERE key='format_version'").fetchone()[0] == str(
        FORMAT_VERSION
    )
    conn.execute("UPDATE ragyard_meta SET value=? WHERE key='format_version'", (str(FORMAT_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(FormatVersionError, match="newer ragyard"):
        SQLiteStore(db)


def test_not_a_database(tmp_path) -> None:
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigurationError):
        SQLiteStore(bad)
    with pytest.raises(ConfigurationError):
        SQLiteStore(tmp_path / "missing-dir" / "x.db")


def test_second_writer_fails_clearly_and_changes_nothing(db) -> None:
    s = SQLiteStore(db, busy_timeout=0.2)
    fill(s, n=10)
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreLockedError, match="locked"):
            s.upsert_arrays("c", rand(2, 3), ["x1", "x2"])
        # readers are not blocked by the writer
        assert s.count("c") == 10
        assert len(s.search("c", rand(1)[0], limit=3)) == 3
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert s.count("c") == 10
    s.upsert_arrays("c", rand(2, 3), ["x1", "x2"])
    assert s.count("c") == 12
    s.close()


def test_second_writer_waits_within_timeout(db) -> None:
    s = SQLiteStore(db, busy_timeout=5)
    fill(s, n=5)
    blocker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
    timer.start()
    s.upsert_arrays("c", rand(1, 4), ["late"])
    timer.join()
    blocker.close()
    assert s.count("c") == 6
    s.close()


def test_other_process_writes_are_seen(db) -> None:
    a = SQLiteStore(db)
    vecs, *_ = fill(a, n=100)
    assert a.search("c", vecs[5], limit=1)[0].id == "d5"  # builds a's cache
    b = SQLiteStore(db)
    new = rand(1, 77)[0]
    b.upsert_arrays("c", new[None], ["fresh"], ["fresh text"])
    b.delete("c", ids=["d5"])
    res = a.search("c", new, limit=1)
    assert res[0].id == "fresh"
    assert all(r.id != "d5" for r in a.search("c", vecs[5], limit=100))
    a.close()
    b.close()


def test_concurrent_readers_and_writer(db) -> None:
    s = SQLiteStore(db)
    vecs, *_ = fill(s, n=300)
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for i in range(30):
                res = s.search("c", vecs[i], limit=5, filter={"group": {"$gte": 0}})
                assert len(res) == 5
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def writer() -> None:
        try:
            for i in range(10):
                s.upsert_arrays("c", rand(5, 1000 + i), [f"w{i}_{j}" for j in range(5)], metadatas=[{"group": 1}] * 5)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert s.count("c") == 350
    s.close()


def test_hnsw_index_is_a_persisted_cache(db) -> None:
    s = SQLiteStore(db)
    vecs, ids, *_ = fill(s, n=500)
    assert s.create_index("c", "ann", backend="hnsw", M=16, ef_construction=100) is True
    with pytest.raises(ConflictError):
        s.create_index("c", "ann")
    files = list((db.parent / (db.name + ".indexes") / "c").glob("ann.idx*"))
    assert files, "index file should be persisted next to the database"
    hits = sum(s.search("c", vecs[i], limit=1)[0].id == ids[i] for i in range(50))
    assert hits >= 48
    s.close()
    # another process: loads the persisted index and catches up with new writes
    s2 = SQLiteStore(db)
    s2.upsert_arrays("c", rand(1, 4242), ["late"], ["late doc"])
    assert s2.search("c", rand(1, 4242)[0], limit=1)[0].id == "late"
    assert s2.get_collection_info("c").indexed_vector_count == 501
    # filtered searches still return k
    assert len(s2.search("c", vecs[0], limit=7, filter={"group": 2})) == 7
    assert s2.delete_index("c", "ann") is True
    assert s2.delete_index("c", "ann") is False
    assert not list((db.parent / (db.name + ".indexes") / "c").glob("ann.idx*"))
    s2.close()


def test_unknown_index_backend(db) -> None:
    s = SQLiteStore(db)
    fill(s, n=10)
    with pytest.raises(UnknownBackendError):
        s.create_index("c", "x", backend="annoy")
    assert s.list_indexes("c") == {}
    s.close()


def test_compact_reclaims_space(db) -> None:
    s = SQLiteStore(db)
    store_vecs = rand(3000, 1)
    s.create_collection("c", DIM)
    s.upsert_arrays("c", store_vecs, [f"d{i}" for i in range(3000)], ["word " * 50] * 3000)
    assert s.search("c", store_vecs[10], limit=1)[0].id == "d10"
    s.delete("c", ids=[f"d{i}" for i in range(2900)])
    sizes = s.compact()
    assert sizes["bytes_after"] < sizes["bytes_before"]
    assert s.count("c") == 100
    assert s.search("c", store_vecs[2950], limit=1)[0].id == "d2950"
    assert len(s.keyword_search("c", "word", limit=1000)) == 100
    s.close()


def test_adopt_existing_tables_with_custom_columns(db) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE articles (doc_key TEXT PRIMARY KEY, body TEXT NOT NULL, extra TEXT)")
    conn.execute("CREATE TABLE vecs (vid TEXT PRIMARY KEY, article TEXT, vec BLOB)")
    v = rand(2, 5)
    conn.executemany(
        "INSERT INTO articles VALUES (?, ?, ?)", [("a1", "red apples", '{"k": 1}'), ("a2", "green pears", None)]
    )
    conn.executemany("INSERT INTO vecs VALUES (?, ?, ?)", [("a1", "a1", v[0].tobytes()), ("a2", "a2", v[1].tobytes())])
    conn.commit()
    conn.close()
    layout = TableLayout(
        documents_table="articles",
        embeddings_table="vecs",
        documents_id_column="doc_key",
        documents_content_column="body",
        documents_metadata_column="extra",
        embeddings_id_column="vid",
        embeddings_document_id_column="article",
        embeddings_model_column=None,
        embeddings_column="vec",
    )
    s = SQLiteStore(db)
    with pytest.raises(ConflictError):
        s.create_collection("articles", DIM, layout=layout)
    with pytest.raises(DimensionMismatchError):
        s.create_collection("articles", DIM + 1, layout=layout, adopt=True)
    s.create_collection("articles", DIM, layout=layout, adopt=True)
    assert s.search("articles", v[1], limit=1)[0].id == "a2"
    assert [r.id for r in s.keyword_search("articles", "apples")] == ["a1"]
    assert s.search("articles", v[0], limit=2, filter={"k": 1})[0].payload["k"] == 1
    s.upsert_arrays("articles", rand(1, 9), ["a3"], ["yellow bananas"])
    assert [r.id for r in s.keyword_search("articles", "bananas")] == ["a3"]
    s.close()


def test_delete_collection_then_recreate(db) -> None:
    s = SQLiteStore(db)
    fill(s, n=20)
    s.delete_collection("c")
    fill(s, n=5, seed=3)
    assert s.count("c") == 5
    assert len(s.keyword_search("c", "document", limit=50)) == 5
    np.testing.assert_allclose(s.get("c", ["d0"], with_vectors=True)[0].vector, rand(5, 3)[0], rtol=1e-6)
    s.close()
