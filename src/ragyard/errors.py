"""Every error ragyard raises on purpose.

Contract: each exception below derives from :class:`RagyardError`, so ``except RagyardError`` catches
anything ragyard reports about bad input or an unavailable part. Where a Python built-in has the same
meaning (``ValueError`` for a bad value, ``ImportError`` for a missing optional library,
``LookupError`` for something that does not exist) the ragyard error also derives from it, so code
written against the seed APIs (which raise the built-ins) keeps working.

No operation that raises one of these leaves stored data half-changed: writes happen in one
transaction that is rolled back before the error propagates.
"""

from __future__ import annotations

from collections.abc import Iterable


class RagyardError(Exception):
    """Base class of every ragyard error."""


class ConfigurationError(RagyardError, ValueError):
    """A setting or argument is invalid (wrong type, out of range, inconsistent with others)."""


class UnknownBackendError(ConfigurationError):
    """A backend name that no registry entry (or alias) matches.

    The message lists the backends that are registered for that kind.
    """

    def __init__(self, kind: str, name: str, available: Iterable[str]):
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        listed = ", ".join(self.available) or "none"
        super().__init__(f"unknown {kind} backend {name!r}; available: {listed}")


class BackendUnavailableError(RagyardError, ImportError):
    """A backend is registered but cannot run here (a library is missing, a model is not installed).

    ``extra`` names the pip extra that installs what is missing, when there is one.
    """

    def __init__(self, message: str, *, extra: str | None = None):
        self.extra = extra
        if extra and "pip install" not in message:
            message = f"{message} (install with: pip install 'ragyard[{extra}]')"
        super().__init__(message)


class NotFoundError(RagyardError, LookupError):
    """Something asked for by name or id does not exist."""

    def __str__(self) -> str:  # LookupError would otherwise quote like KeyError does not, keep plain
        return str(self.args[0]) if self.args else ""


class CollectionNotFoundError(NotFoundError):
    """The named collection does not exist in the store."""


class DocumentNotFoundError(NotFoundError):
    """No document with that id exists."""


class ConflictError(RagyardError):
    """The operation clashes with what is stored (a name that exists already, a concurrent change)."""


class ValidationError(RagyardError, ValueError):
    """Input data is malformed (bad vector, bad filter, bad document)."""


class DimensionMismatchError(ValidationError):
    """A vector does not have the dimension of the collection or index it is meant for."""

    def __init__(self, expected: int, got: int, where: str = ""):
        self.expected = expected
        self.got = got
        at = f" for {where}" if where else ""
        super().__init__(f"vector dimension mismatch{at}: expected {expected}, got {got}")


class FilterError(ValidationError):
    """A metadata filter is malformed (unknown operator, bad field name, wrong value type)."""


class EmbeddingError(RagyardError):
    """An embedder failed to produce vectors."""


class LoaderError(RagyardError):
    """Loading documents failed (the batch was rolled back)."""


class SourceError(LoaderError):
    """A source file cannot be indexed: empty, not UTF-8 text, unreadable."""


class QueryError(RagyardError):
    """A query could not be executed."""


class StoreLockedError(RagyardError):
    """The database is locked by another writer and did not become free within the busy timeout."""


class FormatVersionError(RagyardError):
    """The on-disk format was written by a newer ragyard than this one and is refused."""


__all__ = [
    "BackendUnavailableError",
    "CollectionNotFoundError",
    "ConfigurationError",
    "ConflictError",
    "DimensionMismatchError",
    "DocumentNotFoundError",
    "EmbeddingError",
    "FilterError",
    "FormatVersionError",
    "LoaderError",
    "NotFoundError",
    "QueryError",
    "RagyardError",
    "SourceError",
    "StoreLockedError",
    "UnknownBackendError",
    "ValidationError",
]
