"""The global search box, lookup typeaheads and the home dashboard."""

import json
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import records
from crm.views.records import RECENT_KEY


def test_global_search_finds_records_of_every_readable_object(
    admin_client, ctx, acme, deals, project
):
    records.create(ctx, "contact", data={"last_name": "Acmeson"})
    records.create(ctx, "project", data={"name": "Acme rollout"})
    response = admin_client.get(reverse("crm:search"), {"q": "acme"})
    groups = {
        t.api_name: [h.name for h in hits] for t, hits in response.context["groups"]
    }
    assert groups["account"] == ["Acme Corp"]
    assert groups["contact"] == ["Acmeson"]
    assert groups["project"] == ["Acme rollout"]


def test_the_search_dropdown_is_a_fragment(admin_client, acme):
    response = admin_client.get(
        reverse("crm:search"), {"q": "acme", "dropdown": "1"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    url = reverse("crm:record_detail", args=["account", acme.pk])
    assert f'href="{url}">Acme Corp</a>' in page


def test_search_never_shows_another_workspace(admin_client, other_ctx, ctx):
    records.create(other_ctx, "account", data={"name": "Acme of Globex"})
    page = admin_client.get(reverse("crm:search"), {"q": "acme"}).content.decode()
    assert "Acme of Globex" not in page
    assert "Nothing matches “acme”." in page


def test_the_lookup_typeahead_suggests_records_of_the_target(admin_client, ctx, acme):
    records.create(ctx, "account", data={"name": "Zenith"})
    response = admin_client.get(
        reverse("crm:lookup_suggest", args=["account"]), {"lookup_q": "zen"}
    )
    options = re.findall(
        r'data-value="([^"]+)" tabindex="-1">([^<]+)</li>', response.content.decode()
    )
    assert [label for _, label in options] == ["Zenith"]


def test_home_shows_my_deals_by_stage_and_month_and_my_tasks(
    admin_client, ctx, deals, owner
):
    records.create(
        ctx, "task", data={"subject": "Call Acme back", "due_date": "2020-01-01"}
    )
    records.create(
        ctx,
        "task",
        data={
            "subject": "Done already",
            "due_date": "2020-01-01",
            "status": "completed",
        },
    )
    response = admin_client.get(reverse("crm:home"))
    data = response.context["deals"]
    assert [(s["label"], s["count"], s["amount"]) for s in data["stages"]] == [
        ("Prospecting", 1, 1000),
        ("Proposal", 2, 5250),
    ]
    assert [(m["label"], m["amount"]) for m in data["months"]] == [("2026-06", 6250)]
    assert data["open_count"] == 3
    page = response.content.decode()
    chart = json.loads(
        re.search(
            r'<script id="dashboard-data" type="application/json">(.*?)</script>', page
        ).group(1)
    )
    assert [s["label"] for s in chart["stages"]] == ["Prospecting", "Proposal"]
    assert "Call Acme back" in page
    assert "Overdue" in page
    assert "Done already" not in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page


def test_recent_records_are_the_ones_opened_last(admin_client, acme, deals):
    admin_client.get(reverse("crm:record_detail", args=["account", acme.pk]))
    admin_client.get(
        reverse("crm:record_detail", args=["opportunity", deals["Bravo"].pk])
    )
    recent = admin_client.get(reverse("crm:home")).context["recent"]
    assert [title for _, _, title, _ in recent] == ["Bravo", "Acme Corp"]


def test_recent_records_show_only_what_still_exists_and_may_be_read(
    client, ctx, member, member_ctx
):
    from accounts.models import ObjectPermission

    mine = records.create(member_ctx, "account", data={"name": "Initech"})
    gone = records.create(member_ctx, "account", data={"name": "Gone Ltd"})
    deal = records.create(
        member_ctx,
        "opportunity",
        data={"name": "Big", "stage": "proposal", "close_date": "2026-06-30"},
    )
    note = records.create(member_ctx, "note", data={"title": "Secret", "body": "x"})
    client.force_login(member)
    for obj, pk in (
        ("note", note.pk),
        ("opportunity", deal.pk),
        ("account", gone.pk),
        ("account", mine.pk),
    ):
        assert (
            client.get(reverse("crm:record_detail", args=[obj, pk])).status_code == 200
        )
    records.delete(member_ctx, "account", gone.pk)
    records.update(ctx, "opportunity", deal.pk, data={"name": "Bigger"})
    ObjectPermission.objects.filter(object_name="note").delete()  # notes: unreadable
    page = client.get(reverse("crm:home")).content.decode()
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a> <span class="tag">', page)
    assert links == [
        (reverse("crm:record_detail", args=["account", mine.pk]), "Initech"),
        (reverse("crm:record_detail", args=["opportunity", deal.pk]), "Bigger"),
    ]
    assert [e[1:3] for e in client.session[RECENT_KEY]] == [
        [str(mine.pk), "Initech"],
        [str(deal.pk), "Bigger"],
    ]


def test_recent_records_cost_one_query_per_object(admin_client, ctx, acme, deals):
    def home_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse("crm:home")).status_code == 200
        return len(captured.captured_queries)

    home_queries()  # warm the registry cache
    without = home_queries()
    opened = [("account", acme.pk)] + [("opportunity", d.pk) for d in deals.values()]
    contact = records.create(ctx, "contact", data={"last_name": "Lovelace"})
    for obj, pk in [*opened, ("contact", contact.pk)]:
        admin_client.get(reverse("crm:record_detail", args=[obj, pk]))
    assert len(admin_client.session[RECENT_KEY]) == 6
    assert home_queries() == without + 3  # accounts, opportunities, contacts
