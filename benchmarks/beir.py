"""BEIR SciFact through the ragyard SQLite store, next to the raw libraries doing the same job.

Usage::

    .venv/bin/python benchmarks/beir.py [--modes keyword,dense,hybrid] [--reuse]
                                        [--limit-docs N] [--limit-queries N] [--data DIR] [--db FILE]

Data: ``<data>/scifact`` in BEIR layout (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``; the
300 test queries). Documents are indexed as ``title + "\\n" + text`` (the BEIR convention) into a
SQLite file (default ``benchmarks/results/scifact.db``, recreated unless ``--reuse``) with the
offline all-MiniLM-L6-v2 embedder; the embedding cache (``SQLiteEmbeddingCache``) lives in the same
file, so ``--reuse`` runs skip the model. Index time is reported split into embedding (model + cache
writes) and insert (documents, embeddings, FTS5 index, one transaction per batch); the first dense
search, which builds the in-memory vector cache, is timed separately.

Modes (top 100 retrieved per query; nDCG@10 and recall@100 computed in ``_common``):

- keyword: ``store.keyword_search_hits`` (SQLite FTS5 ``bm25()``, porter stemming, OR query without
  stop words); peer: ``bm25s`` (Lucene BM25, k1=1.5, b=0.75, English stop words, PyStemmer's
  English Snowball stemmer when installed).
- dense: MiniLM query embedding + ``store.search_hits`` (exact search), one query per call, and
  ``EmbeddingService.embed`` + ``store.search_hits_batch`` for all queries at once; peer: raw
  ``SentenceTransformer.encode`` of the corpus and the queries + numpy cosine top-k.
- hybrid: ``store.hybrid_search_hits`` (RRF, k=60, 100 candidates from each side).

Queries/s always include the query embedding for dense and hybrid (the "search only" column leaves
it out). ``--limit-docs`` keeps the documents relevant to the selected queries plus the first ones
of the corpus, so a smoke run still has something to find.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DATA_DIR,
    RESULTS_DIR,
    machine_line,
    ndcg_at_k,
    print_load_warning,
    print_table,
    recall_at_k,
    timed,
    wait_for_quiet,
)

COLLECTION = "scifact"
TARGETS = {"keyword": 0.66, "dense": 0.64, "hybrid": 0.69}
MODES = ("keyword", "dense", "hybrid")


# -- data ------------------------------------------------------------------------------------------
def load_scifact(
    root: Path, limit_docs: int | None, limit_queries: int | None
) -> tuple[list[str], list[str], dict[str, str], dict[str, dict[str, int]]]:
    """``(doc ids, doc contents, {query id: text}, qrels)`` for the test split."""
    qrels: dict[str, dict[str, int]] = {}
    with (root / "qrels" / "test.tsv").open(encoding="utf-8") as fh:
        header = fh.readline().split()
        if header[:2] != ["query-id", "corpus-id"]:
            raise SystemExit(f"unexpected qrels header {header}")
        for line in fh:
            if line.strip():
                qid, did, score = line.split("\t")
                qrels.setdefault(qid, {})[did] = int(score)
    if limit_queries:
        qrels = dict(list(qrels.items())[:limit_queries])
    queries: dict[str, str] = {}
    with (root / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            if q["_id"] in qrels:
                queries[q["_id"]] = q["text"]
    missing = set(qrels) - set(queries)
    if missing:
        raise SystemExit(f"{len(missing)} test queries are missing from queries.jsonl")
    queries = {qid: queries[qid] for qid in qrels}  # qrels order
    needed = {d for rels in qrels.values() for d in rels} if limit_docs else set()
    ids: list[str] = []
    contents: list[str] = []
    with (root / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            if limit_docs and len(ids) >= limit_docs and doc["_id"] not in needed:
                continue
            ids.append(doc["_id"])
            contents.append(f"{doc.get('title') or ''}\n{doc.get('text') or ''}".strip())
    return ids, contents, queries, qrels


# -- ragyard ---------------------------------------------------------------------------------------
def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.rmtree(str(path) + ".indexes", ignore_errors=True)


def build_store(args: argparse.Namespace, ids: list[str], contents: list[str]) -> tuple[Any, Any, dict[str, Any]]:
    """Open (or create and fill) the store; returns ``(store, embedding service, timings)``."""
    from ragyard.embed import EmbeddingService, SQLiteEmbeddingCache, create_embedder
    from ragyard.store import SQLiteStore

    db: Path = args.db
    db.parent.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        remove_db(db)
    embedder = create_embedder("sentence", batch_size=args.batch_size)
    load_s, _ = timed(lambda: embedder.load())
    store = SQLiteStore(db)
    cache = SQLiteEmbeddingCache(db)
    service = EmbeddingService(embedder, cache=cache)
    info: dict[str, Any] = {"model_load_s": load_s, "reused": False}
    if store.has_collection(COLLECTION):
        if store.count(COLLECTION) == len(ids) and set(store.filter_ids(COLLECTION, None)) == set(ids):
            info["reused"] = True
            return store, service, info
        store.delete_collection(COLLECTION)
    embed_s, vectors = timed(lambda: service.embed(contents))
    info.update(embed_s=embed_s, cache_hits=service.stats["hits"], cache_misses=service.stats["misses"])
    store.create_collection(COLLECTION, embedder.dim, "cosine", model_name=embedder.model_name)

    def insert() -> None:
        for start in range(0, len(ids), args.insert_batch):
            stop = start + args.insert_batch
            store.upsert_arrays(
                COLLECTION,
                vectors[start:stop],
                ids[start:stop],
                contents[start:stop],
                [{"source": "scifact"}] * len(ids[start:stop]),
                model_name=embedder.model_name,
            )

    info["insert_s"], _ = timed(insert)
    return store, service, info


def run_keyword(store: Any, queries: dict[str, str], k: int) -> tuple[dict[str, list[str]], float]:
    run: dict[str, list[str]] = {}
    start = time.perf_counter()
    for qid, text in queries.items():
        run[qid] = [h.id for h in store.keyword_search_hits(COLLECTION, text, k)]
    return run, time.perf_counter() - start


def run_dense_single(
    store: Any, service: Any, queries: dict[str, str], k: int
) -> tuple[dict[str, list[str]], float, float]:
    """One query per call: ``(run, total seconds, seconds spent in search only)``."""
    run: dict[str, list[str]] = {}
    search = 0.0
    start = time.perf_counter()
    for qid, text in queries.items():
        vec = service.embed_query(text)
        t0 = time.perf_counter()
        run[qid] = [h.id for h in store.search_hits(COLLECTION, vec, k)]
        search += time.perf_counter() - t0
    return run, time.perf_counter() - start, search


def run_dense_batch(
    store: Any, service: Any, queries: dict[str, str], k: int
) -> tuple[dict[str, list[str]], float, float]:
    start = time.perf_counter()
    vecs = service.embed(list(queries.values()))
    t0 = time.perf_counter()
    rows = store.search_hits_batch(COLLECTION, vecs, k)
    search = time.perf_counter() - t0
    total = time.perf_counter() - start
    return {qid: [h.id for h in row] for qid, row in zip(queries, rows)}, total, search


def run_hybrid(
    store: Any, service: Any, queries: dict[str, str], k: int
) -> tuple[dict[str, list[str]], float, float]:
    run: dict[str, list[str]] = {}
    search = 0.0
    start = time.perf_counter()
    for qid, text in queries.items():
        vec = service.embed_query(text)
        t0 = time.perf_counter()
        run[qid] = [h.id for h in store.hybrid_search_hits(COLLECTION, vec, text, k)]
        search += time.perf_counter() - t0
    return run, time.perf_counter() - start, search


# -- raw peers -------------------------------------------------------------------------------------
def bm25s_peer(
    ids: list[str], contents: list[str], queries: dict[str, str], k: int
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    import bm25s

    try:
        import Stemmer

        stemmer: Any = Stemmer.Stemmer("english")
        stem_name = "PyStemmer english (Snowball)"
    except ImportError:
        stemmer = None
        stem_name = "none (PyStemmer not installed)"
    index_s, retriever = timed(
        lambda: _bm25s_index(bm25s, contents, stemmer)  # tokenise + index
    )
    texts = list(queries.values())
    kk = min(k, len(ids))

    def one_by_one() -> list[np.ndarray]:
        out = []
        for text in texts:
            toks = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
            docs, _ = retriever.retrieve(toks, k=kk, show_progress=False)
            out.append(docs[0])
        return out

    def batched() -> np.ndarray:
        toks = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
        docs, _ = retriever.retrieve(toks, k=kk, show_progress=False)
        return docs

    single_s, rows = timed(one_by_one)
    batch_s, _ = timed(batched)
    run = {qid: [ids[int(i)] for i in row] for qid, row in zip(queries, rows)}
    return run, {"index_s": index_s, "single_s": single_s, "batch_s": batch_s, "stemmer": stem_name}


def _bm25s_index(bm25s: Any, contents: list[str], stemmer: Any) -> Any:
    tokens = bm25s.tokenize(contents, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()  # method="lucene", k1=1.5, b=0.75
    retriever.index(tokens, show_progress=False)
    return retriever


def st_peer(
    ids: list[str], contents: list[str], queries: dict[str, str], k: int, batch_size: int
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    from sentence_transformers import SentenceTransformer

    from ragyard.embed.sentence import default_model_path

    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    model = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
    model.encode(["warm up"], show_progress_bar=False)

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32)

    index_s, corpus = timed(lambda: encode(contents))
    texts = list(queries.values())
    kk = min(k, len(ids))

    def topk(q: np.ndarray) -> np.ndarray:
        sims = q @ corpus.T
        part = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        vals = np.take_along_axis(sims, part, axis=1)
        return np.take_along_axis(part, np.argsort(-vals, axis=1), axis=1)

    rows: list[np.ndarray] = []
    search = 0.0
    start = time.perf_counter()
    for text in texts:
        q = encode([text])
        t0 = time.perf_counter()
        rows.append(topk(q)[0])
        search += time.perf_counter() - t0
    single_s = time.perf_counter() - start
    start = time.perf_counter()
    qs = encode(texts)
    t0 = time.perf_counter()
    topk(qs)
    batch_search = time.perf_counter() - t0
    batch_s = time.perf_counter() - start
    run = {qid: [ids[int(i)] for i in row] for qid, row in zip(queries, rows)}
    return run, {
        "index_s": index_s,
        "single_s": single_s,
        "single_search_s": search,
        "batch_s": batch_s,
        "batch_search_s": batch_search,
    }


# -- main ------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder holding scifact/ (default %(default)s)")
    parser.add_argument("--db", type=Path, default=RESULTS_DIR / "scifact.db")
    parser.add_argument("--reuse", action="store_true", help="reuse the database (and its embedding cache)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--limit-docs", type=int, default=None)
    parser.add_argument("--limit-queries", type=int, default=None)
    parser.add_argument("--k", type=int, default=100, help="documents retrieved per query")
    parser.add_argument("--batch-size", type=int, default=32, help="texts per model call")
    parser.add_argument("--insert-batch", type=int, default=1000, help="documents per upsert transaction")
    parser.add_argument("--no-peers", action="store_true", help="skip bm25s and raw sentence-transformers")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for other busy processes first")
    args = parser.parse_args()
    if not args.no_wait:
        wait_for_quiet()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")

    root = args.data / "scifact" if (args.data / "scifact").is_dir() else args.data
    ids, contents, queries, qrels = load_scifact(root, args.limit_docs, args.limit_queries)
    print(f"SciFact: {len(ids):,} documents, {len(queries)} test queries, {sum(map(len, qrels.values()))} qrels")
    print(machine_line())
    print_load_warning()

    import torch

    store, service, info = build_store(args, ids, contents)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; database {args.db}")
    from ragyard.embed import EmbeddingService

    # queries are embedded without the cache: re-runs must not serve query vectors from disk
    qservice = EmbeddingService(service.provider)
    qservice.embed_query("warm up")

    k = args.k
    results: list[list[Any]] = []
    extra: dict[str, Any] = {}
    nq = len(queries)

    def add(mode: str, system: str, run: dict[str, list[str]], single: float | None, batch: float | None,
            search_only: float | None) -> None:  # fmt: skip
        nd = ndcg_at_k(run, qrels, 10)
        target = TARGETS[mode] if system == "ragyard" else None
        results.append(
            [
                mode,
                system,
                nd,
                recall_at_k(run, qrels, 100),
                nq / single if single else None,
                nq / batch if batch else None,
                nq / search_only if search_only else None,
                f">= {target:.2f}: {'met' if nd >= target else 'NOT met'}" if target is not None else "",
            ]
        )

    if "dense" in modes or "hybrid" in modes:
        probe = qservice.embed_query(next(iter(queries.values())))
        extra["cache_build_s"], _ = timed(lambda: store.search_hits(COLLECTION, probe, 1))

    if "keyword" in modes:
        run, secs = run_keyword(store, queries, k)
        add("keyword", "ragyard", run, secs, None, secs)
        if not args.no_peers:
            prun, pinfo = bm25s_peer(ids, contents, queries, k)
            extra["bm25s"] = pinfo
            add("keyword", "bm25s", prun, pinfo["single_s"], pinfo["batch_s"], None)
    if "dense" in modes:
        run, secs, search = run_dense_single(store, qservice, queries, k)
        brun, bsecs, bsearch = run_dense_batch(store, qservice, queries, k)
        same = sum(run[q][:10] == brun[q][:10] for q in queries)
        extra["dense_batch_search_qps"] = nq / bsearch
        add("dense", "ragyard", run, secs, bsecs, search)
        if same != nq:
            print(f"note: batched and single dense top-10 differ for {nq - same} queries")
        if not args.no_peers:
            prun, pinfo = st_peer(ids, contents, queries, k, args.batch_size)
            extra["st"] = pinfo
            add("dense", "raw sentence-transformers + numpy", prun, pinfo["single_s"], pinfo["batch_s"],
                pinfo["single_search_s"])  # fmt: skip
    if "hybrid" in modes:
        run, secs, search = run_hybrid(store, qservice, queries, k)
        add("hybrid", "ragyard", run, secs, None, search)

    # -- report ------------------------------------------------------------------------------------
    rows = []
    if info["reused"]:
        rows.append(["ragyard (reused database)", "-", "-", "-", "-"])
    else:
        cold = "cold" if info.get("cache_hits", 0) == 0 else f"{info['cache_hits']} cached"
        total = info["embed_s"] + info["insert_s"]
        rows.append(
            [
                f"ragyard: embed ({cold}) + insert",
                info["embed_s"],
                info["insert_s"],
                total,
                len(ids) / total,
            ]
        )
    if "st" in extra:
        st = extra["st"]
        rows.append(["raw sentence-transformers encode", st["index_s"], None, st["index_s"], len(ids) / st["index_s"]])
    if "bm25s" in extra:
        b = extra["bm25s"]
        rows.append(["bm25s tokenise + index", None, b["index_s"], b["index_s"], len(ids) / b["index_s"]])
    print_table(
        f"Indexing {len(ids):,} documents (model load {info['model_load_s']:.1f} s, not included)",
        ["system", "embed s", "insert/index s", "total s", "docs/s"],
        rows,
        digits=2,
    )
    if "cache_build_s" in extra:
        print(f"\nfirst dense search after opening (builds the in-memory vector cache): {extra['cache_build_s']:.3f} s")

    print_table(
        f"Retrieval quality and speed, {nq} queries, top {k}",
        ["mode", "system", "nDCG@10", "recall@100", "q/s one by one", "q/s batched", "q/s search only", "target"],
        results,
    )
    if "dense_batch_search_qps" in extra:
        print(f"\nragyard dense search_hits_batch (search only, all queries in one call): "
              f"{extra['dense_batch_search_qps']:,.0f} q/s")  # fmt: skip
    if "bm25s" in extra:
        print(f"bm25s: method=lucene k1=1.5 b=0.75, stopwords='en', stemmer: {extra['bm25s']['stemmer']}")
    print("q/s one by one: a loop issuing one query per call, query embedding included (dense, hybrid);")
    print("q/s batched: all queries in one call (embedding batched too); search only: embedding time excluded.")
    store.close()


if __name__ == "__main__":
    main()
