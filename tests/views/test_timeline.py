"""The record timeline a page at a time: "Show older" continues after the
last entry shown (by moment, source and id), merging activities and field
history as the first page does, at the same cost for every page."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm import records
from crm.models import FieldChange, Note, Task
from crm.query import timeline

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
#: Where each source stands among entries of the same moment.
RANK = {name: i for i, name in enumerate((*timeline.ACTIVITIES, "history"))}


def midnight_zone() -> dt.tzinfo:
    """Where a day starts on the timeline: SQLite knows UTC only."""
    if connection.vendor == "sqlite":
        return UTC
    return timezone.get_current_timezone()


def page_of(client, url: str, *, htmx: bool = True):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def shown(page: str) -> list[str]:
    """The entries of a timeline fragment, in order: ``kind:title`` for an
    activity, ``history:<new value>`` for a change."""
    found = []
    for item in re.findall(r'<li class="timeline-item[^"]*".*?</li>', page, re.S):
        title = re.search(r'<p class="timeline-title">(.*?)</p>', item, re.S).group(1)
        link = re.search(r'<a href="/o/(\w+)/[^"]+">([^<]+)</a>', title)
        if link:
            found.append(f"{link.group(1)}:{html.unescape(link.group(2))}")
        else:
            found.append(f"history:{re.findall(r'<b>(.*?)</b>', title)[-1]}")
    return found


def older_url(page: str) -> str | None:
    found = re.search(r'<button[^>]*hx-get="([^"]+)"[^>]*>Show older</button>', page)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def busy_account(ctx, acme):
    """Acme with 79 timeline entries, some sharing a moment, and the order
    they must come in: calls, tasks (by due date, else when created), notes
    (through the lookup or associated) and the history of its website."""
    expected = []  # (moment, rank, id, label)

    def add(moment, source, pk, label):
        expected.append((moment, RANK[source], pk, label))

    for i in range(24):  # two calls an hour: each pair shares its moment
        at = START + dt.timedelta(hours=i // 2)
        call = records.create(
            ctx,
            "call",
            data={"subject": f"Call {i:02d}", "call_at": at, "account": acme.pk},
        )
        add(at, "call", call.pk, f"call:Call {i:02d}")
    for i in range(16):  # due on a day: dated from its midnight
        day = dt.date(2026, 1, 1) + dt.timedelta(days=i % 8)
        task = records.create(
            ctx,
            "task",
            data={"subject": f"Task {i:02d}", "due_date": day, "account": acme.pk},
        )
        add(
            dt.datetime.combine(day, dt.time.min, midnight_zone()),
            "task",
            task.pk,
            f"task:Task {i:02d}",
        )
    for i in range(4):  # no due date: dated when created
        task = records.create(
            ctx, "task", data={"subject": f"Open {i}", "account": acme.pk}
        )
        at = START - dt.timedelta(days=1, minutes=i)
        Task.objects.filter(pk=task.pk).update(created_at=at)
        add(at, "task", task.pk, f"task:Open {i}")
    for i in range(15):
        if i % 3:
            note = records.create(
                ctx,
                "note",
                data={"title": f"Note {i:02d}", "body": "x", "account": acme.pk},
            )
        else:  # linked the other way: an association
            note = records.create(
                ctx, "note", data={"title": f"Note {i:02d}", "body": "x"}
            )
            records.associate(ctx, "note", note.pk, "account", acme.pk)
        # Every fifth note at the midnight a task is due or a call's hour.
        at = (
            START + dt.timedelta(hours=i)
            if i % 5
            else dt.datetime(2026, 1, 3, 0, 0, tzinfo=UTC)
        )
        Note.objects.filter(pk=note.pk).update(created_at=at)
        add(at, "note", note.pk, f"note:Note {i:02d}")
    for i in range(20):
        records.update(ctx, "account", acme.pk, data={"website": f"w{i:02d}.example"})
    changes = FieldChange.objects.filter(record_id=acme.pk).order_by("pk")
    for i, change in enumerate(changes):
        # Pairs of changes share a moment, and some a call's.
        at = START + dt.timedelta(hours=i // 2, minutes=30 if i % 4 else 0)
        FieldChange.objects.filter(pk=change.pk).update(changed_at=at)
        add(at, "history", change.pk, f"history:{change.new_value}")
    expected.sort(key=lambda e: (e[0], -e[1], e[2]), reverse=True)
    return acme, [label for *_, label in expected]


# Session, user and context (3), the record's visibility (1), a page of each
# of the five activity objects (5) with its owners' names (5), the history (1):
# whatever the record holds and however far back the page is. A rep's reads
# add their grants (1) and the sharing default of each object read (6).
@pytest.mark.parametrize(("who", "most"), [("admin", 15), ("rep", 22)], ids=str)
def test_show_older_walks_the_whole_timeline_in_order_at_a_fixed_cost(
    request, who, most, busy_account, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"{who}_client")
    acme, expected = busy_account
    assert len(expected) == 79
    url = reverse("crm:record_timeline", args=["account", acme.pk])
    page_of(client, url)  # warm the registry cache
    with django_assert_max_num_queries(most):
        page = page_of(client, url)
    seen = [shown(page)]
    while older_url(page):
        with django_assert_max_num_queries(most):
            page = page_of(client, older_url(page))
        assert "<ol" not in page  # items to put in place of the button
        seen.append(shown(page))
    assert [len(entries) for entries in seen] == [30, 30, 19]
    assert [label for entries in seen for label in entries] == expected


def test_the_first_page_is_the_newest_thirty_with_a_show_older_button(
    admin_client, busy_account
):
    acme, expected = busy_account
    page = page_of(
        admin_client, reverse("crm:record_timeline", args=["account", acme.pk])
    )
    assert shown(page) == expected[:30]
    assert older_url(page).startswith(
        reverse("crm:record_timeline", args=["account", acme.pk]) + "?before="
    )


def test_a_due_date_is_shown_as_its_day(admin_client, ctx, acme):
    records.create(
        ctx,
        "task",
        data={"subject": "Renew", "due_date": "2026-03-09", "account": acme.pk},
    )
    page = page_of(
        admin_client, reverse("crm:record_timeline", args=["account", acme.pk])
    )
    assert '<time datetime="2026-03-09">Mar 9, 2026</time>' in page
    assert older_url(page) is None


def test_entries_written_while_paging_neither_repeat_nor_skip_one(
    admin_client, ctx, busy_account
):
    acme, expected = busy_account
    url = reverse("crm:record_timeline", args=["account", acme.pk])
    first = page_of(admin_client, url)
    records.create(
        ctx,
        "note",
        data={"title": "Late", "body": "x", "account": acme.pk},
    )  # the newest: on a new first page, not on the next
    second = page_of(admin_client, older_url(first))
    assert shown(second) == expected[30:60]


@pytest.mark.parametrize(
    "before",
    ["yesterday", "2026-01-01T00:00:00+00:00~meeting~1", "2026-01-01~call~x"],
)
def test_a_timeline_position_that_is_not_one_is_refused(admin_client, acme, before):
    response = admin_client.get(
        reverse("crm:record_timeline", args=["account", acme.pk]),
        {"before": before},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "That is not a position on the timeline" in response.content.decode()


def test_show_older_never_reaches_another_workspaces_record(admin_client, other_ctx):
    theirs = records.create(other_ctx, "account", data={"name": "Globex"})
    response = admin_client.get(
        reverse("crm:record_timeline", args=["account", theirs.pk]),
        {"before": "2026-01-01T00:00:00+00:00~call~" + str(theirs.pk)},
    )
    assert response.status_code == 404
