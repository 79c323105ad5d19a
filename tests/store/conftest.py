"""Store fixtures: every store backend the contract suite runs against."""

from __future__ import annotations

import pytest

from ragyard.store.sqlite import SQLiteStore


def _sqlite_file(tmp_path):
    return SQLiteStore(tmp_path / "store.db")


def _sqlite_memory(tmp_path):
    return SQLiteStore(":memory:")


STORES = {"sqlite": _sqlite_file, "sqlite-memory": _sqlite_memory}


@pytest.fixture(params=sorted(STORES))
def store(request, tmp_path):
    s = STORES[request.param](tmp_path)
    yield s
    s.close()
