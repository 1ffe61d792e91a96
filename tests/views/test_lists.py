"""List views: columns, sort, the filter builder, cursor pages, inline edit
and CSV export, for standard and custom objects. Bulk actions are in
test_bulk.py, saved views in test_saved_views.py."""

import csv
import io
import re

import pytest
from django.urls import reverse

from accounts import services
from crm import query, records
from crm.metadata import services as metadata
from tests.factories import UserFactory
from tests.views.pages import list_url, names_in


def test_the_list_shows_registry_columns_and_rows_newest_first(admin_client, deals):
    response = admin_client.get(list_url("opportunity"))
    assert response.status_code == 200
    assert names_in(response) == ["Delta", "Charlie", "Bravo", "Alpha"]
    headers = [c.label for c in response.context["columns"]]
    assert headers[:2] == ["Opportunity name", "Stage"]
    page = response.content.decode()
    assert "$5,000" in page
    assert ">Acme Corp</a>" in page


def test_clicking_a_header_sorts_by_it_and_again_reverses(admin_client, deals):
    up = admin_client.get(list_url("opportunity", sort="amount", fs=1))
    assert names_in(up) == ["Charlie", "Alpha", "Bravo", "Delta"]
    assert 'aria-sort="ascending"' in up.content.decode()
    header = next(h for h in up.context["headers"] if h["col"].name == "amount")
    assert "sort=-amount" in header["params"]
    down = admin_client.get(list_url("opportunity", sort="-amount", fs=1))
    assert names_in(down) == ["Delta", "Bravo", "Alpha", "Charlie"]


def test_the_filter_builder_rows_become_objectql_filters(admin_client, deals):
    response = admin_client.get(
        list_url(
            "opportunity",
            fs=1,
            f0="stage",
            o0="in",
            v0=["proposal", "prospecting"],
            f1="amount",
            o1=">=",
            v1="1000",
        )
    )
    assert names_in(response) == ["Bravo", "Alpha"]
    assert response.context["state"].filters == [
        ["stage", "in", ["proposal", "prospecting"]],
        ["amount", ">=", "1000"],
    ]
    rows = response.context["filter_rows"]
    assert [(r.spec.name, r.op, r.values) for r in rows] == [
        ("stage", "in", ["proposal", "prospecting"]),
        ("amount", ">=", ["1000"]),
    ]


def test_a_bad_filter_is_explained_not_a_crash(admin_client, deals):
    response = admin_client.get(
        list_url("opportunity", fs=1, f0="amount", o0=">", v0="lots")
    )
    assert response.status_code == 422
    assert "Bad value for amount: Enter a number." in response.content.decode()


