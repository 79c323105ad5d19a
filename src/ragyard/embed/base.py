"""The contract of a text embedder.

An embedder has a ``name`` (its registry name), a ``model_name`` (what produced the vectors; stored
with them so a database knows which model it was built with) and a fixed ``dim``.

``embed(texts)`` returns a C-contiguous float32 array of shape ``(len(texts), dim)`` whose rows are
L2-normalised (an all-zero row is allowed only for a text with no features, e.g. the empty string for
the hashing embedder). Work is done in batches of ``batch_size``; ``show_progress=True`` shows a tqdm
bar. ``embed_query(text)`` returns one ``(dim,)`` vector for a search query (models that embed queries
differently from passages override it). Failures raise :class:`~ragyard.errors.EmbeddingError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from ..errors import EmbeddingError, RagyardError, ValidationError
from ..similarity import l2_normalize


class Embedder(ABC):
    """Abstract text embedder (see the module docstring for the contract)."""

    name: ClassVar[str] = "abstract"
    #: default number of texts per batch
    batch_size: int = 64

    @property
    @abstractmethod
    def dim(self) -> int:
        """Dimension of the vectors."""

    @property
    def model_name(self) -> str:
        """Identifier of the model that produces the vectors (recorded next to stored vectors)."""
        return self.name

    @abstractmethod
    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        """Embed one batch; returns an (n, dim) array (normalised or not: the base normalises)."""

    def embed(self, texts: Sequence[str], *, batch_size: int | None = None, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts`` (see module docstring). An empty input gives an empty (0, dim) array."""
        if isinstance(texts, str):
            raise ValidationError("embed() takes a list of texts, not a single string")
        items = list(texts)
        for i, t in enumerate(items):
            if not isinstance(t, str):
                raise ValidationError(f"text #{i} is {type(t).__name__}, not str")
        out = np.empty((len(items), self.dim), dtype=np.float32)
        if not items:
            return out
        bs = max(1, int(batch_size or self.batch_size))
        bar = None
        if show_progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc=f"Embedding ({self.model_name})", unit="text")
        try:
            for start in range(0, len(items), bs):
                chunk = items[start : start + bs]
                try:
                    vecs = np.asarray(self._embed_batch(chunk), dtype=np.float32)
                except RagyardError:
                    raise
                except Exception as exc:
                    raise EmbeddingError(f"{self.name} embedder failed: {exc}") from exc
                if vecs.shape != (len(chunk), self.dim):
                    raise EmbeddingError(
                        f"{self.name} embedder returned shape {vecs.shape}, expected {(len(chunk), self.dim)}"
                    )
                out[start : start + len(chunk)] = l2_normalize(vecs)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised (dim,) vector for a search query."""
        return self.embed([text])[0]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(model={self.model_name!r}, dim={self.dim})"


__all__ = ["Embedder"]
