"""Filters: the SQL compiler agrees with the Python reference semantics, and bad filters fail clearly."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from ragyard.errors import FilterError
from ragyard.store.filters import SQLiteFilterCompiler, evaluate
from ragyard.types import FilterCondition, SearchFilter, coerce_filter

PAYLOADS = [
    {"topic": "ML", "year": 2021, "score": 0.5, "tags": ["a", "b"], "author": {"name": "Ada"}, "ok": True},
    {"topic": "DL", "year": 2019, "score": 1.5, "tags": ["b"], "author": {"name": "Bob"}, "ok": False},
    {"topic": "ML", "year": "2020", "tags": [], "note": None},
    {"topic": "Python", "year": 2023, "score": 2, "tags": ["c", 1]},
    {"year": 2020.5, "title": "Deep learning for machine learning"},
    {},
    {"topic": ["ML", "DL"], "n": 1},
]


def _sql_matches(flt: SearchFilter) -> list[int]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (i INTEGER, metadata TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, json.dumps(p)) for i, p in enumerate(PAYLOADS)])
    conn.execute("INSERT INTO t VALUES (99, NULL)")
    where, params = SQLiteFilterCompiler("metadata").compile(flt)
    return sorted(r[0] for r in conn.execute(f"SELECT i FROM t WHERE {where}", params))


def _py_matches(flt: SearchFilter) -> list[int]:
    rows = [*list(enumerate(PAYLOADS)), (99, None)]
    return sorted(i for i, p in rows if evaluate(flt, p))


CASES = [
    {"topic": "ML"},
    {"year": {"$gte": 2020}},
    {"year": {"$gt": "2000"}},
    {"score": {"$lt": 1.6}},
    {"topic": {"$ne": "ML"}},
    {"topic": {"$in": ["ML", "Python"]}},
    {"topic": {"$nin": ["ML"]}},
    {"tags": {"$contains": "b"}},
    {"tags": {"$contains": 1}},
    {"title": {"$contains": "learning"}},
    {"note": {"$exists": True}},
    {"score": {"$exists": False}},
    {"author.name": "Ada"},
    {"ok": True},
    {"ok": False},
    {"note": None},
    {"$or": [{"topic": "DL"}, {"year": {"$lte": 2019}}]},
    {"$and": [{"topic": "ML"}, {"year": {"$gte": 2021}}]},
    {"$not": {"topic": "ML"}},
    {"topic": "ML", "year": {"$gte": 2020, "$lt": 2022}},
    {"n": True},
    {"tags": {"$in": ["a", "c"]}},
]


@pytest.mark.parametrize("case", CASES, ids=[json.dumps(c) for c in CASES])
def test_sql_agrees_with_python(case: dict) -> None:
    flt = coerce_filter(case)
    assert flt is not None
    assert _sql_matches(flt) == _py_matches(flt)


def test_random_filters_agree() -> None:
    rng = random.Random(7)
    fields = ["topic", "year", "score", "tags", "author.name", "ok", "missing", "note", "n"]
    values = ["ML", "DL", 2020, 2021, 0.5, 1, True, "b", "Ada", None]
    for _ in range(300):
        conds = []
        for _ in range(rng.randint(1, 3)):
            op = rng.choice(["eq", "ne", "gt", "ge", "lt", "le", "in", "nin", "contains", "exists"])
            if op in ("in", "nin"):
                value = rng.sample([v for v in values if v is not None], 2)
            elif op in ("gt", "ge", "lt", "le"):
                value = rng.choice([2020, 0.7, "M", 1])
            elif op == "exists":
                value = rng.choice([True, False])
            elif op == "contains":
                value = rng.choice([v for v in values if v is not None])
            else:
                value = rng.choice(values)
            conds.append(FilterCondition(rng.choice(fields), op, value))
        kind = rng.choice(["must", "should", "must_not"])
        flt = SearchFilter(**{kind: conds})
        assert _sql_matches(flt) == _py_matches(flt), flt


def test_seed_style_filter_objects() -> None:
    flt = SearchFilter(
        must=[FilterCondition("topic", "eq", "ML")],
        must_not=[{"field": "year", "operator": "lt", "value": 2020}],
    )
    # record 2's year is the string "2020": numeric comparisons never match strings
    assert _sql_matches(flt) == _py_matches(flt) == [0, 2]
    nested = SearchFilter(should=[SearchFilter(must=[FilterCondition("topic", "eq", "DL")]), {"topic": "Python"}])
    assert _sql_matches(nested) == [1, 3]


@pytest.mark.parametrize(
    "bad",
    [
        {"year": {"$between": [1, 2]}},
        {"$xor": []},
        {"topic": {"$in": "ML"}},
        {"year": {"$gt": [1]}},
        {"year": {"$gt": None}},
        {"meta": {"nested": "dict"}},
        {"$or": {"topic": "ML"}},
        {'bad"field': 1},
        {"topic": {"$eq": {"a": 1}}},
        {"tags": {"$contains": None}},
    ],
)
def test_malformed_filters_raise(bad: dict) -> None:
    with pytest.raises(FilterError):
        coerce_filter(bad)


def test_not_a_dict() -> None:
    with pytest.raises(FilterError):
        coerce_filter(["topic", "ML"])  # type: ignore[arg-type]


def test_empty_filter_is_none() -> None:
    assert coerce_filter({}) is None
    assert coerce_filter(SearchFilter()) is None
