"""Table and column names of a collection (seed 001's configurable schema).

A collection is two tables: documents ``(id, content, metadata)`` and embeddings
``(id, document_id, embedding, model_name)``; every name is configurable so that ragyard can work over
tables that already exist. Names are quoted wherever they are used in SQL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigurationError


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes (embedded quotes doubled)."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise ConfigurationError(f"invalid SQL identifier {name!r}")
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TableLayout:
    """Names of a collection's tables and columns (defaults are seed 001's)."""

    documents_table: str = "documents"
    embeddings_table: str = "embeddings"
    documents_id_column: str = "id"
    documents_content_column: str = "content"
    documents_metadata_column: str | None = "metadata"
    embeddings_id_column: str = "id"
    embeddings_document_id_column: str = "document_id"
    embeddings_model_column: str | None = "model_name"
    embeddings_column: str = "embedding"

    def __post_init__(self) -> None:
        for key, value in asdict(self).items():
            if value is None and key in ("documents_metadata_column", "embeddings_model_column"):
                continue
            quote_ident(value)
        if self.documents_table == self.embeddings_table:
            raise ConfigurationError("documents_table and embeddings_table must differ")

    @classmethod
    def for_collection(cls, name: str) -> TableLayout:
        """The layout ragyard creates for a collection made through the store API."""
        return cls(documents_table=name, embeddings_table=f"{name}_embeddings")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableLayout:
        return cls(**data)

    # derived names of the tables ragyard adds next to the user's
    @property
    def fts_table(self) -> str:
        return f"{self.documents_table}__fts"

    @property
    def log_table(self) -> str:
        return f"{self.embeddings_table}__log"


__all__ = ["TableLayout", "quote_ident"]
