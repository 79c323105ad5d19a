"""The ragyard CLI end to end (hashing embedder through RAGYARD_EMBEDDER to keep it fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ragyard.cli import app


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGYARD_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("RAGYARD_EMBEDDER", "hashing")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Volcanoes\n\nMagma rises through the crust and erupts as lava.\n")
    (docs / "b.txt").write_text("Glaciers carve valleys over thousands of years.\n")
    (docs / "c.md").write_text("# Deserts\n\nDunes migrate with the wind.\n")
    return docs


runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_index_search_stats(env) -> None:
    res = invoke("index", str(env), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert sorted(report["added"]) == ["a.md", "b.txt", "c.md"] and report["documents"] == 3
    for mode in ("dense", "keyword", "hybrid"):
        res = invoke("search", "magma lava", "--mode", mode, "-k", "2", "--json")
        assert res.exit_code == 0, res.output
        hits = json.loads(res.output)
        assert hits[0]["metadata"]["path"] == "a.md"
    res = invoke("search", "valleys", "--filter", '{"kind": "text"}', "--json")
    assert [h["metadata"]["path"] for h in json.loads(res.output)] == ["b.txt"]
    res = invoke("search", "dunes")
    assert res.exit_code == 0 and "c.md" in res.output
    res = invoke("stats", "--json")
    assert json.loads(res.output)["document_count"] == 3
    again = json.loads(invoke("index", str(env), "--json").output)
    assert again["unchanged"] == 3 and again["added"] == []


def test_backends_lists_every_kind() -> None:
    res = invoke("backends", "--json")
    assert res.exit_code == 0
    rows = json.loads(res.output)
    kinds = {r["kind"] for r in rows}
    assert {"embedders", "indexes", "stores"} <= kinds
    names = {(r["kind"], r["name"]) for r in rows}
    assert ("stores", "sqlite") in names and ("embedders", "hashing") in names and ("indexes", "exact") in names
    assert all("available" in r and "reason" in r for r in rows)
    assert invoke("backends").exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "x", "--mode", "fuzzy"], "unknown mode"),
        (["search", "x", "--filter", "{bad json"], "not valid JSON"),
        (["search", "x", "--filter", '{"year": {"$near": 3}}'], "unknown filter operator"),
        (["index", "/definitely/not/here"], "path not found"),
        (["backends", "--kind", "teleporters"], "unknown backend kind"),
    ],
)
def test_errors_are_one_line_and_nonzero(env, args, message) -> None:
    invoke("index", str(env), "--json")
    proc = subprocess.run(
        [sys.executable, "-m", "ragyard.cli", *args], capture_output=True, text=True, env=os.environ.copy(), timeout=120
    )
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert message in lines[0] and lines[0].startswith("error:")
    assert "Traceback" not in proc.stderr


def test_search_without_index(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RAGYARD_DB", str(tmp_path / "none.db"))
    proc = subprocess.run(
        [sys.executable, "-m", "ragyard.cli", "search", "x"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1 and "no index" in proc.stderr


def test_embedder_mismatch_is_a_clear_error(env, tmp_path, monkeypatch) -> None:
    invoke("index", str(env), "--json")
    proc = subprocess.run(
        [sys.executable, "-m", "ragyard.cli", "index", str(env), "--embedder", "sentence"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and proc.stderr.startswith("error:")
    assert "was built with model 'hashing-384-1x2'" in proc.stderr
