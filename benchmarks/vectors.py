"""Vector search through the ragyard SQLite store, next to raw numpy and raw hnswlib, in one run.

Usage::

    .venv/bin/python benchmarks/vectors.py [--n 100000] [--dim 384] [--queries 1000] [--single 200]
                                           [--ef 16,32,48,64,96,128] [--db FILE]

Data (seeded, synthetic, shaped like sentence embeddings): 1,000 gaussian clusters whose points vary
along a shared 32-dimensional latent basis plus a little isotropic noise, L2-normalised, searched under
cosine; the queries come from the same distribution. Exact ground truth by numpy.

Store level (everything goes through ``SQLiteStore``, file in ``benchmarks/results/``):

1. ingest: ``upsert_arrays`` in batches of ``--batch`` vectors with metadata ``{"group": i % 100,
   "tag": ...}`` and a short text; then the first search (it builds the in-memory vector cache).
2. exact search: ``search_hits_batch`` (all queries) and ``search_hits`` (one query per call, first
   ``--single`` queries, p50/p99) vs raw numpy matmul + argpartition on the same normalised matrix.
3. filtered search at 1% (``{"group": 7}``) and 10% (``{"group": {"$lt": 10}}``) selectivity, exact
   path, vs exact filtered ground truth; every query must return 10 results.
4. HNSW: ``create_index(backend="hnsw", M=16, ef_construction=200)``, then an ef_search sweep (the
   store has no public ef_search setter, see the note printed) vs raw hnswlib with identical
   parameters (same M, ef_construction, random seed, threads); then filtered search with the index.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    RESULTS_DIR,
    exact_topk,
    knn_recall,
    latencies_ms,
    machine_line,
    pct,
    print_load_warning,
    print_table,
    timed,
    usable_cpus,
    wait_for_quiet,
)

COLLECTION = "vectors"
INDEX = "vectors_hnsw"
FILTERS: dict[str, tuple[dict[str, Any], Any]] = {
    # label: (store filter, numpy predicate over the row number)
    "1% group=7": ({"group": 7}, lambda i: i % 100 == 7),
    "10% group<10": ({"group": {"$lt": 10}}, lambda i: i % 100 < 10),
}


def make_data(n: int, m: int, dim: int, seed: int, clusters: int = 1000, latent: int = 32):
    """(base (n, dim), queries (m, dim)): unit vectors from one clustered, low-rank distribution."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((clusters, dim)).astype(np.float32)
    basis = rng.standard_normal((latent, dim)).astype(np.float32) / np.sqrt(latent)

    def sample(count: int) -> np.ndarray:
        out = np.empty((count, dim), dtype=np.float32)
        for start in range(0, count, 20000):
            c = min(20000, count - start)
            x = centers[rng.integers(0, clusters, size=c)]
            x += 0.8 * rng.standard_normal((c, latent)).astype(np.float32) @ basis
            x += 0.1 * rng.standard_normal((c, dim)).astype(np.float32)
            out[start : start + c] = x
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    return sample(n), sample(m)


