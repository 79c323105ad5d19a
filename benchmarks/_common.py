"""Helpers shared by the store-level benchmarks (``beir.py``, ``vectors.py``).

Data paths, timing, machine description, table printing and the retrieval metrics, computed here in
numpy / pure Python so the benchmarks need no evaluation package:

- :func:`ndcg_at_k` follows trec_eval's ``ndcg_cut`` (what pytrec_eval and BEIR report): gain = the
  qrel relevance grade, discount ``log2(rank + 1)``, ideal DCG from that query's own qrels, mean over
  every query that has qrels (a query with no results scores 0).
- :func:`recall_at_k` is BEIR's recall: relevant documents (grade > 0) found in the top k divided by
  the number of relevant documents, averaged over the queries.
- :func:`knn_recall` is the ANN recall@k: overlap of the returned keys with the exact top k.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

#: ``/work/shared/data`` when this repository lives at ``/work/main``
DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: git-ignored output folder of the benchmarks
RESULTS_DIR = Path(__file__).resolve().parent / "results"


# -- timing ----------------------------------------------------------------------------------------
def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """``(seconds, fn())`` measured with ``perf_counter``."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class Stopwatch:
    """Accumulates seconds over several ``with watch:`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start


def latencies_ms(fn: Callable[[int], Any], count: int) -> np.ndarray:
    """Run ``fn(i)`` for ``i < count`` and return each call's latency in milliseconds."""
    out = np.empty(count, dtype=np.float64)
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        out[i] = (time.perf_counter() - start) * 1000.0
    return out


def pct(values: np.ndarray, q: float) -> float:
    """The ``q``-th percentile of ``values`` (nan for an empty array)."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


# -- machine ---------------------------------------------------------------------------------------
def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def other_heavy_processes() -> list[str]:
    """Command lines of other processes using a lot of CPU right now (pytest, benchmarks, ...)."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pid,pcpu,args", "--sort=-pcpu", "--no-headers"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    me = os.getpid()
    busy = []
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 3:
            continue
        pid, cpu, args = int(parts[0]), float(parts[1]), parts[2]
        if pid != me and cpu >= 20.0 and "python" in args:
            busy.append(f"{pid} {cpu:.0f}% {args[:100]}")
    return busy


def machine_line() -> str:
    """One line describing the machine and its load at this moment."""
    import numpy

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    cpu = platform.processor() or platform.machine()
    return (
        f"{usable_cpus()} CPUs ({cpu}), Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"load average {load}"
    )


def wait_for_quiet(max_wait: float = 600.0, poll: float = 30.0) -> None:
    """Wait (up to ``max_wait`` seconds, polling every ``poll``) until no other busy Python process runs."""
    deadline = time.monotonic() + max_wait
    busy = other_heavy_processes()
    while busy and time.monotonic() < deadline:
        print(f"waiting for other busy processes to finish: {'; '.join(busy)}", file=sys.stderr, flush=True)
        time.sleep(poll)
        busy = other_heavy_processes()


def print_load_warning() -> None:
    """Say so when other heavy processes share the machine (their load distorts timings)."""
    busy = other_heavy_processes()
    if busy:
        print("WARNING: other busy processes while benchmarking (timings are pessimistic):", file=sys.stderr)
        for line in busy:
            print(f"  {line}", file=sys.stderr)


# -- tables ----------------------------------------------------------------------------------------
def fmt(value: Any, digits: int = 3) -> str:
    """Table cell text: floats with ``digits`` decimals (large ones with thousands separators)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.{digits}f}"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 3) -> str:
    """A Markdown-compatible pipe table (numbers right-aligned)."""
    cells = [[fmt(v, digits) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [
        all((isinstance(row[i], (int, float)) and not isinstance(row[i], bool)) or row[i] is None for row in rows)
        for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |"]
    rules = [("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric)]
    lines.append("|" + "|".join(rules) + "|")
    for row in cells:
        lines.append(
            "| " + " | ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)) + " |"
        )
    return "\n".join(lines)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 3) -> None:
    print(f"\n{title}\n")
    print(format_table(headers, rows, digits))


# -- retrieval metrics -----------------------------------------------------------------------------
Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Sequence[str]]


def ndcg_at_k(run: Run, qrels: Qrels, k: int = 10) -> float:
    """Mean nDCG@k over the queries of ``qrels`` (trec_eval ``ndcg_cut`` definition, linear gains)."""
    total = 0.0
    for qid, rels in qrels.items():
        ranked = list(run.get(qid, ()))[:k]
        dcg = sum(rels.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked))
        ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
        idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0.0
    return total / max(1, len(qrels))


def recall_at_k(run: Run, qrels: Qrels, k: int = 100) -> float:
    """Mean recall@k over the queries of ``qrels`` (BEIR definition: relevant = grade > 0)."""
    total = 0.0
    counted = 0
    for qid, rels in qrels.items():
        relevant = {d for d, g in rels.items() if g > 0}
        if not relevant:
            continue
        found = set(list(run.get(qid, ()))[:k]) & relevant
        total += len(found) / len(relevant)
        counted += 1
    return total / max(1, counted)


def knn_recall(found: np.ndarray | Sequence[Sequence[int]], truth: np.ndarray, k: int = 10) -> float:
    """ANN recall@k: mean overlap of each row's first k results with the exact top k."""
    hits = 0
    for f, t in zip(found, truth):
        hits += len(set(list(f)[:k]) & set(t[:k].tolist()))
    return hits / (k * len(truth))


def exact_topk(queries: np.ndarray, data: np.ndarray, k: int, block: int = 256) -> np.ndarray:
    """Exact top-k rows of ``data`` by inner product (cosine for unit vectors), best first."""
    out = np.empty((queries.shape[0], k), dtype=np.int64)
    for s in range(0, queries.shape[0], block):
        sims = queries[s : s + block] @ data.T
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sims, part, axis=1)
        out[s : s + block] = np.take_along_axis(part, np.argsort(-vals, axis=1, kind="stable"), axis=1)
    return out
