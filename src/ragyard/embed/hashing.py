"""A dependency-free embedder: signed feature hashing of word n-grams.

Contract (on top of :mod:`ragyard.embed.base`):

- Tokens are ``\\w+`` runs (Unicode word characters), lower-cased when ``lowercase`` is true.
  Features are the word n-grams for every ``n`` in ``ngram_range`` (default unigrams and bigrams,
  n-gram words joined by one space, so a bigram never collides by construction with a unigram).
- Each distinct feature of a text gets the weight ``1 + log(tf)`` (sublinear term frequency) and is
  added, with a sign, to one of ``dim`` buckets. Bucket and sign come from the first 8 bytes of the
  BLAKE2b digest of the feature's UTF-8 bytes, so vectors are identical across processes, machines
  and Python versions (Python's salted ``hash()`` is never used).
- Rows are L2-normalised; a text without any token (e.g. ``""``) gives an all-zero row.
- ``model_name`` encodes every parameter that changes the vectors (``"hashing-384-1x2"``, plus
  ``"-cased"`` when ``lowercase=False``), so two stores agree on compatibility by comparing names.

Texts that share words get a clearly higher cosine than unrelated texts; it is a lexical model, not a
semantic one (``car`` and ``automobile`` are unrelated to it).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from hashlib import blake2b

import numpy as np

from ..errors import ConfigurationError
from ..registry import BackendSpec
from .base import Embedder

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_SIGN_BIT = np.uint64(1 << 63)


@lru_cache(maxsize=1 << 17)
def _feature_hash(feature: str) -> int:
    """Stable unsigned 64-bit hash of a feature (BLAKE2b, first 8 bytes, little endian)."""
    return int.from_bytes(blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")


class HashingEmbedder(Embedder):
    """Signed feature hashing of word n-grams with sublinear tf, L2-normalised (see module docstring).

    ``dim`` is the number of buckets, ``ngram_range=(min_n, max_n)`` the n-gram sizes (inclusive),
    ``lowercase`` whether tokens are lower-cased, ``batch_size`` the default texts per batch.
    Invalid settings raise :class:`~ragyard.errors.ConfigurationError`.
    """

    name = "hashing"

    def __init__(
        self,
        dim: int = 384,
        ngram_range: tuple[int, int] = (1, 2),
        lowercase: bool = True,
        *,
        batch_size: int = 512,
    ) -> None:
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim <= 0:
            raise ConfigurationError(f"hashing embedder dim must be a positive integer, got {dim!r}")
        try:
            lo, hi = (int(n) for n in ngram_range)
        except (TypeError, ValueError):
            raise ConfigurationError(f"ngram_range must be a pair of integers, got {ngram_range!r}") from None
        if not 1 <= lo <= hi:
            raise ConfigurationError(f"ngram_range must satisfy 1 <= min_n <= max_n, got {ngram_range!r}")
        if int(batch_size) <= 0:
            raise ConfigurationError(f"batch_size must be positive, got {batch_size!r}")
        self._dim = int(dim)
        self.ngram_range = (lo, hi)
        self.lowercase = bool(lowercase)
        self.batch_size = int(batch_size)

    @property
    def dim(self) -> int:
        """Number of hash buckets (the vector dimension)."""
        return self._dim

    @property
    def model_name(self) -> str:
        """``hashing-<dim>-<min_n>x<max_n>`` (``-cased`` appended when not lower-casing)."""
        lo, hi = self.ngram_range
        return f"hashing-{self._dim}-{lo}x{hi}" + ("" if self.lowercase else "-cased")

    def features(self, text: str) -> Counter[str]:
        """The n-gram features of ``text`` with their raw counts (useful for debugging)."""
        if self.lowercase:
            text = text.lower()
        tokens = _TOKEN_RE.findall(text)
        lo, hi = self.ngram_range
        counts: Counter[str] = Counter()
        for n in range(lo, hi + 1):
            if n == 1:
                counts.update(tokens)
            elif len(tokens) >= n:
                counts.update(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return counts

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        rows: list[int] = []
        hashes: list[int] = []
        tfs: list[int] = []
        for row, text in enumerate(texts):
            counts = self.features(text)
            rows.extend([row] * len(counts))
            hashes.extend(_feature_hash(f) for f in counts)
            tfs.extend(counts.values())
        n, dim = len(texts), self._dim
        if not hashes:
            return np.zeros((n, dim), dtype=np.float32)
        h = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
        buckets = (h % np.uint64(dim)).astype(np.int64)
        signs = np.where((h & _SIGN_BIT) != 0, -1.0, 1.0)
        weights = signs * (1.0 + np.log(np.asarray(tfs, dtype=np.float64)))
        flat = np.asarray(rows, dtype=np.int64) * dim + buckets
        out = np.bincount(flat, weights=weights, minlength=n * dim)
        return out.reshape(n, dim).astype(np.float32)


backend = BackendSpec(
    name="hashing",
    factory=HashingEmbedder,
    aliases=("hash", "feature-hashing"),
    priority=0,
    description="Signed feature hashing of word unigrams+bigrams (numpy only, lexical, deterministic).",
    metadata={"default_dim": 384, "semantic": False},
)

__all__ = ["HashingEmbedder", "backend"]
