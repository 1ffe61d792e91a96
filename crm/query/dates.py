"""Relative date operators as half-open ranges [start, end) of dates.

Both back ends use these ranges, so ``this_quarter`` means the same days to the
ORM compiler and to the in-memory evaluator.
"""

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def date_range(op: str, value: int | None, now: dt.date) -> tuple[dt.date, dt.date]:
    """The days ``op`` covers, as ``(first, after_last)``."""
    one = dt.timedelta(days=1)
    week_start = now - dt.timedelta(days=now.weekday())
    month_start = now.replace(day=1)
    quarter_start = _quarter_start(now)
    year_start = dt.date(now.year, 1, 1)
    ranges = {
        "today": (now, now + one),
        "yesterday": (now - one, now),
        "tomorrow": (now + one, now + 2 * one),
        "this_week": (week_start, week_start + 7 * one),
        "last_week": (week_start - 7 * one, week_start),
        "next_week": (week_start + 7 * one, week_start + 14 * one),
        "this_month": (month_start, _add_months(month_start, 1)),
        "last_month": (_add_months(month_start, -1), month_start),
        "next_month": (_add_months(month_start, 1), _add_months(month_start, 2)),
        "this_quarter": (quarter_start, _add_months(quarter_start, 3)),
        "last_quarter": (_add_months(quarter_start, -3), quarter_start),
        "next_quarter": (_add_months(quarter_start, 3), _add_months(quarter_start, 6)),
        "this_year": (year_start, dt.date(now.year + 1, 1, 1)),
        "last_year": (dt.date(now.year - 1, 1, 1), year_start),
        "next_year": (dt.date(now.year + 1, 1, 1), dt.date(now.year + 2, 1, 1)),
    }
    if op in ranges:
        return ranges[op]
    if op == "in_year":
        return dt.date(value, 1, 1), dt.date(value + 1, 1, 1)
    if op == "last_n_days":
        return now - value * one, now + one
    if op == "next_n_days":
        return now, now + (value + 1) * one
    raise ValueError(f"not a relative date operator: {op}")
