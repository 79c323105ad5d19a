"""Metadata filters: the reference semantics in Python and the compiler to SQL.

A :class:`~ragyard.types.SearchFilter` is evaluated against a document's metadata (a JSON object).
Fields are metadata keys; a dotted field (``author.name``) walks nested objects. The semantics of
each operator, which every compiler follows exactly (the test suite checks SQL against Python):

- ``eq``: the value equals the operand (``None`` matches a missing or null field). Scalars only.
- ``ne``: not ``eq`` (a missing field is "not equal").
- ``gt ge lt le``: the value has the operand's type family (number, or string) and compares so;
  values of another type never match.
- ``in``: the value, or any element of an array value, equals one of the operands.
- ``nin``: not ``in`` (a missing field matches).
- ``contains``: a string value contains the operand as a substring, or an array value has an
  element equal to it.
- ``exists``: the key is present (``True``) or absent (``False``); a JSON null counts as present.

Booleans compare as in JSON/SQL: ``True`` equals ``1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import FilterError
from ..types import FilterCondition, SearchFilter

_MISSING = object()


def _lookup(payload: Mapping[str, Any] | None, field: str) -> Any:
    cur: Any = payload
    for part in field.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _same_family(a: Any, b: Any) -> bool:
    return (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))


def _in(value: Any, operands: list[Any]) -> bool:
    if value is _MISSING or isinstance(value, Mapping):
        return False
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, (list, Mapping)):
            continue
        for op in operands:
            if item is None or op is None:
                if item is None and op is None:
                    return True
                continue
            if isinstance(item, str) != isinstance(op, str):
                continue
            if item == op:
                return True
    return False


def _eq(value: Any, operand: Any) -> bool:
    if operand is None:
        return value is _MISSING or value is None
    if value is _MISSING or value is None or isinstance(value, (list, Mapping)):
        return False
    if isinstance(value, str) != isinstance(operand, str):
        return False
    return bool(value == operand)


def evaluate_condition(cond: FilterCondition, payload: Mapping[str, Any] | None) -> bool:
    """Does ``payload`` satisfy one condition (reference semantics, see module docstring)."""
    value = _lookup(payload, cond.field)
    op, operand = cond.operator, cond.value
    if op == "eq":
        return _eq(value, operand)
    if op == "ne":
        return not _eq(value, operand)
    if op in ("gt", "ge", "lt", "le"):
        if value is _MISSING or not _same_family(value, operand):
            return False
        if op == "gt":
            return bool(value > operand)
        if op == "ge":
            return bool(value >= operand)
        if op == "lt":
            return bool(value < operand)
        return bool(value <= operand)
    if op == "in":
        return _in(value, operand)
    if op == "nin":
        return not _in(value, operand)
    if op == "contains":
        if isinstance(value, str):
            return isinstance(operand, str) and operand in value
        if isinstance(value, list):
            return _in(value, [operand])
        return False
    if op == "exists":
        return (value is not _MISSING) == bool(operand)
    raise FilterError(f"unknown operator {op!r}")  # pragma: no cover - FilterCondition validates


def evaluate(flt: SearchFilter | FilterCondition, payload: Mapping[str, Any] | None) -> bool:
    """Does ``payload`` satisfy the whole filter."""
    if isinstance(flt, FilterCondition):
        return evaluate_condition(flt, payload)
    if not all(evaluate(c, payload) for c in flt.must):
        return False
    if flt.should and not any(evaluate(c, payload) for c in flt.should):
        return False
    return not any(evaluate(c, payload) for c in flt.must_not)


class FilterCompiler:
    """Compiles a filter to a SQL boolean expression over a JSON metadata column.

    Subclasses implement :meth:`condition` for one dialect; the boolean structure (must / should /
    must_not) is shared. ``placeholder`` is the driver's parameter marker.
    """

    placeholder = "?"

    def __init__(self, column: str):
        self.column = column

    def compile(self, flt: SearchFilter | FilterCondition | None) -> tuple[str, list[Any]]:
        """``(sql, params)``; an empty or missing filter compiles to a true expression."""
        params: list[Any] = []
        if flt is None:
            return "1=1", params
        sql = self._node(flt, params)
        return sql, params

    def _node(self, flt: SearchFilter | FilterCondition, params: list[Any]) -> str:
        if isinstance(flt, FilterCondition):
            # SQL comparisons with NULL yield NULL; force two-valued logic so NOT behaves
            return f"coalesce({self.condition(flt, params)}, 0)"
        parts = [self._node(c, params) for c in flt.must]
        if flt.should:
            parts.append("(" + " OR ".join(self._node(c, params) for c in flt.should) + ")")
        parts.extend(f"NOT ({self._node(c, params)})" for c in flt.must_not)
        if not parts:
            return "1=1"
        return "(" + " AND ".join(parts) + ")"

    def condition(self, cond: FilterCondition, params: list[Any]) -> str:  # pragma: no cover
        raise NotImplementedError


def sqlite_json_path(field: str) -> str:
    """``author.name`` -> ``$."author"."name"`` (each key quoted, so any characters but ``"``)."""
    return "$" + "".join(f'."{part}"' for part in field.split("."))


class SQLiteFilterCompiler(FilterCompiler):
    """SQLite JSON1 compiler (``json_extract``, ``json_type``, ``json_each``)."""

    def condition(self, cond: FilterCondition, params: list[Any]) -> str:
        c, p = self.column, self.placeholder
        path = sqlite_json_path(cond.field)
        op, v = cond.operator, cond.value

        def val() -> str:
            params.append(path)
            return f"json_extract({c}, {p})"

        def typ() -> str:
            params.append(path)
            return f"json_type({c}, {p})"

        def scalar_eq() -> str:
            if v is None:
                return f"{val()} IS NULL"
            t = typ()
            x = val()
            params.append(v)
            family = "= 'text'" if isinstance(v, str) else "NOT IN ('text', 'array', 'object', 'null')"
            return f"({t} {family} AND {x} = {p})"

        def in_expr(values: list[Any]) -> str:
            t = typ()
            params.append(path)
            each = f"json_each({c}, {p})"
            conds = []
            strs = [x for x in values if isinstance(x, str)]
            nums = [x for x in values if x is not None and not isinstance(x, str)]
            if strs:
                conds.append(f"(type = 'text' AND value IN ({', '.join([p] * len(strs))}))")
                params.extend(strs)
            if nums:
                conds.append(
                    f"(type IN ('integer', 'real', 'true', 'false') AND value IN ({', '.join([p] * len(nums))}))"
                )
                params.extend(nums)
            if any(x is None for x in values):
                conds.append("type = 'null'")
            if not conds:
                return "0"
            return f"(coalesce({t}, 'object') != 'object' AND EXISTS (SELECT 1 FROM {each} WHERE {' OR '.join(conds)}))"

        if op == "eq":
            return scalar_eq()
        if op == "ne":
            return f"NOT coalesce({scalar_eq()}, 0)"
        if op in ("gt", "ge", "lt", "le"):
            sym = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}[op]
            family = "= 'text'" if isinstance(v, str) else "IN ('integer', 'real')"
            t = typ()
            x = val()
            params.append(v)
            return f"({t} {family} AND {x} {sym} {p})"
        if op == "in":
            return in_expr(v)
        if op == "nin":
            return f"NOT coalesce({in_expr(v)}, 0)"
        if op == "contains":
            if not isinstance(v, (str, int, float, bool)):
                raise FilterError(f"contains on {cond.field!r} needs a scalar operand")
            t = typ()
            arr = in_expr([v])
            if isinstance(v, str):
                t2 = typ()
                x = val()
                params.append(v)
                return f"(({t} = 'array' AND {arr}) OR ({t2} = 'text' AND instr({x}, {p}) > 0))"
            return f"({t} = 'array' AND {arr})"
        if op == "exists":
            return f"{typ()} IS {'NOT ' if v else ''}NULL"
        raise FilterError(f"unknown operator {op!r}")  # pragma: no cover


__all__ = ["FilterCompiler", "SQLiteFilterCompiler", "evaluate", "evaluate_condition", "sqlite_json_path"]
