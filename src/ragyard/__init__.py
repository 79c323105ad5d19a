"""ragyard: retrieval and evaluation with pluggable backends.

``import ragyard`` is light: it imports neither torch nor sentence-transformers nor any ANN library.
Heavy parts load when a backend that needs them is created.
"""

from __future__ import annotations

import logging

from .errors import RagyardError
from .registry import BackendSpec, Registry, get_registry
from .types import (
    CollectionInfo,
    DistanceMetric,
    FilterCondition,
    HybridStrategy,
    SearchFilter,
    SearchResult,
    VectorPoint,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "BackendSpec",
    "CollectionInfo",
    "DistanceMetric",
    "FilterCondition",
    "HybridStrategy",
    "RagyardError",
    "Registry",
    "SearchFilter",
    "SearchResult",
    "VectorPoint",
    "__version__",
    "get_registry",
]
