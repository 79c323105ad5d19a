"""ragyard's vector indexes next to the raw libraries they wrap, on the same data in the same run.

Usage::

    .venv/bin/python benchmarks/indexes.py [--n 100000] [--dim 384] [--queries 1000] [--k 10]

Data: a seeded gaussian mixture with low intrinsic dimension (cluster centres plus a 24-d latent
offset and a little isotropic noise), L2-normalised and searched under cosine, like sentence
embeddings. Ground truth: exact top-k by numpy (float32). Reported:

- exact: ragyard ``ExactIndex`` vs a raw numpy ``Q @ X.T`` + ``argpartition`` (blocked the same way);
- hnsw: ragyard ``HNSWIndex`` vs raw ``hnswlib`` with the same M / ef_construction / ef_search;
- faiss hnsw: ragyard ``FaissIndex(index_type="hnsw")`` vs raw ``faiss.IndexHNSWFlat``;
- filtered search (``allowed`` = a random 1% and 10% of the keys) for exact, hnsw and faiss hnsw,
  recall measured against exact search over the allowed keys.

Each query timing is given two ways: *one query per call* (a loop issuing one query at a time, as a
server answering requests does) and *batched* (every query in one call; the libraries use their own
threads). Build times include everything the wrapper does (key bookkeeping, normalisation, side
copies). The exact index's one-query-per-call figures use the first ``--single`` queries only.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Row = dict[str, Any]


def make_data(n: int, m: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(base (n, dim), queries (m, dim)) unit vectors from one clustered, low-rank distribution."""
    rng = np.random.default_rng(seed)
    clusters, latent = 200, 24
    centers = rng.standard_normal((clusters, dim)).astype(np.float32)
    basis = rng.standard_normal((latent, dim)).astype(np.float32) / np.sqrt(latent)

    def sample(count: int) -> np.ndarray:
        out = np.empty((count, dim), dtype=np.float32)
        for start in range(0, count, 20000):
            c = min(20000, count - start)
            x = centers[rng.integers(0, clusters, size=c)]
            x += 0.8 * rng.standard_normal((c, latent)).astype(np.float32) @ basis
            x += 0.05 * rng.standard_normal((c, dim)).astype(np.float32)
            out[start : start + c] = x
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    return sample(n), sample(m)


def raw_numpy_knn(q: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """Baseline: cosine top-k of unit vectors by matmul + argpartition, blocked at 256 MB."""
    step = max(1, (256 * 1024 * 1024) // (x.shape[0] * 4))
    out = np.empty((q.shape[0], k), dtype=np.int64)
    for s in range(0, q.shape[0], step):
        sims = q[s : s + step] @ x.T
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sims, part, axis=1)
        out[s : s + step] = np.take_along_axis(part, np.argsort(-vals, axis=1), axis=1)
    return out


def recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth))
    return hits / (k * found.shape[0])


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_queries(
    search: Callable[[np.ndarray], np.ndarray], q: np.ndarray, single: int, repeat: int = 1
) -> tuple[float, float, Any]:
    """(batched queries/s, one-per-call queries/s, batched result); best of ``repeat`` runs."""
    return compare({"x": search}, q, single, repeat)["x"]


def compare(
    searches: dict[str, Callable[[np.ndarray], np.ndarray]], q: np.ndarray, single: int, repeat: int = 1
) -> dict[str, tuple[float, float, Any]]:
    """Time several search functions on the same queries, alternating their order between rounds
    (so background load and cache warmth do not favour one); per function the best of ``repeat``
    rounds: (batched queries/s, one-per-call queries/s, batched result)."""
    names = list(searches)
    best = {name: [float("inf"), float("inf"), None] for name in names}
    qs = q[:single]
    for fn in searches.values():
        fn(q[:1])  # warm-up
    for r in range(repeat):
        for name in names if r % 2 == 0 else names[::-1]:
            fn = searches[name]
            tb, res = timed(lambda fn=fn: fn(q))
            ts, _ = timed(lambda fn=fn: [fn(qs[i : i + 1]) for i in range(qs.shape[0])])
            entry = best[name]
            entry[0], entry[1], entry[2] = min(entry[0], tb), min(entry[1], ts), res
    return {name: (q.shape[0] / b[0], qs.shape[0] / b[1], b[2]) for name, b in best.items()}


