"""SQLiteRAG: the seed-001 face, with the deterministic hashing embedder (model work is tested in embed/)."""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3

import numpy as np
import pytest

from ragyard.embed import create_embedder
from ragyard.embed.service import EmbeddingService
from ragyard.errors import (
    ConfigurationError,
    DimensionMismatchError,
    DocumentNotFoundError,
    FilterError,
    LoaderError,
    ValidationError,
)
from ragyard.rag import (
    DatabaseConfigProtocol,
    DocumentLoaderProtocol,
    DocumentQuerierProtocol,
    RAGSystemProtocol,
    SQLiteConfig,
    SQLiteDocument,
    SQLiteEmbedding,
    SQLiteRAG,
)

DOCS = [
    {"content": "Machine learning transforms artificial intelligence", "metadata": {"topic": "ML", "year": 2021}},
    {"content": "Python is great for data science and scripting", "metadata": {"topic": "Python", "year": 2019}},
    {"content": "Neural networks enable deep learning of representations", "metadata": {"topic": "DL", "year": 2022}},
    {"content": "Gardening tips for growing tomatoes in summer", "metadata": {"topic": "Garden", "year": 2020}},
    {"content": "Deep learning frameworks such as PyTorch power research", "metadata": {"topic": "DL", "year": 2023}},
]


@pytest.fixture
def hashing():
    return create_embedder("hashing", dim=256)


@pytest.fixture
def rag(tmp_path, hashing):
    r = SQLiteRAG(tmp_path / "rag.db", embedding_provider=hashing)
    r.load_documents(DOCS, show_progress=False)
    yield r
    r.close()


def test_protocols(rag) -> None:
    assert isinstance(rag, RAGSystemProtocol)
    assert isinstance(rag.loader, DocumentLoaderProtocol)
    assert isinstance(rag.querier, DocumentQuerierProtocol)
    assert isinstance(rag.config, DatabaseConfigProtocol)


def test_load_and_get(rag) -> None:
    doc_id = rag.load_document("Test document", metadata={"test": True}, document_id="t1")
    assert doc_id == "t1"
    doc = rag.get_document("t1")
    assert doc == {"id": "t1", "content": "Test document", "metadata": {"test": True}}
    assert rag.get_document("nope") is None
    assert [d["id"] for d in rag.get_documents(["t1", "nope", "t1"])] == ["t1", "t1"]


def test_query_result_shape_and_ranking(rag) -> None:
    results = rag.query("deep learning", top_k=2)
    assert len(results) == 2
    assert set(results[0]) == {"document_id", "content", "similarity", "metadata"}
    assert all("learning" in r["content"] for r in results)
    assert results[0]["similarity"] >= results[1]["similarity"]


def test_similarity_functions(rag) -> None:
    for fn in ("cosine", "inner_product", "euclidean", "manhattan"):
        res = rag.query("deep learning", top_k=3, similarity_function=fn, similarity_threshold=-1e9)
        assert len(res) == 3
        assert all(a["similarity"] >= b["similarity"] for a, b in zip(res, res[1:]))
    with pytest.raises(ConfigurationError):
        rag.query("x", similarity_function="jaccard")


def test_query_batch_is_batched_and_equal(rag) -> None:
    queries = ["deep learning", "python data", "tomatoes"]
    calls_before = rag.embedding_service.stats["provider_calls"]
    batch = rag.query_batch(queries, top_k=2)
    assert rag.embedding_service.stats["provider_calls"] - calls_before == 1
    assert len(batch) == 3
    for q, row in zip(queries, batch):
        assert [r["document_id"] for r in row] == [r["document_id"] for r in rag.query(q, top_k=2)]


def test_query_with_embedding(rag, hashing) -> None:
    vec = hashing.embed(["tomatoes summer gardening"])[0]
    res = rag.query_with_embedding(vec, top_k=1)
    assert res[0]["metadata"]["topic"] == "Garden"
    res_list = rag.query_with_embedding(vec.tolist(), top_k=1)
    assert res_list[0]["document_id"] == res[0]["document_id"]
    with pytest.raises(DimensionMismatchError):
        rag.query_with_embedding([0.1, 0.2], top_k=1)


def test_query_with_filters(rag) -> None:
    res = rag.query_with_filters({"topic": "DL"}, query_text="learning", top_k=5)
    assert {r["metadata"]["topic"] for r in res} == {"DL"} and len(res) == 2
    res = rag.query_with_filters({"year": {"$gte": 2021}}, top_k=10)
    assert sorted(r["metadata"]["year"] for r in res) == [2021, 2022, 2023]
    assert all(r["similarity"] is None for r in res)
    # the filter restricts before ranking: k results whenever k documents match
    res = rag.query("anything at all", top_k=4, similarity_threshold=-1.0, filters={"year": {"$lt": 2030}})
    assert len(res) == 4
    with pytest.raises(FilterError):
        rag.query_with_filters({"year": {"$gte": [1]}}, query_text="x")