def operators_of(page: str, index: int) -> list[str]:
    select = re.search(rf'<select id="o{index}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select)


def test_the_filter_row_offers_the_operators_of_the_field_type(admin_client, ctx):
    url = reverse("crm:filter_row", args=["opportunity"])
    picklist = admin_client.get(url, {"i": 2, "f2": "stage"}).content.decode()
    assert operators_of(picklist, 2) == [
        "=",
        "!=",
        "in",
        "not_in",
        "is_null",
        "is_not_null",
    ]
    assert '<option value="proposal">Proposal</option>' in picklist
    date = admin_client.get(url, {"i": 0, "f0": "close_date", "o0": "last_n_days"})
    page = date.content.decode()
    assert "this_quarter" in operators_of(page, 0)
    assert '<input id="v0" name="v0" type="number" min="0" step="1"' in page


def test_searching_the_list_narrows_it(admin_client, deals):
    response = admin_client.get(list_url("opportunity", q="brav", fs=1))
    assert names_in(response) == ["Bravo"]


def test_chosen_columns_are_shown_in_the_chosen_order(admin_client, deals):
    response = admin_client.get(list_url("opportunity", c=["amount", "name"], fs=1))
    assert [c.name for c in response.context["columns"]] == ["amount", "name"]
    chosen = [s.name for s, on in response.context["choosable"] if on]
    assert chosen == ["amount", "name"]


def test_load_more_returns_the_next_rows_only(admin_client, ctx):
    for n in range(55):
        records.create(ctx, "account", data={"name": f"Account {n:02d}"})
    first = admin_client.get(list_url("account", sort="name", fs=1))
    assert len(names_in(first)) == 50
    assert first.context["page"].has_more
    more = admin_client.get(
        reverse("crm:record_list", args=["account"])
        + "?"
        + first.context["next_params"],
        HTTP_HX_REQUEST="true",
    )
    assert more.status_code == 200
    assert names_in(more) == [f"Account {n}" for n in range(50, 55)]
    assert "<html" not in more.content.decode()


def test_an_htmx_sort_returns_the_results_fragment(admin_client, deals):
    response = admin_client.get(
        list_url("opportunity", sort="name", fs=1), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "<table" in page
    assert names_in(response) == ["Alpha", "Bravo", "Charlie", "Delta"]


def test_the_list_costs_a_fixed_number_of_queries(
    rep_client, member_ctx, django_assert_max_num_queries
):
    account = records.create(member_ctx, "account", data={"name": "Parent"})
    for n in range(60):
        records.create(
            member_ctx,
            "opportunity",
            data={
                "name": f"Deal {n}",
                "amount": n,
                "stage": "proposal",
                "close_date": "2026-01-01",
                "account": account.pk,
            },
        )
    rep_client.get(list_url("opportunity"))  # warm the registry cache
    # Session, user, context (3), the page with its sharing look-up (2), one
    # per lookup column with its sharing look-up (3), saved views, members,
    # workspaces, and the session save (3): whatever the number of rows.
    with django_assert_max_num_queries(16):
        response = rep_client.get(list_url("opportunity", sort="-amount", fs=1))
    assert len(names_in(response)) == 50


def test_an_empty_list_invites_to_create(admin_client, ctx):
    page = admin_client.get(list_url("campaign")).content.decode()
    assert "No campaigns yet" in page
    assert reverse("crm:record_create", args=["campaign"]) in page


def test_a_filter_matching_nothing_offers_to_clear(admin_client, deals):
    page = admin_client.get(list_url("opportunity", q="zzz", fs=1)).content.decode()
    assert "No opportunities match" in page


def test_a_custom_object_lists_its_json_fields(admin_client, ctx, project, acme):
    records.create(
        ctx,
        "project",
        data={"name": "Roof", "budget": 1200, "phase": "Build", "client": acme.pk},
    )
    response = admin_client.get(
        list_url("project", c=["name", "budget", "phase", "client"], fs=1)
    )
    page = response.content.decode()
    assert names_in(response) == ["Roof"]
    assert "$1,200" in page
    assert '<span class="pill">Build</span>' in page
    assert ">Acme Corp</a>" in page


def test_user_values_are_escaped(admin_client, ctx):
    records.create(ctx, "account", data={"name": "<script>alert(1)</script>"})
    page = admin_client.get(list_url("account")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# -- inline edit of a cell ------------------------------------------------------


def field_url(obj, pk, name, **params):
    from urllib.parse import urlencode

    return reverse("crm:record_field", args=[obj, pk, name]) + "?" + urlencode(params)


def test_a_cell_opens_its_editor_and_saves_through_the_lifecycle(
    admin_client, ctx, deals
):
    deal = deals["Alpha"]
    editor = admin_client.get(
        field_url("opportunity", deal.pk, "amount", at="cell", edit=1)
    )
    assert editor.status_code == 200
    assert f'name="e{deal.pk.hex}-amount"' in editor.content.decode()
    saved = admin_client.post(
        field_url("opportunity", deal.pk, "amount", at="cell"),
        {f"e{deal.pk.hex}-amount": "1234.50"},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    assert "$1,234.50" in saved.content.decode()
    assert query.get(ctx, "opportunity", deal.pk)["amount"] == 1234.5


def test_a_refused_cell_value_shows_the_message_and_saves_nothing(
    admin_client, ctx, deals
):
    deal = deals["Alpha"]
    response = admin_client.post(
        field_url("opportunity", deal.pk, "name", at="cell"),
        {f"e{deal.pk.hex}-name": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Opportunity name is required." in response.content.decode()
    assert query.get(ctx, "opportunity", deal.pk)["name"] == "Alpha"


def test_a_validation_rule_refusal_is_shown_next_to_the_field(admin_client, ctx, deals):
    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="No tiny deals",
        condition=[["amount", "<", 100]],
        error_message="Deals under 100 are not worth it.",
        error_field="amount",
    )
    deal = deals["Alpha"]
    response = admin_client.post(
        field_url("opportunity", deal.pk, "amount", at="field"),
        {f"e{deal.pk.hex}-amount": "5"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="field-error"' in page
    assert "Deals under 100 are not worth it." in page
    assert query.get(ctx, "opportunity", deal.pk)["amount"] == 1000


def test_a_read_only_user_sees_no_editors_and_cannot_post(viewer_client, deals, ctx):
    page = viewer_client.get(list_url("opportunity")).content.decode()
    assert "cell-edit" not in page
    assert 'name="ids"' not in page
    deal = deals["Alpha"]
    response = viewer_client.post(
        field_url("opportunity", deal.pk, "amount", at="cell"),
        {f"e{deal.pk.hex}-amount": "1"},
    )
    assert response.status_code == 403
    assert query.get(ctx, "opportunity", deal.pk)["amount"] == 1000


def test_another_workspaces_record_is_not_found(admin_client, other_ctx):
    theirs = records.create(other_ctx, "account", data={"name": "Globex secret"})
    response = admin_client.get(field_url("account", theirs.pk, "name", at="cell"))
    assert response.status_code == 404
    assert "Globex secret" not in response.content.decode()


# -- CSV export ------------------------------------------------------------------


def test_export_writes_the_current_view_and_escapes_formulas(admin_client, ctx, acme):
    records.create(
        ctx, "account", data={"name": '=HYPERLINK("http://x")', "annual_revenue": -5}
    )
    response = admin_client.get(
        reverse("crm:record_export", args=["account"]),
        {"fs": 1, "c": ["name", "annual_revenue"], "sort": "name"},
    )
    assert response["Content-Disposition"] == 'attachment; filename="accounts.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["id", "Account name", "Annual revenue"]
    assert [r[1:] for r in rows[1:]] == [
        ['\'=HYPERLINK("http://x")', "-5"],
        ["Acme Corp", ""],
    ]


@pytest.mark.parametrize(
    "obj", ["account", "contact", "lead", "case", "task", "product"]
)
def test_every_standard_object_has_a_list(admin_client, ctx, obj):
    response = admin_client.get(list_url(obj))
    assert response.status_code == 200
    assert response.context["object_type"].api_name == obj


def test_a_person_filter_offers_me_and_every_member_the_chosen_selected(
    admin_client, workspace, owner, member
):
    odd = UserFactory(email="odd@example.com", name="<b>Odd</b> & Co")
    services.add_member(workspace, odd)
    url = reverse("crm:filter_row", args=["opportunity"])
    row = admin_client.get(url, {"i": 0, "f0": "owner", "o0": "=", "v0": member.pk})
    select = re.search(r'<select id="v0".*?</select>', row.content.decode(), re.S)
    options = re.findall(
        r'<option value="([^"]+)"( selected)?>(.*?)</option>', select.group(0)
    )
    assert options == [
        ("$currentUser", "", "Me"),
        (str(odd.pk), "", "&lt;b&gt;Odd&lt;/b&gt; &amp; Co"),
        (str(owner.pk), "", "Olivia Owner"),
        (str(member.pk), " selected", "Rita Rep"),
    ]
    page = admin_client.get(list_url("opportunity")).content.decode()
    bulk = re.search(r'<select id="bulk-owner".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)">', bulk) == [
        str(odd.pk),
        str(owner.pk),
        str(member.pk),
    ]


# -- small ones: the counter and the export's limit -------------------------------


def test_load_more_updates_the_shown_counter_out_of_band(admin_client, ctx):
    for n in range(55):
        records.create(ctx, "account", data={"name": f"Account {n:02d}"})
    first = admin_client.get(list_url("account", sort="name", fs=1))
    page = first.content.decode()
    assert '<span class="muted" id="shown-count">50+ shown</span>' in page
    more = admin_client.get(
        reverse("crm:record_list", args=["account"])
        + "?"
        + first.context["next_params"],
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert (
        '<template><span class="muted" id="shown-count" hx-swap-oob="true">'
        "55 shown</span></template>"
    ) in more


def test_an_export_past_the_limit_says_so_and_points_to_the_export_job(
    admin_client, ctx, monkeypatch
):
    from crm.views import lists

    monkeypatch.setattr(lists, "EXPORT_MAX", 3)
    monkeypatch.setattr(lists, "EXPORT_PAGE", 2)
    for n in range(5):
        records.create(ctx, "account", data={"name": f"Account {n}"})
    url = reverse("crm:record_export", args=["account"])
    response = admin_client.get(url, {"fs": 1, "c": ["name"], "sort": "name"})
    assert response["Content-Disposition"] == (
        'attachment; filename="accounts-first-3.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[1] for r in rows[1:]] == ["Account 0", "Account 1", "Account 2"]
    page = admin_client.get(list_url("account")).content.decode()
    assert "The download holds the first 3 accounts of this view only." in page
    assert "POST /api/v1/accounts/export" in page
    # A view within the limit is all there, under the plain name, without a word.
    small = admin_client.get(
        url, {"fs": 1, "c": ["name"], "f0": "name", "o0": "=", "v0": "Account 1"}
    )
    assert small["Content-Disposition"] == 'attachment; filename="accounts.csv"'
    assert (
        "The download holds"
        not in admin_client.get(list_url("account")).content.decode()
    )
