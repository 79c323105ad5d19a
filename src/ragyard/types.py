"""Shared value types (seed 002 names): points, results, filters, collection info, metrics, strategies.

These are plain dataclasses (cheap to create on hot paths). Vectors may be given as lists of floats or
numpy arrays; the stores convert them to float32 arrays once, at the boundary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from .errors import FilterError


class DistanceMetric(str, Enum):
    """How two vectors are compared. Every store reports scores where higher means more similar:

    - ``COSINE``: cosine similarity in [-1, 1].
    - ``DOT_PRODUCT``: the inner product (unbounded).
    - ``EUCLIDEAN``: ``1 / (1 + L2 distance)`` in (0, 1].
    - ``MANHATTAN``: ``1 / (1 + L1 distance)`` in (0, 1].
    """

    COSINE = "cosine"
    DOT_PRODUCT = "inner_product"
    EUCLIDEAN = "euclidean"
    MANHATTAN = "manhattan"

    @classmethod
    def parse(cls, value: DistanceMetric | str) -> DistanceMetric:
        """Accept the enum, its value, or a common alias (cos, dot, ip, l2, euclid, l1)."""
        if isinstance(value, DistanceMetric):
            return value
        from .similarity import normalize_metric

        return cls(normalize_metric(value))


class HybridStrategy(str, Enum):
    """How dense and keyword result lists are fused (see :mod:`ragyard.store.fusion`)."""

    RRF = "rrf"
    WEIGHTED = "weighted"
    DBSF = "dbsf"


@dataclass(slots=True)
class VectorPoint:
    """One stored item: an id, its vector and a JSON-able payload (metadata plus its text)."""

    id: str | int
    vector: Sequence[float] | np.ndarray
    payload: dict[str, Any] | None = None
    sparse_vector: dict[str, float] | None = None


@dataclass(slots=True)
class SearchResult:
    """One hit. ``score``: higher is better for every metric (see :class:`DistanceMetric`)."""

    id: str | int
    score: float
    payload: dict[str, Any] = field(default_factory=dict)
    vector: list[float] | None = None


_OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "nin", "contains", "exists")
_OPERATOR_ALIASES = {
    "==": "eq",
    "=": "eq",
    "!=": "ne",
    ">": "gt",
    ">=": "ge",
    "gte": "ge",
    "<": "lt",
    "<=": "le",
    "lte": "le",
    "not_in": "nin",
    "neq": "ne",
}


@dataclass(slots=True)
class FilterCondition:
    """``field`` compared with ``value`` by ``operator`` (eq, ne, gt, ge, lt, le, in, nin, contains,
    exists). ``field`` is a metadata key; dots address nested keys (``author.name``)."""

    field: str
    operator: str = "eq"
    value: Any = None

    def __post_init__(self) -> None:
        op = str(self.operator).lower().lstrip("$")
        op = _OPERATOR_ALIASES.get(op, op)
        if op not in _OPERATORS:
            raise FilterError(f"unknown filter operator {self.operator!r}; use one of {', '.join(_OPERATORS)}")
        self.operator = op
        if not isinstance(self.field, str) or not self.field or '"' in self.field:
            raise FilterError(f"invalid filter field {self.field!r}")
        if op in ("in", "nin"):
            if isinstance(self.value, (str, bytes)) or not isinstance(self.value, (list, tuple, set, frozenset)):
                raise FilterError(f"operator {op!r} on {self.field!r} needs a list of values, got {self.value!r}")
            self.value = list(self.value)
            for v in self.value:
                _check_scalar(self.field, op, v)
        elif op == "exists":
            if not isinstance(self.value, bool):
                self.value = True if self.value is None else bool(self.value)
        elif op in ("gt", "ge", "lt", "le"):
            if isinstance(self.value, bool) or not isinstance(self.value, (int, float, str)):
                raise FilterError(f"operator {op!r} on {self.field!r} needs a number or string, got {self.value!r}")
        else:
            _check_scalar(self.field, op, self.value)
            if op == "contains" and self.value is None:
                raise FilterError(f"operator 'contains' on {self.field!r} needs a value")


def _check_scalar(fld: str, op: str, value: Any) -> None:
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise FilterError(f"operator {op!r} on {fld!r} needs a scalar value, got {type(value).__name__}")


Clause = "FilterCondition | SearchFilter"


@dataclass(slots=True)
class SearchFilter:
    """A boolean filter over metadata: every ``must`` clause holds, at least one ``should`` clause
    holds (when any are given) and no ``must_not`` clause holds. Clauses are conditions or nested
    filters."""

    must: list[FilterCondition | SearchFilter] = field(default_factory=list)
    should: list[FilterCondition | SearchFilter] = field(default_factory=list)
    must_not: list[FilterCondition | SearchFilter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.must = [_coerce_clause(c) for c in self.must]
        self.should = [_coerce_clause(c) for c in self.should]
        self.must_not = [_coerce_clause(c) for c in self.must_not]

    def is_empty(self) -> bool:
        return not (self.must or self.should or self.must_not)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchFilter:
        """Build from a Mongo-style dict (``{"topic": "ML", "year": {"$gte": 2020}}``, with ``$and``,
        ``$or``, ``$not``) or from a dict with ``must``/``should``/``must_not`` lists."""
        if not isinstance(data, Mapping):
            raise FilterError(f"a filter must be a dict, got {type(data).__name__}")
        if data and set(data) <= {"must", "should", "must_not"}:
            return cls(
                must=list(data.get("must") or []),
                should=list(data.get("should") or []),
                must_not=list(data.get("must_not") or []),
            )
        return _from_mongo(data)

    def matches(self, payload: Mapping[str, Any]) -> bool:
        """Evaluate in Python (the reference semantics the SQL compilers follow)."""
        from .store.filters import evaluate

        return evaluate(self, payload)


def _coerce_clause(c: Any) -> FilterCondition | SearchFilter:
    if isinstance(c, (FilterCondition, SearchFilter)):
        return c
    if isinstance(c, Mapping):
        if "field" in c:
            return FilterCondition(c["field"], c.get("operator", c.get("op", "eq")), c.get("value"))
        return SearchFilter.from_dict(c)
    raise FilterError(f"invalid filter clause {c!r}")


def _from_mongo(data: Mapping[str, Any]) -> SearchFilter:
    must: list[FilterCondition | SearchFilter] = []
    must_not: list[FilterCondition | SearchFilter] = []
    for key, value in data.items():
        if key == "$and":
            must.extend(_from_mongo(v) for v in _as_list(key, value))
        elif key == "$or":
            must.append(SearchFilter(should=[_from_mongo(v) for v in _as_list(key, value)]))
        elif key in ("$not", "$nor"):
            items = _as_list(key, value) if key == "$nor" else [value]
            must_not.extend(_from_mongo(v) for v in items)
        elif key.startswith("$"):
            raise FilterError(f"unknown top-level filter operator {key!r}")
        elif isinstance(value, Mapping) and value and all(str(k).startswith("$") for k in value):
            for op, operand in value.items():
                if op == "$not":
                    if not isinstance(operand, Mapping):
                        raise FilterError(f"$not on {key!r} needs an operator dict")
                    must_not.append(_from_mongo({key: operand}))
                else:
                    must.append(FilterCondition(key, op, operand))
        elif isinstance(value, Mapping):
            raise FilterError(f"filter on {key!r}: a dict value must hold operators like $gte, got {dict(value)!r}")
        elif isinstance(value, (list, tuple)):
            must.append(FilterCondition(key, "in", list(value)))
        else:
            must.append(FilterCondition(key, "eq", value))
    return SearchFilter(must=must, must_not=must_not)


def _as_list(key: str, value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, Mapping) for v in value):
        raise FilterError(f"{key} needs a list of filter dicts")
    return list(value)


def coerce_filter(value: SearchFilter | Mapping[str, Any] | None) -> SearchFilter | None:
    """None, a :class:`SearchFilter` or a dict (Mongo-style or must/should/must_not) -> filter or None."""
    if value is None:
        return None
    if isinstance(value, SearchFilter):
        return None if value.is_empty() else value
    flt = SearchFilter.from_dict(value)
    return None if flt.is_empty() else flt


@dataclass(slots=True)
class CollectionInfo:
    """What a store knows about one collection."""

    name: str
    dimension: int
    distance_metric: DistanceMetric
    vector_count: int
    indexed_vector_count: int = 0
    model_name: str | None = None
    created_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class BackendCapabilities:
    """What a store backend supports (seed 002 ``BackendCapabilities``)."""

    supports_filtering: bool = True
    supports_hybrid_search: bool = False
    supports_streaming: bool = False
    supports_transactions: bool = False
    supports_keyword_search: bool = False
    max_vector_dimension: int = 65536
    supported_distance_metrics: list[DistanceMetric] = field(default_factory=lambda: list(DistanceMetric))


__all__ = [
    "BackendCapabilities",
    "CollectionInfo",
    "DistanceMetric",
    "FilterCondition",
    "HybridStrategy",
    "SearchFilter",
    "SearchResult",
    "VectorPoint",
    "coerce_filter",
]
