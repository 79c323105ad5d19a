"""The ``ragyard`` command line (Typer + Rich).

Commands: ``index PATH``, ``search QUERY``, ``backends``, ``stats``. Global options (before the command)
select the database (``--db``, env ``RAGYARD_DB``, default ``.ragyard/ragyard.db``) and the collection.

Errors print one line (``error: ...``) on stderr and exit with status 1 (2 for bad usage); nothing stored
is changed by a failed command.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .errors import RagyardError

app = typer.Typer(
    name="ragyard",
    help="Retrieval with pluggable backends: index a folder, search it (dense, keyword, hybrid).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

MODES = ("dense", "keyword", "hybrid")


@dataclass
class _State:
    db: Path
    collection: str
    embedder: str


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite database file (env RAGYARD_DB).")] = None,
    collection: Annotated[
        str | None, typer.Option("--collection", "-c", help="Collection (documents table) name.")
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv for debug).")] = 0,
) -> None:
    """Global options."""
    from rich.logging import RichHandler

    from .settings import get_settings

    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(console=err, show_path=False)])
    settings = get_settings()
    ctx.obj = _State(
        db=db or settings.database_path, collection=collection or settings.collection, embedder=settings.embedder
    )


def _open(state: _State, embedder: str | None = None, *, must_exist: bool = False) -> Any:
    from .rag import SQLiteRAG

    if must_exist and not state.db.exists():
        _fail(f"no index at {state.db}; run 'ragyard index PATH' first (or pass --db)")
    state.db.parent.mkdir(parents=True, exist_ok=True)
    provider = None
    name = embedder or state.embedder
    if name and name != "auto":
        from .embed import create_embedder

        provider = create_embedder(name)
    return SQLiteRAG(state.db, embedding_provider=provider, documents_table=state.collection)


@app.command()
def index(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder (or file) to index.")],
    embedder: Annotated[
        str | None, typer.Option("--embedder", "-e", help="Embedder backend (auto, sentence, hashing).")
    ] = None,
    chunk_size: Annotated[int, typer.Option(help="Chunk size in characters.", min=50)] = 1000,
    chunk_overlap: Annotated[int, typer.Option(help="Characters shared by consecutive chunks.", min=0)] = 150,
    include: Annotated[list[str] | None, typer.Option("--include", help="Glob of files to include.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Glob of files to skip.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Index the documents under PATH (incremental: unchanged files are skipped)."""
    from .rag.indexer import index_folder

    state: _State = ctx.obj
    if not path.exists():
        _fail(f"path not found: {path}")
    if chunk_overlap >= chunk_size:
        _fail("--chunk-overlap must be smaller than --chunk-size")
    with _open(state, embedder) as rag:
        if not as_json:
            err.print(
                f"embedder: [bold]{rag.embedding_service.model_name}[/] ({rag.embedding_service.dimension} dims)"
                f"  database: {state.db}  collection: {state.collection}",
                highlight=False,
            )
        report = index_folder(
            rag,
            path,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            include=include,
            exclude=exclude,
            show_progress=not as_json and sys.stderr.isatty(),
        )
        stats = rag.get_statistics()
    if as_json:
        out.print_json(json.dumps({**report.to_dict(), "documents": stats["document_count"]}))
        return
    out.print(
        f"indexed {path}: [bold]{len(report.added)}[/] added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, {len(report.errors)} errors; "
        f"{report.chunks_written} chunks written, {stats['document_count']} in the index ({report.seconds:.2f} s)",
        highlight=False,
    )
    for _rel, message in report.errors:
        err.print(f"[yellow]skipped[/] {message}", highlight=False)


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    mode: Annotated[str, typer.Option("--mode", "-m", help="dense, keyword or hybrid.")] = "hybrid",
    k: Annotated[int, typer.Option("-k", "--top-k", help="Number of results.", min=1)] = 5,
    filter_: Annotated[
        str | None, typer.Option("--filter", "-f", help='Metadata filter as JSON, e.g. \'{"kind": "markdown"}\'.')
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Search the index (hybrid = dense + BM25 fused with RRF)."""
    state: _State = ctx.obj
    if mode not in MODES:
        _fail(f"unknown mode {mode!r}; use one of {', '.join(MODES)}", 2)
    filters = None
    if filter_:
        try:
            filters = json.loads(filter_)
        except ValueError as exc:
            _fail(f"--filter is not valid JSON: {exc}", 2)
        from .types import coerce_filter

        coerce_filter(filters)  # validate before opening anything
    with _open(state, must_exist=True) as rag:
        if mode == "dense":
            results = rag.query(query, top_k=k, similarity_threshold=-1e30, filters=filters)
        elif mode == "keyword":
            results = rag.keyword_search(query, top_k=k, filters=filters)
        else:
            results = rag.hybrid_search(query, top_k=k, filters=filters)
    if as_json:
        out.print_json(json.dumps(results, ensure_ascii=False))
        return
    if not results:
        out.print("no results")
        return
    table = Table(show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("source")
    table.add_column("text")
    for i, r in enumerate(results, 1):
        meta = r["metadata"]
        where = meta.get("path", r["document_id"])
        if "start_line" in meta:
            where = f"{where}:{meta['start_line']}"
        text = " ".join(r["content"].split())
        table.add_row(str(i), f"{r['similarity']:.4f}", where, text[:300] + ("…" if len(text) > 300 else ""))
    out.print(table)


@app.command()
def backends(
    kind: Annotated[str | None, typer.Option("--kind", help="Only this backend kind.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Every backend of every kind: available or not, and why."""
    from .registry import get_registry, registered_kinds

    kinds = [kind] if kind else registered_kinds()
    rows = []
    for kd in kinds:
        if kind and kd not in registered_kinds():
            _fail(f"unknown backend kind {kd!r}; kinds: {', '.join(registered_kinds())}", 2)
        rows.extend(get_registry(kd).get_backend_info())
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title="ragyard backends")
    for column in ("kind", "name", "aliases", "priority", "available", "reason / description"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["kind"],
            row["name"],
            ", ".join(row["aliases"]),
            str(row["priority"]),
            "[green]yes[/]" if row["available"] else "[red]no[/]",
            row["reason"] or row["description"],
        )
    out.print(table)


@app.command()
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Counts, model and size of the index."""
    state: _State = ctx.obj
    with _open(state, must_exist=True) as rag:
        data = rag.get_statistics()
    if as_json:
        out.print_json(json.dumps(data))
        return
    table = Table(title=f"{state.db} / {state.collection}", show_header=False)
    table.add_column("key")
    table.add_column("value")
    for key, value in data.items():
        table.add_row(key, json.dumps(value) if isinstance(value, (dict, list)) else str(value))
    out.print(table)


def main() -> None:
    """Entry point: run the app, turning ragyard errors into one line and exit status 1."""
    try:
        app()
    except RagyardError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
