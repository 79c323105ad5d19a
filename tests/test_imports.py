"""Core imports stay light: no torch, no sentence-transformers, no ANN library at import time."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "sentence_transformers", "transformers", "hnswlib", "faiss", "pyarrow", "sqlalchemy")


def test_core_imports_are_light() -> None:
    code = (
        "import sys, ragyard, ragyard.rag, ragyard.store, ragyard.store.sqlite, ragyard.embed, ragyard.index, "
        "ragyard.cli, ragyard.registry\n"
        "from ragyard.registry import get_registry\n"
        "for kind in ('embedders', 'indexes', 'stores'): get_registry(kind).get_backend_info()\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