def paired_latency(
    ours: Callable[[np.ndarray], Any], raw: Callable[[np.ndarray], Any], q: np.ndarray, rounds: int = 3
) -> tuple[float, float]:
    """Median µs per single query of ``raw`` and ``ours``, timed back to back on each query with the
    order alternating (so cache warmth and background load hit both alike): the wrapper's overhead."""
    pc = time.perf_counter_ns
    t_raw: list[int] = []
    t_ours: list[int] = []
    for r in range(rounds):
        for i in range(q.shape[0]):
            qq = q[i : i + 1]
            first, second = (raw, ours) if (i + r) % 2 else (ours, raw)
            t0 = pc()
            first(qq)
            t1 = pc()
            second(qq)
            t2 = pc()
            a, b = t1 - t0, t2 - t1
            (t_raw if first is raw else t_ours).append(a)
            (t_ours if first is raw else t_raw).append(b)
    return float(np.median(t_raw)) / 1e3, float(np.median(t_ours)) / 1e3


def fmt_table(rows: list[Row], cols: list[tuple[str, str]]) -> str:
    head = [title for _key, title in cols]
    body = [[_fmt(r.get(key)) for key, _t in cols] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    out = [line, sep]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(b, widths)) + " |" for b in body]
    return "\n".join(out)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}" if v < 10 else f"{v:,.0f}"
    return str(v)


def _overhead(ours: Callable[..., Any], raw: Callable[[np.ndarray], Any], q: np.ndarray, k: int) -> str:
    t_raw, t_ours = paired_latency(lambda qq: ours(qq, k), raw, q)
    return f"{t_raw:.0f} → {t_ours:.0f} ({t_raw / t_ours:.2f}x)"


