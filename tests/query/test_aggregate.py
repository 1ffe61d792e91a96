"""Aggregates: groups, date buckets, metrics, and the simple helpers."""

from __future__ import annotations

import pytest

from accounts import errors
from accounts.models import PublicGroup
from crm import query, records
from crm.metadata import services as metadata

DEALS = [
    # name, amount, close date, stage, owner index
    ("A", "100000", "2026-01-15", "closed_won", 0),
    ("B", "50000.50", "2026-01-20", "closed_won", 1),
    ("C", "25000", "2026-02-03", "closed_won", 0),
    ("D", "80000", "2026-04-30", "closed_won", 0),
    ("E", "999999", "2026-04-30", "closed_lost", 0),
    ("F", "12345.67", "2025-12-31", "closed_won", 1),
    ("G", None, "2026-05-01", "closed_won", 1),
]


@pytest.fixture
def deals(ctx, member):
    metadata.create_field(
        ctx, "opportunity", name="seats", label="Seats", type="number"
    )
    metadata.create_field(
        ctx, "opportunity", name="signed_on", label="Signed", type="date"
    )
    owners = [ctx.user_id, member.pk]
    for n, (name, amount, close, stage, owner) in enumerate(DEALS):
        records.create(
            ctx,
            "opportunity",
            data={
                "name": name,
                "amount": amount,
                "close_date": close,
                "stage": stage,
                "owner": owners[owner],
                "seats": n * 10 if n % 2 == 0 else None,
                "signed_on": close,
            },
        )
    return owners


def test_group_by_owner_and_month_with_aliased_metrics(ctx, deals):
    result = query.aggregate(
        ctx,
        "opportunity",
        {
            "filters": [["stage", "=", "closed_won"], ["close_date", "in_year", 2026]],
            "group_by": ["owner", "month(close_date)"],
            "metrics": [
                {"field": "amount", "op": "sum", "as": "total_bookings"},
                {"field": "amount", "op": "avg", "as": "avg_deal_size"},
                {"field": "id", "op": "count", "as": "deal_count"},
            ],
            "sort": ["owner", "month(close_date)"],
        },
    )
    me, rep = (str(o) for o in deals)
    expected = [
        {
            "owner": me,
            "month(close_date)": "2026-01",
            "total_bookings": 100000,
            "avg_deal_size": 100000,
            "deal_count": 1,
        },
        {
            "owner": me,
            "month(close_date)": "2026-02",
            "total_bookings": 25000,
            "avg_deal_size": 25000,
            "deal_count": 1,
        },
        {
            "owner": me,
            "month(close_date)": "2026-04",
            "total_bookings": 80000,
            "avg_deal_size": 80000,
            "deal_count": 1,
        },
        {
            "owner": rep,
            "month(close_date)": "2026-01",
            "total_bookings": 50000.5,
            "avg_deal_size": 50000.5,
            "deal_count": 1,
        },
        {
            "owner": rep,
            "month(close_date)": "2026-05",
            "total_bookings": None,
            "avg_deal_size": None,
            "deal_count": 1,
        },
    ]
    assert sorted(
        result.rows, key=lambda r: (r["owner"], r["month(close_date)"])
    ) == sorted(expected, key=lambda r: (r["owner"], r["month(close_date)"]))
    assert result.has_more is False


def test_group_by_quarter_year_and_week(ctx, deals):
    rows = query.aggregate(
        ctx,
        "opportunity",
        {
            "group_by": ["year(close_date)", "quarter(close_date)"],
            "metrics": [
                {"op": "count", "as": "n"},
                {"field": "amount", "op": "max", "as": "top"},
            ],
        },
    ).rows
    assert rows == [
        {
            "year(close_date)": 2025,
            "quarter(close_date)": "2025-Q4",
            "n": 1,
            "top": 12345.67,
        },
        {
            "year(close_date)": 2026,
            "quarter(close_date)": "2026-Q1",
            "n": 3,
            "top": 100000,
        },
        {
            "year(close_date)": 2026,
            "quarter(close_date)": "2026-Q2",
            "n": 3,
            "top": 999999,
        },
    ]
    weeks = query.aggregate(
        ctx,
        "opportunity",
        {
            "group_by": ["week(close_date)"],
            "filters": [["close_date", "<", "2026-02-01"]],
        },
    ).rows
    assert weeks == [
        {"week(close_date)": "2026-W01", "count": 1},
        {"week(close_date)": "2026-W03", "count": 1},
        {"week(close_date)": "2026-W04", "count": 1},
    ]


def test_metrics_over_custom_json_fields_are_typed(ctx, deals):
    rows = query.aggregate(
        ctx,
        "opportunity",
        {
            "group_by": ["month(signed_on)"],
            "filters": [["signed_on", ">=", "2026-04-01"]],
            "metrics": [
                {"field": "seats", "op": "sum", "as": "seats"},
                {"field": "seats", "op": "count", "as": "with_seats"},
                {"field": "seats", "op": "max", "as": "most"},
                {"field": "stage", "op": "count_distinct", "as": "stages"},
            ],
        },
    ).rows
    assert rows == [
        {
            "month(signed_on)": "2026-04",
            "seats": 40,
            "with_seats": 1,
            "most": 40,
            "stages": 2,
        },
        {
            "month(signed_on)": "2026-05",
            "seats": 60,
            "with_seats": 1,
            "most": 60,
            "stages": 1,
        },
    ]


