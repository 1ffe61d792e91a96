"""crm.query: ObjectQL, the one way to read records shaped by user input.

``query.page(ctx, Query.from_json(ctx, "opportunity", body))`` answers a list
question; ``get``, ``count``, ``aggregate``, ``total``, ``average`` and
``search`` the others. Every read runs under a context and sees only what it
may (``crm.query.visibility``).
"""

from crm.query.aggregation import AggregateQuery, Aggregation, aggregate, average, total
from crm.query.fulltext import Hit
from crm.query.fulltext import search as search
from crm.query.paging import Page, Row
from crm.query.parse import ListQuery, Query
from crm.query.reads import count, explain, get, page

__all__ = [
    "AggregateQuery",
    "Aggregation",
    "Hit",
    "ListQuery",
    "Page",
    "Query",
    "Row",
    "aggregate",
    "average",
    "count",
    "explain",
    "get",
    "page",
    "search",
    "total",
]