def test_find_similar(rag) -> None:
    first = rag.query("neural networks", top_k=1)[0]["document_id"]
    res = rag.find_similar_documents(first, top_k=2, similarity_threshold=-1)
    assert first not in [r["document_id"] for r in res] and len(res) == 2
    with pytest.raises(DocumentNotFoundError):
        rag.find_similar_documents("missing")


def test_keyword_and_hybrid(rag) -> None:
    kw = rag.keyword_search("tomatoes", top_k=3)
    assert [r["metadata"]["topic"] for r in kw] == ["Garden"]
    hy = rag.hybrid_search("deep learning research", top_k=3)
    assert len(hy) == 3 and hy[0]["metadata"]["topic"] == "DL"
    weighted = rag.hybrid_search("deep learning research", top_k=3, strategy="weighted", alpha=0.7)
    assert len(weighted) == 3
    filtered = rag.hybrid_search("learning", top_k=5, filters={"topic": "ML"})
    assert [r["metadata"]["topic"] for r in filtered] == ["ML"]


def test_update_and_delete(rag) -> None:
    doc_id = rag.load_document("Old text about cats", metadata={"v": 1})
    assert rag.update_document(doc_id, content="New text about dogs")
    assert rag.get_document(doc_id)["content"] == "New text about dogs"
    assert rag.keyword_search("cats") == []
    assert rag.query("dogs", top_k=1)[0]["document_id"] == doc_id
    assert rag.update_document(doc_id, metadata={"v": 2})
    assert rag.get_document(doc_id)["metadata"] == {"v": 2}
    with pytest.raises(DocumentNotFoundError):
        rag.update_document("missing", content="x")
    assert rag.delete_document(doc_id) is True
    assert rag.delete_document(doc_id) is False


def test_bad_documents_store_nothing(rag) -> None:
    before = rag.get_statistics()["document_count"]
    for bad in (
        [{"content": "ok"}, {"content": ""}],
        [{"content": "ok"}, {"content": None}],
        [{"content": "ok"}, {"content": "x", "metadata": "not a dict"}],
        [{"content": "ok"}, {"content": "x", "metadata": {"bad": object()}}],
        [{"content": "ok", "id": "same"}, {"content": "x", "id": "same"}],
    ):
        with pytest.raises(ValidationError):
            rag.load_documents(bad, show_progress=False)
    assert rag.get_statistics()["document_count"] == before


def test_generate_embeddings_later(rag) -> None:
    ids = rag.load_documents([{"content": "a lonely lighthouse keeper"}], generate_embeddings=False)
    assert rag.keyword_search("lighthouse")[0]["document_id"] == ids[0]
    assert all(r["document_id"] != ids[0] for r in rag.query("lighthouse keeper", top_k=10))
    assert rag.embed_missing(show_progress=False) == 1
    assert rag.query("lighthouse keeper", top_k=1)[0]["document_id"] == ids[0]


def test_statistics_and_reembedding_cache(tmp_path, hashing) -> None:
    path = tmp_path / "c.db"
    with SQLiteRAG(path, embedding_provider=hashing) as r:
        r.load_documents(DOCS, show_progress=False)
        stats = r.get_statistics()
        assert stats["document_count"] == 5 and stats["embedding_dimension"] == 256
        assert stats["model_name"] == hashing.model_name
    # reopening without naming the embedder reuses the recorded model; unchanged text embeds nothing
    with SQLiteRAG(path) as r2:
        assert r2.embedding_service.model_name == hashing.model_name
        r2.load_documents(DOCS, show_progress=False)
        assert r2.embedding_service.stats["hits"] == 5
        assert r2.embedding_service.stats["provider_calls"] == 0


def test_dimension_mismatch_on_reopen(tmp_path, hashing) -> None:
    path = tmp_path / "d.db"
    SQLiteRAG(path, embedding_provider=hashing).close()
    with pytest.raises(DimensionMismatchError):
        SQLiteRAG(path, embedding_provider=create_embedder("hashing", dim=64))
    with pytest.raises(DimensionMismatchError):
        SQLiteRAG(tmp_path / "e.db", embedding_provider=hashing, embedding_dimension=100)
    with pytest.raises(ConfigurationError, match="was built with model"):
        SQLiteRAG(path, embedding_provider=create_embedder("hashing", dim=256, ngram_range=(1, 1)))


def test_default_embedder_with_explicit_dimension(tmp_path) -> None:
    with SQLiteRAG(tmp_path / "f.db", embedding_dimension=64) as r:
        assert r.embedding_service.dimension == 64
        assert r.embedding_service.model_name.startswith("hashing-64")


def test_custom_tables_and_columns_over_existing_tables(tmp_path, hashing) -> None:
    path = tmp_path / "legacy.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (nid TEXT PRIMARY KEY, body TEXT NOT NULL, info TEXT)")
    conn.execute("INSERT INTO notes VALUES ('n1', 'existing note about volcanoes', '{\"src\": \"old\"}')")
    conn.commit()
    conn.close()
    with SQLiteRAG(
        path,
        embedding_provider=hashing,
        documents_table="notes",
        embeddings_table="note_vectors",
        documents_id_column="nid",
        documents_content_column="body",
        documents_metadata_column="info",
        embeddings_column="vec",
    ) as r:
        assert r.keyword_search("volcanoes")[0]["document_id"] == "n1"
        assert r.embed_missing(show_progress=False) == 1
        r.load_document("fresh note about glaciers", metadata={"src": "new"}, document_id="n2")
        assert r.query("glaciers", top_k=1)[0]["document_id"] == "n2"
        assert r.query_with_filters({"src": "old"}, "volcano")[0]["document_id"] == "n1"
    cols = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(note_vectors)")}
    assert {"id", "document_id", "vec", "model_name"} <= cols