def test_the_rest_group_by_shape_is_accepted(ctx, deals):
    rows = query.aggregate(
        ctx,
        "opportunity",
        {
            "groupBy": "Stage",
            "aggregations": {
                "count": {"function": "COUNT", "field": "Id"},
                "totalAmount": {"function": "SUM", "field": "Amount"},
                "avgAmount": {"function": "AVG", "field": "Amount"},
            },
            "sort": "-totalAmount",
        },
    ).rows
    assert rows == [
        {
            "stage": "closed_lost",
            "count": 1,
            "totalAmount": 999999,
            "avgAmount": 999999,
        },
        {
            "stage": "closed_won",
            "count": 6,
            "totalAmount": 267346.17,
            "avgAmount": 53469.23,
        },
    ]


def test_count_sum_and_average_helpers(ctx, deals):
    won = [["stage", "=", "Closed Won"]]
    assert query.count(ctx, "opportunity", won) == 6
    assert query.total(ctx, "opportunity", "Amount", won) == {
        "sum": 267346.17,
        "count": 6,
    }
    assert query.average(ctx, "opportunity", "amount", won) == {
        "average": 53469.23,
        "count": 6,
    }
    nothing = [["stage", "=", "prospecting"]]
    assert query.total(ctx, "opportunity", "amount", nothing) == {"sum": 0, "count": 0}
    assert query.average(ctx, "opportunity", "amount", nothing) == {
        "average": None,
        "count": 0,
    }


def test_aggregates_only_count_visible_records(ctx, member_ctx, deals):
    from crm.models import ObjectSharing

    ObjectSharing.objects.create(
        workspace=ctx.workspace, object_name="opportunity", access="private"
    )
    assert query.count(member_ctx, "opportunity") == 3
    assert query.total(member_ctx, "opportunity", "amount") == {
        "sum": 62346.17,
        "count": 3,
    }


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"metrics": [{"field": "name", "op": "sum"}]}, "name", "needs a number field"),
        ({"metrics": [{"field": "amount", "op": "median"}]}, "metrics", "not a metric"),
        ({"group_by": ["month(name)"]}, "name", "not a date"),
        ({"group_by": ["decade(close_date)"]}, "group_by", "not a date bucket"),
        ({"group_by": ["nope"]}, "nope", "no field 'nope'"),
        ({"sort": "bogus"}, "sort", "not one"),
        ({"grouping": []}, None, "Unknown aggregate key"),
        ({"object": "account"}, "object", "The body names Account, the URL Opport"),
        ({"object": 7}, "object", "'object' is the name of an object, as text."),
        ([["stage"]], None, "Send the aggregate as a JSON object."),
    ],
)
def test_bad_aggregates_name_what_is_wrong(ctx, payload, field, message):
    with pytest.raises(errors.ValidationFailed, match=message) as info:
        query.aggregate(ctx, "opportunity", payload)
    assert info.value.field == field


def test_an_aggregate_body_may_name_the_object_of_its_url(ctx, deals):
    named = query.aggregate(ctx, "opportunities", {"object": "Opportunity"})
    assert named.rows == query.aggregate(ctx, "opportunity", {}).rows


def test_explain_says_the_records_answered_with_their_sql_and_plan(ctx, deals):
    body = {
        "filters": [["stage", "=", "closed_won"]],
        "group_by": ["month(close_date)"],
        "metrics": [{"field": "amount", "op": "sum", "as": "total"}],
        "limit": 2,
    }
    plain = query.aggregate(ctx, "opportunity", body)
    explained = query.aggregate(ctx, "opportunity", {**body, "explain": True})

    assert (explained.rows, explained.has_more) == (plain.rows, plain.has_more)
    assert plain.explain is None
    assert sorted(explained.explain) == ["plan", "source", "sql"]
    assert explained.explain["source"] == "records"
    sql = explained.explain["sql"]
    assert 'FROM "crm_opportunity"' in sql
    assert "'closed_won'" in sql
    assert "LIMIT 3" in sql
    assert explained.explain["plan"]


def test_explain_of_figures_without_groups_is_one_aggregate_query(ctx, deals):
    body = {"metrics": [{"field": "seats", "op": "sum", "as": "seats"}]}
    result = query.aggregate(ctx, "opportunity", {**body, "explain": True})
    assert result.rows == [{"seats": 120}]
    assert result.explain["source"] == "records"
    assert "GROUP BY" not in result.explain["sql"]
    nothing = {**body, "filters": [["name", "=", "Nobody"]]}
    assert query.aggregate(ctx, "opportunity", nothing).rows == [{"seats": None}]
    # A filter that can match nothing is answered without the database.
    PublicGroup.objects.create(workspace=ctx.workspace, name="Empty")
    nobody = {
        "filters": [["owner", "in_group", "Empty"]],
        "metrics": [{"op": "count", "as": "n"}, {"field": "seats", "op": "sum"}],
    }
    assert query.aggregate(ctx, "opportunity", nobody).rows == [
        {"n": 0, "sum_seats": None}
    ]


def test_explain_says_when_the_pipeline_totals_answered(ctx, deals):
    body = {"group_by": ["stage"], "metrics": [{"op": "count", "as": "n"}]}
    result = query.aggregate(ctx, "opportunity", {**body, "explain": True})
    assert result.rows == [
        {"stage": "closed_lost", "n": 1},
        {"stage": "closed_won", "n": 6},
    ]
    assert result.explain["source"] == "stage_totals"
    assert "crm_stagetotal" in result.explain["sql"]
    assert "crm_opportunity" not in result.explain["sql"]
    assert result.explain["plan"]


def test_only_admins_may_explain_an_aggregate(member_ctx, deals):
    body = {"group_by": ["stage"], "explain": True}
    with pytest.raises(errors.PermissionDenied, match="Only admins"):
        query.aggregate(member_ctx, "opportunity", body)
    assert query.aggregate(member_ctx, "opportunity", {"group_by": ["stage"]}).rows
