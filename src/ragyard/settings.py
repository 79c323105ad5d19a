"""Settings read from the environment (prefix ``RAGYARD_``) or a ``.env`` file.

- ``RAGYARD_HOME``: folder for ragyard's own files (default ``./.ragyard``)
- ``RAGYARD_DB``: the SQLite database the CLI uses (default ``$RAGYARD_HOME/ragyard.db``)
- ``RAGYARD_EMBEDDER``: embedder for new collections (default ``auto``)
- ``RAGYARD_COLLECTION``: collection (documents table) the CLI uses (default ``documents``)
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """ragyard settings (see module docstring)."""

    model_config = SettingsConfigDict(env_prefix="RAGYARD_", env_file=".env", extra="ignore")

    home: Path = Path(".ragyard")
    db: Path | None = None
    embedder: str = "auto"
    collection: str = "documents"

    @property
    def database_path(self) -> Path:
        return self.db if self.db is not None else self.home / "ragyard.db"


def get_settings() -> Settings:
    """Current settings (read fresh each call, so tests and CLIs may change the environment)."""
    return Settings()


__all__ = ["Settings", "get_settings"]