def hit_keys(rows: list[list[Any]], k: int) -> np.ndarray:
    """Store hits (ids are the row numbers as text) -> (m, k) int64, padded with -1."""
    out = np.full((len(rows), k), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        for j, h in enumerate(row[:k]):
            out[i, j] = int(h.id)
    return out


def qps(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=10_000, help="vectors per upsert_arrays call")
    parser.add_argument("--single", type=int, default=200, help="queries timed one per call (latency loops)")
    parser.add_argument("--ef", default="16,32,48,64,96,128", help="ef_search values of the HNSW sweep")
    parser.add_argument("--M", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--filter-ef", type=int, default=None, help="ef_search for the filtered HNSW rows")
    parser.add_argument("--db", type=Path, default=RESULTS_DIR / "vectors.db")
    parser.add_argument("--skip-hnsw", action="store_true")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for other busy processes first")
    args = parser.parse_args()
    if not args.no_wait:
        wait_for_quiet()
    k = args.k
    efs = [int(v) for v in args.ef.split(",") if v.strip()]
    single = min(args.single, args.queries)

    import hnswlib

    from ragyard.store import SQLiteStore

    t_all = time.perf_counter()
    print(f"vectors: n={args.n:,} dim={args.dim} queries={args.queries} k={k} cosine, seed {args.seed}")
    print(machine_line())
    print_load_warning()
    print(f"one-query-per-call loops use the first {single} queries; batched rows use all {args.queries}")

    t_data, (base, queries) = timed(lambda: make_data(args.n, args.queries, args.dim, args.seed))
    t_gt, truth = timed(lambda: exact_topk(queries, base, k))
    print(f"data {t_data:.1f} s, exact ground truth {t_gt:.1f} s")

    # -- ingest ------------------------------------------------------------------------------------
    args.db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(args.db) + suffix).unlink(missing_ok=True)
    import shutil

    shutil.rmtree(str(args.db) + ".indexes", ignore_errors=True)
    store = SQLiteStore(args.db)
    store.create_collection(COLLECTION, args.dim, "cosine")
    tags = ("news", "paper", "blog", "code", "mail", "wiki", "note")

    def ingest() -> None:
        for start in range(0, args.n, args.batch):
            stop = min(args.n, start + args.batch)
            rng_ids = range(start, stop)
            store.upsert_arrays(
                COLLECTION,
                base[start:stop],
                [str(i) for i in rng_ids],
                [f"synthetic document {i} about topic {i % 100}" for i in rng_ids],
                [{"group": i % 100, "tag": tags[i % len(tags)]} for i in rng_ids],
            )

    t_ingest, _ = timed(ingest)
    t_first, _ = timed(lambda: store.search_hits(COLLECTION, queries[0], k))
    t_second, _ = timed(lambda: store.search_hits(COLLECTION, queries[1], k))
    ingest_rows = [
        ["upsert_arrays", f"{args.n:,} vectors + metadata + text, {args.batch:,}/call", t_ingest, qps(args.n, t_ingest),
         ">= 20,000/s: " + ("met" if args.n / t_ingest >= 20_000 else "NOT met")],
        ["first search after ingest", "builds the in-memory exact cache", t_first, None, ""],
        ["second search", "cache warm", t_second, None, ""],
    ]  # fmt: skip
    print_table("Ingest", ["step", "what", "seconds", "vectors/s", "target"], ingest_rows, digits=3)

    # -- exact -------------------------------------------------------------------------------------
    rows: list[list[Any]] = []
    t_raw, raw_keys = timed(lambda: exact_topk(queries, base, k))
    raw_lat = latencies_ms(lambda i: exact_topk(queries[i : i + 1], base, k), single)
    rows.append(["raw numpy matmul+argpartition", "-", None, qps(len(queries), t_raw), qps(single, raw_lat.sum() / 1e3),
                 pct(raw_lat, 50), pct(raw_lat, 99), knn_recall(raw_keys, truth, k), ""])  # fmt: skip
    t_ours, hits = timed(lambda: store.search_hits_batch(COLLECTION, queries, k))
    ours_keys = hit_keys(hits, k)
    ours_lat = latencies_ms(lambda i: store.search_hits(COLLECTION, queries[i], k), single)
    ours_recall = knn_recall(ours_keys, truth, k)
    raw_single_qps = qps(single, raw_lat.sum() / 1e3)
    ours_single_qps = qps(single, ours_lat.sum() / 1e3)
    batch_ratio = qps(len(queries), t_ours) / qps(len(queries), t_raw)
    verdict = f"batch {batch_ratio:.2f}x, one {ours_single_qps / raw_single_qps:.2f}x of raw"

    rows.append(["ragyard store exact", "-", None, qps(len(queries), t_ours), ours_single_qps,
                 pct(ours_lat, 50), pct(ours_lat, 99), ours_recall, verdict])  # fmt: skip

    # -- filtered, exact path ----------------------------------------------------------------------
    row_ids = np.arange(args.n)
    filtered_truth: dict[str, np.ndarray] = {}
    for label, (_flt, pred) in FILTERS.items():
        allowed = row_ids[pred(row_ids)]
        filtered_truth[label] = allowed[exact_topk(queries, base[allowed], k)]
    frows: list[list[Any]] = []

    def filtered_rows(path: str) -> None:
        for label, (flt, pred) in FILTERS.items():
            ftruth = filtered_truth[label]
            t_b, bhits = timed(lambda flt=flt: store.search_hits_batch(COLLECTION, queries, k, filter=flt))
            results: list[list[Any]] = []

            def one(i: int, flt: dict[str, Any] = flt, results: list[list[Any]] = results) -> None:
                results.append(store.search_hits(COLLECTION, queries[i], k, filter=flt))

            lat = latencies_ms(one, single)
            keys = hit_keys(bhits, k)
            short = sum(len(r) < k for r in bhits) + sum(len(r) < k for r in results)
            wrong = sum(not all(pred(int(h.id)) for h in r) for r in bhits)
            rec = knn_recall(keys, ftruth, k)
            frows.append([path, label, qps(len(queries), t_b), qps(single, lat.sum() / 1e3), pct(lat, 50),
                          pct(lat, 99), rec, short, wrong,
                          "met" if rec >= 0.95 and short == 0 and wrong == 0 else "NOT met"])  # fmt: skip

    filtered_rows("ragyard exact")
    # raw numpy peer for filtered search: a precomputed boolean mask, matmul over the allowed rows
    for label, (_flt, pred) in FILTERS.items():
        allowed = row_ids[pred(row_ids)]
        sub = base[allowed]

        def raw_filtered(qq: np.ndarray, sub: np.ndarray = sub, allowed: np.ndarray = allowed) -> np.ndarray:
            return allowed[exact_topk(qq, sub, k)]

        t_b, keys = timed(lambda f=raw_filtered: f(queries))
        lat = latencies_ms(lambda i, f=raw_filtered: f(queries[i : i + 1]), single)
        frows.append(["raw numpy (precomputed allowed rows)", label, qps(len(queries), t_b),
                      qps(single, lat.sum() / 1e3), pct(lat, 50), pct(lat, 99),
                      knn_recall(keys, filtered_truth[label], k), 0, 0, ""])  # fmt: skip

    # -- HNSW --------------------------------------------------------------------------------------
    hrows: list[list[Any]] = []
    chosen_ef: int | None = None
    if not args.skip_hnsw:
        params = {"M": args.M, "ef_construction": args.ef_construction}
        t_build, _ = timed(lambda: store.create_index(COLLECTION, INDEX, backend="hnsw", **params))
        t_first_ann, _ = timed(lambda: store.search_hits(COLLECTION, queries[0], k))
        # The store has no public way to change ef_search after create_index (only the create_index
        # parameter, which needs a rebuild); reach the cached index to sweep it.
        cache = next(c for key, c in store._caches.items() if key[:2] == (COLLECTION, "ann"))
        ann = cache.index

        raw = hnswlib.Index(space="cosine", dim=args.dim)

        def raw_build() -> None:
            raw.init_index(max_elements=args.n, M=args.M, ef_construction=args.ef_construction, random_seed=100)
            raw.set_num_threads(usable_cpus())
            raw.add_items(base, np.arange(args.n), num_threads=usable_cpus())

        t_raw_build, _ = timed(raw_build)
        for ef in efs:
            raw.set_ef(ef)
            ann.ef_search = ef
            store.search_hits_batch(COLLECTION, queries[:10], k)  # warm
            t_rb, (rlabels, _d) = timed(lambda: raw.knn_query(queries, k=k, num_threads=usable_cpus()))
            rlat = latencies_ms(lambda i: raw.knn_query(queries[i : i + 1], k=k, num_threads=1), single)
            t_ob, ohits = timed(lambda: store.search_hits_batch(COLLECTION, queries, k))
            olat = latencies_ms(lambda i: store.search_hits(COLLECTION, queries[i], k), single)
            r_rec = knn_recall(rlabels.astype(np.int64), truth, k)
            o_rec = knn_recall(hit_keys(ohits, k), truth, k)
            r1, o1 = qps(single, rlat.sum() / 1e3), qps(single, olat.sum() / 1e3)
            rb, ob = qps(len(queries), t_rb), qps(len(queries), t_ob)
            hrows.append(["raw hnswlib", ef, t_raw_build, rb, r1, pct(rlat, 50), pct(rlat, 99), r_rec, ""])
            hrows.append(["ragyard store hnsw", ef, t_build, ob, o1, pct(olat, 50), pct(olat, 99), o_rec,
                          f"one {o1 / r1:.2f}x, batch {ob / rb:.2f}x of raw"])  # fmt: skip
            if chosen_ef is None and o_rec >= 0.95:
                chosen_ef = ef
        print(f"\nHNSW build: store.create_index {t_build:.1f} s (reads vectors from SQLite, builds, saves), "
              f"first search after it {t_first_ann * 1e3:.1f} ms; raw hnswlib build {t_raw_build:.1f} s")  # fmt: skip
        filter_ef = args.filter_ef or chosen_ef or max(efs)
        ann.ef_search = filter_ef
        filtered_rows(f"ragyard hnsw (ef={filter_ef})")
        # raw hnswlib with a Python filter callback, for the 10% case (1% would need a huge ef)
        for label, (_flt, pred) in FILTERS.items():
            raw.set_ef(filter_ef)

            def raw_f(qq: np.ndarray, pred: Any = pred) -> np.ndarray:
                labels, _ = raw.knn_query(qq, k=k, num_threads=1, filter=lambda key: bool(pred(key)))
                return labels.astype(np.int64)

            try:
                t_b, keys = timed(lambda f=raw_f: f(queries))
                lat = latencies_ms(lambda i, f=raw_f: f(queries[i : i + 1]), single)
                frows.append([f"raw hnswlib filter callback (ef={filter_ef})", label, qps(len(queries), t_b),
                              qps(single, lat.sum() / 1e3), pct(lat, 50), pct(lat, 99),
                              knn_recall(keys, filtered_truth[label], k), 0, 0, ""])  # fmt: skip
            except RuntimeError as exc:  # hnswlib cannot fill k results for some query
                frows.append([f"raw hnswlib filter callback (ef={filter_ef})", label, None, None, None, None, None,
                              "error", 0, str(exc)[:40]])  # fmt: skip
        del raw

    # -- report ------------------------------------------------------------------------------------
    head = ["system", "ef_search", "build s", "q/s batched", "q/s one per call", "p50 ms", "p99 ms", "recall@10",
            "vs raw"]  # fmt: skip
    print_table(f"Exact search, {args.n:,} x {args.dim}, top {k}", head, rows)
    if hrows:
        print_table(f"HNSW (M={args.M}, ef_construction={args.ef_construction}), top {k}", head, hrows)
        print("note: SQLiteStore has no public setter for ef_search: create_index(..., ef_search=N) fixes it at")
        print("      build time; this sweep sets it on the store's cached index (store._caches[...].index).")
        if chosen_ef is None:
            print("no swept ef_search reached recall@10 >= 0.95 for the store")
        else:
            print(f"smallest swept ef_search with store recall@10 >= 0.95: {chosen_ef}")
    print_table(
        f"Filtered search, top {k} (target: recall@10 >= 0.95 and 10 results for every query)",
        ["path", "filter", "q/s batched", "q/s one per call", "p50 ms", "p99 ms", "recall@10", "short rows",
         "wrong rows", "target"],
        frows,
    )  # fmt: skip
    store.close()
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
