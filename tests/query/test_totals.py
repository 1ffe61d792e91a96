"""Pipeline totals: the lifecycle keeps them equal to the records through
every kind of change, and the aggregates they can answer come from them (one
small query) with the records' answer; the others still read the records."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm import query, records, sharing
from crm.metadata import registry
from crm.models import StageTotal
from crm.query import aggregation, totals
from crm.records import batch
from crm.records import totals as kept

CLOSE = "2026-12-31"
QUESTIONS = [
    {"group_by": ["stage"], "metrics": [{"op": "count", "as": "n"}]},
    {
        "group_by": ["stage"],
        "metrics": [
            {"op": "count", "as": "n"},
            {"field": "amount", "op": "sum", "as": "amount"},
            {"field": "amount", "op": "count", "as": "priced"},
        ],
    },
    {
        "group_by": ["pipeline", "stage", "owner"],
        "metrics": [{"field": "amount", "op": "sum", "as": "amount"}],
    },
    {
        "filters": [["stage", "in", ["proposal", "negotiation"]]],
        "metrics": [{"op": "count", "as": "n"}, {"field": "amount", "op": "sum"}],
    },
    {
        "filters": [["owner", "=", "$currentUser"], ["pipeline", "=", "sales"]],
        "group_by": ["stage"],
        "metrics": [{"op": "count", "as": "n"}, {"field": "amount", "op": "sum"}],
        "sort": [{"field": "n", "direction": "desc"}],
    },
]


def both(ctx, object_name: str, body: dict):
    """(from the totals, from the records) of one aggregate."""
    target = aggregation.AggregateQuery.from_json(ctx, object_name, body)
    raws = totals.answer(ctx, target)
    assert raws is not None, body
    kept_rows = aggregation._shaped(target, aggregation._sorted(target, raws))
    read_rows = aggregation._shaped(target, aggregation.from_records(ctx, target))
    return kept_rows, read_rows


def assert_totals_hold(ctx, object_name: str = "opportunity") -> None:
    questions = QUESTIONS
    if object_name != "opportunity":  # no amount; the pipeline field is status
        pipeline = registry.get(ctx, object_name).pipeline(None).key
        questions = [
            {"group_by": ["status", "owner"], "metrics": [{"op": "count"}]},
            {"filters": [["pipeline", "=", pipeline]], "metrics": [{"op": "count"}]},
        ]
    for body in questions:
        from_totals, from_records = both(ctx, object_name, body)
        assert from_totals == from_records, body


@pytest.fixture
def account(ctx):
    return records.create(ctx, "account", data={"name": "Acme"})


def deal(ctx, account, name, stage="prospecting", amount="1000", **data):
    data |= {"name": name, "stage": stage, "amount": amount, "account": account.pk}
    return records.create(ctx, "opportunity", data={"close_date": CLOSE} | data)


def test_creates_updates_deletes_restores_and_purges_keep_the_totals(
    ctx, member, account
):
    a = deal(ctx, account, "A", amount="1000.10")
    b = deal(ctx, account, "B", stage="proposal", amount=None)
    c = deal(ctx, account, "C", stage="proposal", amount="250")
    assert_totals_hold(ctx)
    records.update(ctx, "opportunity", a.pk, data={"stage": "negotiation"})
    records.update(ctx, "opportunity", b.pk, data={"amount": "99.99"})
    records.update(ctx, "opportunity", c.pk, data={"owner": member.pk})
    records.update(ctx, "opportunity", c.pk, data={"name": "C2"})  # moves nothing
    assert_totals_hold(ctx)
    deletion = records.delete(ctx, "opportunity", a.pk)
    assert_totals_hold(ctx)
    records.restore(ctx, deletion.pk)
    assert_totals_hold(ctx)
    gone = records.delete(ctx, "opportunity", b.pk)
    records.purge(ctx, gone.pk)
    assert_totals_hold(ctx)
    rows = {
        (t.stage, t.count, t.amount_count, t.amount_cents)
        for t in StageTotal.objects.filter(workspace=ctx.workspace)
        if t.count
    }
    assert rows == {("negotiation", 1, 1, 100010), ("proposal", 1, 1, 25000)}


def test_a_cascade_to_the_bin_and_back_moves_every_deal(ctx, account):
    for n in range(3):
        deal(ctx, account, f"D{n}", stage="qualification", amount=str(100 * n))
    deletion = records.delete(ctx, "account", account.pk)
    assert_totals_hold(ctx)
    empty = query.aggregate(ctx, "opportunity", QUESTIONS[0])
    assert empty.rows == []
    records.restore(ctx, deletion.pk)
    assert_totals_hold(ctx)
    again = query.aggregate(ctx, "opportunity", QUESTIONS[0])
    assert again.rows == [{"stage": "qualification", "n": 3}]


def test_batches_move_the_totals_like_single_changes(ctx, account):
    rows = [
        {
            "name": f"B{n}",
            "stage": ["proposal", "closed_won"][n % 2],
            "amount": n,
            "close_date": CLOSE,
        }
        for n in range(40)
    ] + [{"name": "bad", "stage": "no_such_stage", "close_date": CLOSE}]
    results = batch.create_many(ctx, "opportunity", rows)
    assert sum(r.ok for r in results) == 40
    ids = [r.record_id for r in results if r.ok]
    changes = [{"id": pk, "stage": "negotiation", "amount": "5"} for pk in ids[:10]]
    assert all(r.ok for r in batch.update_many(ctx, "opportunity", changes))
    batch.delete_many(ctx, "opportunity", ids[30:])
    assert_totals_hold(ctx)
    negotiation = query.aggregate(
        ctx,
        "opportunity",
        {
            "filters": [["stage", "=", "negotiation"]],
            "metrics": [{"op": "count", "as": "n"}, {"field": "amount", "op": "sum"}],
        },
    )
    assert negotiation.rows == [{"n": 10, "sum_amount": 50}]


def test_leads_and_cases_count_by_status(ctx):
    for n in range(3):
        records.create(ctx, "lead", data={"last_name": f"L{n}", "company": "Initech"})
    case = records.create(ctx, "case", data={"subject": "Broken"})
    records.update(ctx, "case", case.pk, data={"status": "escalated"})
    assert_totals_hold(ctx, "lead")
    assert_totals_hold(ctx, "case")


def test_an_answerable_aggregate_is_one_query(ctx, account, django_assert_num_queries):
    for n in range(5):
        deal(ctx, account, f"Q{n}")
    target = aggregation.AggregateQuery.from_json(ctx, "opportunity", QUESTIONS[1])
    with django_assert_num_queries(1):
        result = query.aggregate(ctx, target)
    assert result.rows == [
        {"stage": "prospecting", "n": 5, "amount": 5000, "priced": 5}
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"filters": [["amount", ">", 10]], "metrics": [{"op": "count"}]},
        {"group_by": ["month(close_date)"], "metrics": [{"op": "count"}]},
        {"group_by": ["stage"], "metrics": [{"field": "amount", "op": "avg"}]},
        {"group_by": ["account.name"], "metrics": [{"op": "count"}]},
        {
            "filter_groups": [
                [["stage", "=", "proposal"]],
                [["owner", "=", "$currentUser"]],
            ],
            "metrics": [{"op": "count"}],
        },
        {"deleted": True, "metrics": [{"op": "count"}]},
    ],
)
def test_other_aggregates_read_the_records(ctx, account, body):
    deal(ctx, account, "X")
    target = aggregation.AggregateQuery.from_json(ctx, "opportunity", body)
    assert totals.answer(ctx, target) is None


def test_a_user_who_sees_only_some_deals_gets_them_from_the_records(
    ctx, member_ctx, account
):
    sharing.set_default(ctx, "opportunity", "private")
    deal(ctx, account, "Mine")
    records.create(
        member_ctx,
        "opportunity",
        data={"name": "Theirs", "stage": "prospecting", "close_date": CLOSE},
    )
    target = aggregation.AggregateQuery.from_json(
        member_ctx, "opportunity", QUESTIONS[0]
    )
    assert totals.answer(member_ctx, target) is None
    seen = query.aggregate(member_ctx, "opportunity", QUESTIONS[0])
    assert seen.rows == [{"stage": "prospecting", "n": 1}]
    everyone = query.aggregate(ctx, "opportunity", QUESTIONS[0])
    assert everyone.rows == [{"stage": "prospecting", "n": 2}]


def test_another_workspace_has_totals_of_its_own(ctx, other_ctx, account):
    deal(ctx, account, "Here")
    elsewhere = query.aggregate(other_ctx, "opportunity", QUESTIONS[0])
    assert elsewhere.rows == []


def test_rebuild_recounts_what_was_written_around_the_lifecycle(ctx, account):
    made = deal(ctx, account, "Raw", amount="10")
    type(made).objects.filter(pk=made.pk).update(stage="closed_won")  # by SQL
    kept.rebuild(ctx.workspace)
    assert_totals_hold(ctx)
    assert StageTotal.objects.get(
        workspace=ctx.workspace, stage="closed_won"
    ).amount_cents == int(Decimal("10") * 100)
