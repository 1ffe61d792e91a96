"""Benchmark of crm.query against hand-written SQL + orjson, in one run.

    DATABASE_URL=postgres://… .venv/bin/python bench/query_bench.py [--workspace NAME]

Assumes a PostgreSQL database seeded with ``manage.py seed_demo --records N``
(the workspace with the most opportunities is used unless ``--workspace`` is
given). The first run adds an indexed custom number field ``arr`` to
opportunities, fills it for every row, builds its index and runs VACUUM
ANALYZE. Every figure is the median of warm runs, as a ratio to the raw query
that gives the same answer (checked), measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import orjson  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts import access  # noqa: E402
from accounts.models import Membership, Workspace  # noqa: E402
from crm import query  # noqa: E402
from crm.metadata import registry  # noqa: E402
from crm.metadata import services as metadata  # noqa: E402
from crm.models import Opportunity  # noqa: E402
from crm.query import Query, indexes  # noqa: E402

OPEN = ["qualification", "proposal", "negotiation"]
DEPTH = 50_000
PAGE = 200


def _json(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)
    return value


def raw(sql: str, params: list, names: list[str]) -> bytes:
    """Hand-written SQL, rows as dicts of JSON values, serialised by orjson."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [
            {name: _json(value) for name, value in zip(names, row, strict=True)}
            for row in cursor.fetchall()
        ]
    return orjson.dumps(rows)


def engine_page(ctx, payload: dict) -> bytes:
    page = query.page(ctx, Query.from_json(ctx, "opportunity", payload))
    return orjson.dumps(page.rows)


def timed(first, second, runs: int) -> tuple[float, float, object, object]:
    """Median milliseconds of two functions, run alternately (so both see the
    same load), after warming both up; and their last results."""
    for _ in range(3):
        out_a, out_b = first(), second()
    samples_a, samples_b = [], []
    for _ in range(runs):
        started = time.perf_counter()
        out_a = first()
        samples_a.append(time.perf_counter() - started)
        started = time.perf_counter()
        out_b = second()
        samples_b.append(time.perf_counter() - started)
    return (
        statistics.median(samples_a) * 1000,
        statistics.median(samples_b) * 1000,
        out_a,
        out_b,
    )


