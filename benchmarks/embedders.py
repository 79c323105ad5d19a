"""Throughput of the embedders on SciFact passages, next to raw ``SentenceTransformer.encode``.

Usage::

    .venv/bin/python benchmarks/embedders.py [--n 200] [--batch-size 32] [--repeat 1]

Texts are the first ``n`` SciFact corpus passages (``title + " " + text``). Model loading and a small
warm-up are excluded from the timings; the raw baseline uses the same loaded model object, the same
texts and the same batch size in the same run, so the difference is ragyard's own overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS = Path("/work/shared/data/scifact/corpus.jsonl")


def load_passages(path: Path, n: int) -> list[str]:
    texts: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            texts.append(f"{doc.get('title', '')} {doc.get('text', '')}".strip())
            if len(texts) >= n:
                break
    return texts


def best_rate(fn, n_texts: int, repeat: int) -> tuple[float, object]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return n_texts / best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1, help="runs per embedder (best is reported)")
    args = parser.parse_args()

    from ragyard.embed import HashingEmbedder, get_backend_info

    texts = load_passages(args.corpus, args.n)
    chars = sum(map(len, texts)) / max(1, len(texts))
    print(
        f"{len(texts)} SciFact passages (title + text), mean {chars:,.0f} chars; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )

    hashing = HashingEmbedder()
    hashing.embed(texts[:8])
    rate, _ = best_rate(lambda: hashing.embed(texts), len(texts), max(3, args.repeat))
    print(f"  {'hashing (' + hashing.model_name + ')':<42} {rate:10.1f} texts/s")

    info = get_backend_info("sentence")
    if not (isinstance(info, dict) and info["available"]):
        print(f"  sentence backend unavailable: {info['reason'] if isinstance(info, dict) else info}")
        return

    import torch

    from ragyard.embed import SentenceEmbedder

    start = time.perf_counter()
    minilm = SentenceEmbedder(batch_size=args.batch_size).load()
    load_s = time.perf_counter() - start
    model = minilm._model()[0]  # the same SentenceTransformer object, for the raw baseline
    minilm.embed(texts[:8])
    model.encode(texts[:8], batch_size=args.batch_size, convert_to_numpy=True, normalize_embeddings=True)

    def raw():
        return model.encode(
            texts,
            batch_size=args.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )

    raw_rate, raw_vecs = best_rate(raw, len(texts), args.repeat)
    ours_rate, ours_vecs = best_rate(lambda: minilm.embed(texts), len(texts), args.repeat)
    import numpy as np

    diff = float(np.abs(np.asarray(ours_vecs) - np.asarray(raw_vecs)).max())
    print(f"  {'sentence (' + minilm.model_name + ')':<42} {ours_rate:10.1f} texts/s")
    print(f"  {'raw SentenceTransformer.encode':<42} {raw_rate:10.1f} texts/s")
    print(
        f"  batch size {args.batch_size}, torch threads {torch.get_num_threads()}, "
        f"model load {load_s:.1f} s (excluded), max |ragyard - raw| = {diff:.1e}"
    )


if __name__ == "__main__":
    sys.exit(main())