def test_sqlalchemy_engine(tmp_path, hashing) -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'sa.db'}")
    with SQLiteRAG(engine=engine, use_sqlalchemy=True, embedding_provider=hashing) as r:
        r.load_documents(DOCS, show_progress=False)
        assert r.query("tomatoes", top_k=1)[0]["metadata"]["topic"] == "Garden"
    with engine.connect() as conn:
        n = conn.execute(sqlalchemy.text("SELECT count(*) FROM documents")).scalar()
    assert n == 5
    with pytest.raises(ConfigurationError):
        SQLiteRAG(engine=sqlalchemy.create_engine("sqlite://"), use_sqlalchemy=True, embedding_provider=hashing)
    with pytest.raises(ConfigurationError):
        SQLiteRAG(use_sqlalchemy=True, embedding_provider=hashing)


def test_export_parquet_and_import_csv(tmp_path, rag, hashing) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "out.parquet"
    assert rag.export_to_parquet(out) == 5
    table = pq.read_table(out).to_pylist()
    assert {row["content"] for row in table} == {d["content"] for d in DOCS}
    assert len(table[0]["embedding"]) == 256
    # import: plain CSV (embedded on load) and CSV with embeddings
    csv_path = tmp_path / "in.csv"
    with csv_path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "content", "metadata", "lang"])
        w.writerow(["c1", "comets have icy tails", json.dumps({"k": 1}), "en"])
        w.writerow(["c2", "asteroids are rocky", "", "en"])
    with SQLiteRAG(tmp_path / "imp.db", embedding_provider=hashing) as r:
        assert r.import_from_csv(csv_path, show_progress=False) == ["c1", "c2"]
        assert r.get_document("c1")["metadata"] == {"k": 1, "lang": "en"}
        emb_csv = tmp_path / "emb.csv"
        vec = hashing.embed(["nebula"])[0]
        with emb_csv.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "content", "embedding"])
            w.writerow(["e1", "a nebula", json.dumps(vec.tolist())])
        r.import_from_csv(emb_csv, has_embeddings=True)
        assert r.query_with_embedding(vec, top_k=1)[0]["document_id"] == "e1"
        bad = tmp_path / "bad.csv"
        bad.write_text("id,content,embedding\nb1,x,[1,2]\n")
        with pytest.raises(LoaderError):
            r.import_from_csv(bad, has_embeddings=True)
        with pytest.raises(LoaderError):
            r.import_from_csv(tmp_path / "missing.csv")
        assert r.get_document("b1") is None


def test_ann_index_through_the_face(rag) -> None:
    assert rag.create_index("emb_idx", similarity_function="cosine") is True
    assert rag.get_statistics()["indexes"]["emb_idx"]["backend"] == "hnsw"
    assert rag.query("deep learning", top_k=1)[0]["metadata"]["topic"] == "DL"
    assert rag.delete_index("emb_idx") is True


def test_embedding_service_seed_api(hashing) -> None:
    svc = EmbeddingService(provider=hashing, dimension=256)
    one = asyncio.run(svc.create_embedding("hello world"))
    many = asyncio.run(svc.create_embeddings_batch(["hello world", "other"]))
    assert len(one) == 256 and len(many) == 2
    np.testing.assert_allclose(one, many[0], rtol=1e-6)


def test_models_round_trip() -> None:
    doc = SQLiteDocument(id="a", content="text", metadata={"x": [1, 2]})
    assert SQLiteDocument.from_dict(doc.to_dict()) == doc
    emb = SQLiteEmbedding(id="e", document_id="a", embedding=[0.5, -1.0, 2.0], model_name="m")
    d = emb.to_dict()
    assert isinstance(d["embedding"], bytes) and len(d["embedding"]) == 12
    back = SQLiteEmbedding.from_dict(d)
    np.testing.assert_array_equal(back.embedding, np.array([0.5, -1.0, 2.0], dtype=np.float32))
    assert back.embedding.dtype == np.float32


def test_config_validation() -> None:
    with pytest.raises(ConfigurationError):
        SQLiteConfig(db_path="x.db", batch_size=0)
    with pytest.raises(ConfigurationError):
        SQLiteConfig(db_path="x.db", embedding_dimension=-1)
    cfg = SQLiteConfig(db_path="x.db", embedding_dimension=8)
    assert "CREATE TABLE IF NOT EXISTS" in cfg.get_documents_schema()
    assert "BLOB" in cfg.get_embeddings_schema()
    with pytest.raises(ConfigurationError):
        SQLiteRAG()
