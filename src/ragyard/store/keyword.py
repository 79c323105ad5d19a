"""Keyword-search helpers shared by the stores: query tokenisation and the FTS5 query builder.

BM25 itself runs inside the database (SQLite FTS5's ``bm25()``); what is shared here is how a free-text
query becomes a keyword query: lower-cased ``\\w+`` tokens, English stop words dropped (unless the query
has nothing else), duplicates removed, OR-ed together so that any matching term retrieves a document
and BM25 ranks by how many and how rare.
"""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)

STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves
    """.split()  # noqa: SIM905
)


def query_terms(text: str) -> list[str]:
    """Distinct lower-cased terms of ``text`` without stop words (all terms if only stop words)."""
    tokens = [t.lower() for t in _TOKEN_RE.findall(text or "")]
    kept = [t for t in tokens if t not in STOP_WORDS] or tokens
    return list(dict.fromkeys(kept))


def fts5_query(text: str) -> str | None:
    """An FTS5 MATCH expression OR-ing the query terms (each quoted), or None for no terms."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


__all__ = ["STOP_WORDS", "fts5_query", "query_terms"]