COLS = [
    ("impl", "implementation"),
    ("param", "setting"),
    ("build", "build s"),
    ("qps_single", "q/s one per call"),
    ("qps_batch", "q/s batched"),
    ("recall", "recall@k"),
    ("ratio", "ours/raw q/s (one, batch)"),
    ("same", "µs/query raw → ours, same index (paired median)"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--single", type=int, default=100, help="queries timed one per call for exact search")
    parser.add_argument("--ef", default="16,32,64,128", help="ef_search values for the hnsw rows")
    parser.add_argument("--M", type=int, default=16, help="hnswlib M")
    parser.add_argument("--faiss-M", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="ANN query timings: best of this many rounds")
    parser.add_argument("--skip", default="", help="comma list of sections to skip: exact,hnsw,faiss,filtered")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    efs = [int(v) for v in args.ef.split(",")]
    k = args.k

    from ragyard.index import make_index

    print(f"# ragyard index benchmark: n={args.n} dim={args.dim} queries={args.queries} k={k} metric=cosine")
    print(
        f"# {platform.platform()}, python {platform.python_version()}, numpy {np.__version__}, "
        f"cpus={len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}"
    )
    t0 = time.perf_counter()
    x, q = make_data(args.n, args.queries, args.dim, args.seed)
    keys = np.arange(args.n, dtype=np.int64)
    t_gt, truth = timed(lambda: raw_numpy_knn(q, x, k))
    print(f"# data {time.perf_counter() - t0 - t_gt:.1f}s, ground truth {t_gt:.1f}s")
    rows: list[Row] = []

    # -- exact -----------------------------------------------------------------------------------
    if "exact" not in skip:
        exact = make_index(args.dim, backend="exact", metric="cosine")
        t_build, _ = timed(lambda: exact.add_items(keys, x))
        res = compare(
            {"raw": lambda qq: raw_numpy_knn(qq, x, k), "ours": lambda qq: exact.search_items(qq, k)[0]},
            q,
            args.single,
            args.repeat,
        )
        raw, ours = res["raw"], res["ours"]
        rows.append(
            {
                "impl": "raw numpy matmul+argpartition",
                "param": "-",
                "qps_single": raw[1],
                "qps_batch": raw[0],
                "recall": recall(raw[2], truth, k),
            }
        )
        rows.append(
            {
                "impl": "ragyard exact",
                "param": "-",
                "build": t_build,
                "qps_single": ours[1],
                "qps_batch": ours[0],
                "recall": recall(ours[2], truth, k),
                "ratio": f"{ours[1] / raw[1]:.2f}, {ours[0] / raw[0]:.2f}",
            }
        )
        print(fmt_table(rows[-2:], COLS[:-1]), flush=True)
        t_raw, t_ours = paired_latency(
            lambda qq: exact.search_items(qq, k), lambda qq: raw_numpy_knn(qq, x, k), q[: args.single], rounds=1
        )
        print(f"# exact, one query per call, paired median: raw {t_raw / 1e3:.2f} ms → ours {t_ours / 1e3:.2f} ms")
    else:
        exact = None

    # -- hnsw ------------------------------------------------------------------------------------
    hnsw = None
    if "hnsw" not in skip:
        import hnswlib

        p = hnswlib.Index(space="cosine", dim=args.dim)
        t_raw_build, _ = timed(
            lambda: (
                p.init_index(max_elements=args.n, M=args.M, ef_construction=args.ef_construction, random_seed=100),
                p.add_items(x, keys),
            )
        )
        hnsw = make_index(args.dim, backend="hnsw", metric="cosine", M=args.M, ef_construction=args.ef_construction)
        t_build, _ = timed(lambda: hnsw.add_items(keys, x))
        section: list[Row] = []
        for ef in efs:
            p.set_ef(ef)
            hnsw.ef_search = ef
            inner = hnsw._index  # the hnswlib index inside ours: isolates the wrapper's own cost
            res = compare(
                {"raw": lambda qq: p.knn_query(qq, k=k)[0], "ours": lambda qq: hnsw.search_items(qq, k)[0]},
                q,
                q.shape[0],
                args.repeat,
            )
            raw, ours = res["raw"], res["ours"]
            section.append(
                {
                    "impl": "raw hnswlib",
                    "param": f"M={args.M} ef={ef}",
                    "build": t_raw_build,
                    "qps_single": raw[1],
                    "qps_batch": raw[0],
                    "recall": recall(raw[2], truth, k),
                }
            )
            section.append(
                {
                    "impl": "ragyard hnsw",
                    "param": f"M={args.M} ef={ef}",
                    "build": t_build,
                    "qps_single": ours[1],
                    "qps_batch": ours[0],
                    "recall": recall(ours[2], truth, k),
                    "ratio": f"{ours[1] / raw[1]:.2f}, {ours[0] / raw[0]:.2f}",
                    "same": _overhead(hnsw.search_items, lambda qq, ix=inner: ix.knn_query(qq, k=k), q, k),
                }
            )
        del p
        print(fmt_table(section, COLS), flush=True)
        rows += section

    # -- faiss hnsw ------------------------------------------------------------------------------
    fh = None
    if "faiss" not in skip:
        import faiss

        fp = faiss.IndexHNSWFlat(args.dim, args.faiss_M, faiss.METRIC_INNER_PRODUCT)
        fp.hnsw.efConstruction = args.ef_construction
        t_raw_build, _ = timed(lambda: fp.add(x))
        fh = make_index(
            args.dim,
            backend="faiss",
            metric="cosine",
            index_type="hnsw",
            M=args.faiss_M,
            ef_construction=args.ef_construction,
        )
        t_build, _ = timed(lambda: fh.add_items(keys, x))
        section = []
        for ef in efs:
            fp.hnsw.efSearch = ef
            fh.ef_search = ef
            inner = fh._index  # the faiss index inside ours (same graph, unit vectors)
            res = compare(
                {"raw": lambda qq: fp.search(qq, k)[1], "ours": lambda qq: fh.search_items(qq, k)[0]},
                q,
                q.shape[0],
                args.repeat,
            )
            raw, ours = res["raw"], res["ours"]
            section.append(
                {
                    "impl": "raw faiss IndexHNSWFlat",
                    "param": f"M={args.faiss_M} ef={ef}",
                    "build": t_raw_build,
                    "qps_single": raw[1],
                    "qps_batch": raw[0],
                    "recall": recall(raw[2], truth, k),
                }
            )
            section.append(
                {
                    "impl": "ragyard faiss hnsw",
                    "param": f"M={args.faiss_M} ef={ef}",
                    "build": t_build,
                    "qps_single": ours[1],
                    "qps_batch": ours[0],
                    "recall": recall(ours[2], truth, k),
                    "ratio": f"{ours[1] / raw[1]:.2f}, {ours[0] / raw[0]:.2f}",
                    "same": _overhead(fh.search_items, lambda qq, ix=inner: ix.search(qq, k), q, k),
                }
            )
        del fp
        print(fmt_table(section, COLS), flush=True)
        rows += section

    # -- filtered ----------------------------------------------------------------------------------
    if "filtered" not in skip:
        rng = np.random.default_rng(args.seed + 1)
        section = []
        for frac in (0.01, 0.10):
            allowed = np.sort(rng.choice(keys, size=max(k, int(frac * args.n)), replace=False))
            sub_truth = allowed[raw_numpy_knn(q, x[allowed], k)]
            single = min(args.single, q.shape[0])
            for label, index in (
                ("ragyard exact", exact),
                ("ragyard hnsw (ef=64)", hnsw),
                ("ragyard faiss hnsw (ef=64)", fh),
            ):
                if index is None:
                    continue
                if hasattr(index, "ef_search"):
                    index.ef_search = 64
                res = run_queries(lambda qq, ix=index, al=allowed: ix.search_items(qq, k, allowed=al)[0], q, single)
                section.append(
                    {
                        "impl": label,
                        "param": f"allowed={frac:.0%} ({allowed.shape[0]})",
                        "qps_single": res[1],
                        "qps_batch": res[0],
                        "recall": recall(res[2], sub_truth, k),
                    }
                )
        print(fmt_table(section, COLS[:2] + COLS[3:6]), flush=True)
        rows += section

    print(f"# total {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
