"""Text operators fold case for every letter, on every database, as the
evaluator does: SQLite's own LIKE folds ASCII letters only."""

from __future__ import annotations

import pytest

from crm import query, records
from crm.metadata import registry
from crm.query import Query, evaluate, filters

NAMES = ["Élan", "élan vital", "Elan", "Zürich", "ZÜRICH AG"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (["name", "contains", "é"], ["élan vital", "Élan"]),
        (["name", "starts_with", "ÉL"], ["élan vital", "Élan"]),
        (["name", "ends_with", "RICH"], ["Zürich"]),
        (["name", "contains", "zür"], ["ZÜRICH AG", "Zürich"]),
        (["name", "like", "%ÜR%"], ["ZÜRICH AG", "Zürich"]),
    ],
)
def test_text_operators_fold_accented_letters_like_the_evaluator(
    ctx, condition, expected
):
    made = [records.create(ctx, "account", data={"name": n}) for n in NAMES]
    body = {"filters": [condition], "fields": ["name"], "sort": "-name"}
    page = query.page(ctx, Query.from_json(ctx, "account", body))
    assert sorted(row["name"] for row in page.rows) == sorted(expected)
    object_type = registry.get(ctx, "account")
    where = filters.parse(object_type, [condition], ctx=ctx)
    by_evaluator = [
        r.name for r in made if evaluate.matches(ctx, where, {"name": r.name})
    ]
    assert sorted(by_evaluator) == sorted(expected)