def setup(workspace: Workspace):
    owner = (
        Membership.objects.filter(workspace=workspace, profile__is_admin=True)
        .select_related("user")
        .order_by("joined_at")
        .first()
        .user
    )
    ctx = access.context_for_user(owner, workspace)
    if "arr" not in registry.get(ctx, "opportunity").fields:
        print("adding the indexed custom field opportunity.arr …", flush=True)
        metadata.create_field(
            ctx, "opportunity", name="arr", label="ARR", type="number", indexed=True
        )
        workspace.refresh_from_db()
        ctx = access.context_for_user(owner, workspace)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_opportunity SET custom = custom || "
            "jsonb_build_object('arr', abs(hashtext(id::text)) %% 1000000) "
            "WHERE workspace_id = %s AND NOT custom ? 'arr'",
            [workspace.pk],
        )
        filled = cursor.rowcount
    indexes.ensure(workspace, "opportunity", "arr")
    if filled:
        print(f"filled arr on {filled:,} rows; VACUUM ANALYZE …", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return ctx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", help="workspace name (default: the largest)")
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL.")
    workspaces = Workspace.objects.all()
    if args.workspace:
        workspaces = workspaces.filter(name=args.workspace)
    sizes = {
        ws: Opportunity.objects.filter(workspace=ws, deleted_at__isnull=True).count()
        for ws in workspaces
    }
    if not sizes or max(sizes.values()) == 0:
        sys.exit("No seeded workspace: run manage.py seed_demo --records N first.")
    workspace = max(sizes, key=sizes.get)
    ctx = setup(workspace)
    ws = workspace.pk
    runs = args.runs
    print(f"workspace {workspace.name!r}: {sizes[workspace]:,} opportunities")
    results = []

    def figure(name, target, engine_fn, raw_fn, *, compare=True):
        engine_ms, raw_ms, engine_out, raw_out = timed(engine_fn, raw_fn, runs)
        if compare:
            assert orjson.loads(engine_out) == orjson.loads(raw_out), name
        ratio = engine_ms / raw_ms
        results.append((name, engine_ms, raw_ms, ratio, target))

    # 1. A filtered, sorted page of 200.
    fields = ["id", "name", "amount", "stage", "close_date"]
    first = {
        "filters": [["stage", "in", OPEN], ["amount", ">", 1000]],
        "sort": [{"field": "amount", "direction": "desc"}],
        "fields": fields,
        "limit": PAGE,
    }
    page_sql = (
        "SELECT id, name, amount, stage, close_date FROM crm_opportunity "
        "WHERE workspace_id = %s AND deleted_at IS NULL AND stage = ANY(%s) "
        "AND amount > 1000 ORDER BY amount DESC NULLS FIRST, id DESC LIMIT %s"
    )
    figure(
        "page of 200, filtered + sorted",
        2.0,
        lambda: engine_page(ctx, first),
        lambda: raw(page_sql, [ws, OPEN, PAGE], fields),
    )

    # 2. The page 50,000 rows deep, by keyset, against the first page.
    cursor = None
    walked = 0
    while walked < DEPTH:
        body = dict(first, cursor=cursor) if cursor else first
        page = query.page(ctx, Query.from_json(ctx, "opportunity", body))
        walked += len(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            sys.exit(f"Only {walked:,} rows match; seed more records.")
    deep = dict(first, cursor=cursor)
    deep_ms, first_ms, _, _ = timed(
        lambda: engine_page(ctx, deep), lambda: engine_page(ctx, first), runs
    )
    results.append(
        (
            f"page {DEPTH:,} rows deep vs first",
            deep_ms,
            first_ms,
            deep_ms / first_ms,
            1.2,
        )
    )

    # 3. Group-by aggregate.
    year = dt.date.today().year
    agg = {
        "filters": [["close_date", "in_year", year]],
        "group_by": ["stage", "month(close_date)"],
        "metrics": [
            {"field": "amount", "op": "sum", "as": "total"},
            {"field": "id", "op": "count", "as": "n"},
        ],
        "sort": ["stage", "month(close_date)"],
    }
    agg_sql = (
        "SELECT stage, to_char(date_trunc('month', close_date), 'YYYY-MM'), "
        "sum(amount), count(*) FROM crm_opportunity WHERE workspace_id = %s "
        "AND deleted_at IS NULL AND close_date >= %s AND close_date < %s "
        "GROUP BY stage, date_trunc('month', close_date) ORDER BY 1, 2"
    )
    figure(
        "group-by aggregate (stage x month)",
        1.3,
        lambda: orjson.dumps(query.aggregate(ctx, "opportunity", agg).rows),
        lambda: raw(
            agg_sql,
            [ws, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)],
            ["stage", "month(close_date)", "total", "n"],
        ),
    )

    # 4. A filter on the indexed custom field.
    custom = {
        "filters": [["arr", "between", 500_000, 500_400]],
        "sort": [{"field": "arr", "direction": "asc"}],
        "fields": ["id", "name", "arr"],
        "limit": PAGE,
    }
    arr = (
        "(CASE WHEN jsonb_typeof((custom -> 'arr')) = 'number' "
        "THEN (custom ->> 'arr')::numeric END)"
    )
    custom_sql = (
        f"SELECT id, name, {arr} FROM crm_opportunity WHERE workspace_id = %s "
        f"AND deleted_at IS NULL AND {arr} BETWEEN 500000 AND 500400 "
        f"ORDER BY {arr} ASC NULLS LAST, id ASC LIMIT %s"
    )
    figure(
        "filter on an indexed custom field",
        2.0,
        lambda: engine_page(ctx, custom),
        lambda: raw(custom_sql, [ws, PAGE], ["id", "name", "arr"]),
    )
    plan = query.page(
        ctx, Query.from_json(ctx, "opportunity", dict(custom, explain=True))
    ).explain["plan"]
    uses_index = indexes.name_for(ws, "opportunity", "arr") in plan

    # 5. Expansion query counts at two page sizes.
    counts = {}
    for size in (20, PAGE):
        body = {
            "fields": ["name", "account.name", "owner.name"],
            "expand": ["account", "owner", "opportunity_line_items"],
            "limit": size,
        }
        q = Query.from_json(ctx, "opportunity", body)
        with CaptureQueriesContext(connection) as captured:
            query.page(ctx, q)
        counts[size] = len(captured.captured_queries)

    print()
    print(f"{'figure':<40} {'engine ms':>10} {'baseline ms':>12} {'ratio':>7}  target")
    for name, engine_ms, raw_ms, ratio, target in results:
        verdict = "ok" if ratio <= target else "MISSED"
        print(
            f"{name:<40} {engine_ms:>10.2f} {raw_ms:>12.2f} {ratio:>7.2f}  "
            f"≤ {target} {verdict}"
        )
    print(f"indexed custom field filter uses its index: {uses_index}")
    print(
        f"expand (3 expansions) queries: {counts[20]} for 20 rows, "
        f"{counts[PAGE]} for {PAGE} rows "
        f"({'independent of page size' if counts[20] == counts[PAGE] else 'GROWS'})"
    )


if __name__ == "__main__":
    main()
