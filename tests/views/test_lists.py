"""List views: columns, sort, the filter builder, cursor pages, saved views,
inline edit, bulk actions and CSV export, for standard and custom objects."""

import csv
import io
import re

import pytest
from django.urls import reverse

from accounts import services
from crm import query, records
from crm.metadata import services as metadata
from crm.models import SavedView
from tests.factories import UserFactory


def names_in(response) -> list[str]:
    """The record titles of a list page, in order."""
    return re.findall(
        r'class="row-title" href="[^"]+">([^<]+)</a>', response.content.decode()
    )


def list_url(obj: str, **params) -> str:
    from urllib.parse import urlencode

    return reverse("crm:record_list", args=[obj]) + (
        f"?{urlencode(params, doseq=True)}" if params else ""
    )


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


# -- bulk actions ----------------------------------------------------------------


def test_bulk_delete_moves_the_selected_records_to_the_bin(admin_client, ctx, deals):
    ids = [deals["Alpha"].pk, deals["Bravo"].pk]
    response = admin_client.post(
        reverse("crm:record_bulk", args=["opportunity"]),
        {"action": "delete", "ids": ids, "next": "/o/opportunity/?fs=1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/o/opportunity/?fs=1"
    assert "2 opportunities moved to the recycle bin." in response.content.decode()
    assert names_in(response) == ["Delta", "Charlie"]


def test_bulk_owner_change_and_field_edit(admin_client, ctx, member, deals):
    url = reverse("crm:record_bulk", args=["opportunity"])
    admin_client.post(
        url, {"action": "owner", "ids": [deals["Alpha"].pk], "value": member.pk}
    )
    assert query.get(ctx, "opportunity", deals["Alpha"].pk)["owner"] == str(member.pk)
    admin_client.post(
        url,
        {
            "action": "edit",
            "ids": [deals["Alpha"].pk, deals["Bravo"].pk],
            "field": "next_step",
            "bulk-next_step": "Call",
        },
    )
    assert query.get(ctx, "opportunity", deals["Bravo"].pk)["next_step"] == "Call"


def test_a_bulk_value_its_field_refuses_changes_nothing(admin_client, ctx, deals):
    response = admin_client.post(
        reverse("crm:record_bulk", args=["opportunity"]),
        {
            "action": "edit",
            "ids": [deals["Alpha"].pk],
            "field": "amount",
            "bulk-amount": "lots",
        },
        follow=True,
    )
    assert "Nothing was changed: Enter a number." in response.content.decode()
    assert query.get(ctx, "opportunity", deals["Alpha"].pk)["amount"] == 1000


def test_bulk_edit_reports_refusals_and_keeps_the_rest(admin_client, ctx, deals):
    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="No tiny deals",
        condition=[["amount", "<", 100], ["stage", "!=", "closed_won"]],
        error_message="Deals under 100 are not worth it.",
        error_field="amount",
    )
    response = admin_client.post(
        reverse("crm:record_bulk", args=["opportunity"]),
        {
            "action": "edit",
            "ids": [deals["Alpha"].pk, deals["Delta"].pk],
            "field": "amount",
            "bulk-amount": "50",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "1 opportunity updated." in page
    assert "1 refused: Deals under 100 are not worth it." in page
    assert query.get(ctx, "opportunity", deals["Alpha"].pk)["amount"] == 1000
    assert query.get(ctx, "opportunity", deals["Delta"].pk)["amount"] == 50


def test_a_read_only_user_cannot_bulk_delete(viewer_client, ctx, deals):
    response = viewer_client.post(
        reverse("crm:record_bulk", args=["opportunity"]),
        {"action": "delete", "ids": [deals["Alpha"].pk]},
    )
    assert response.status_code == 403
    assert query.count(ctx, "opportunity") == 4


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


# -- saved views ------------------------------------------------------------------


def test_a_saved_view_keeps_filters_columns_and_sort(admin_client, ctx, deals):
    response = admin_client.post(
        reverse("crm:view_save", args=["opportunity"]),
        {
            "name": "Big proposals",
            "fs": 1,
            "f0": "stage",
            "o0": "=",
            "v0": "proposal",
            "c": ["name", "amount"],
            "sort": "-amount",
        },
    )
    view = SavedView.objects.get(name="Big proposals")
    assert response.url == f"/o/opportunity/?view={view.pk}"
    assert view.filters == [["stage", "=", "proposal"]]
    assert view.columns == ["name", "amount"]
    assert not view.is_shared
    opened = admin_client.get(list_url("opportunity", view=view.pk))
    assert names_in(opened) == ["Bravo", "Charlie"]
    assert [c.name for c in opened.context["columns"]] == ["name", "amount"]


def test_a_private_view_is_not_offered_to_others_and_a_shared_one_is(
    admin_client, ctx, member, deals, client
):
    url = reverse("crm:view_save", args=["opportunity"])
    admin_client.post(url, {"name": "Mine", "fs": 1})
    admin_client.post(url, {"name": "Team", "fs": 1, "is_shared": "1"})
    client.force_login(member)
    response = client.get(list_url("opportunity"))
    assert [v.name for v in response.context["saved_views"]] == ["Team"]
    mine = SavedView.objects.get(name="Mine")
    assert client.get(list_url("opportunity", view=mine.pk)).status_code == 404


def test_a_view_with_a_broken_filter_is_not_saved(admin_client, deals):
    response = admin_client.post(
        reverse("crm:view_save", args=["opportunity"]),
        {"name": "Bad", "fs": 1, "f0": "nope", "o0": "=", "v0": "x"},
        follow=True,
    )
    assert "Opportunity has no field &#x27;nope&#x27;." in response.content.decode()
    assert not SavedView.objects.filter(name="Bad").exists()


def test_only_the_owner_deletes_a_view(admin_client, ctx, client, member, deals):
    admin_client.post(
        reverse("crm:view_save", args=["opportunity"]),
        {"name": "Team", "fs": 1, "is_shared": "1"},
    )
    view = SavedView.objects.get(name="Team")
    client.force_login(member)
    refused = client.post(reverse("crm:view_delete", args=["opportunity", view.pk]))
    assert refused.status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()


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


# -- the bulk bar's value input is the field's own widget --------------------------


@pytest.fixture
def project_fields(ctx, project):
    """The project object with a date, a checkbox and a person field too."""
    metadata.create_field(
        ctx, "project", name="starts_on", label="Starts on", type="date"
    )
    metadata.create_field(
        ctx, "project", name="is_internal", label="Internal", type="boolean"
    )
    metadata.create_field(ctx, "project", name="sponsor", label="Sponsor", type="user")
    return project


def bulk_input(client, obj, field) -> str:
    response = client.get(reverse("crm:bulk_field", args=[obj]), {"field": field})
    assert response.status_code == 200
    return response.content.decode()


def test_the_bulk_value_is_the_widget_of_the_chosen_field(
    admin_client, ctx, owner, member, project_fields
):
    picklist = bulk_input(admin_client, "project", "phase")
    assert re.findall(r'<option value="([^"]*)"', picklist) == [
        "",
        "plan",
        "build",
        "run",
    ]
    assert '<select name="bulk-phase"' in picklist
    assert '<input type="date" name="bulk-starts_on"' in bulk_input(
        admin_client, "project", "starts_on"
    )
    assert '<input type="checkbox" name="bulk-is_internal"' in bulk_input(
        admin_client, "project", "is_internal"
    )
    lookup = bulk_input(admin_client, "project", "client")
    assert 'role="combobox"' in lookup
    assert 'hx-get="/o/account/suggest/"' in lookup
    assert '<input type="hidden" name="bulk-client"' in lookup
    person = bulk_input(admin_client, "project", "sponsor")
    assert re.findall(r'<option value="([^"]*)"', person) == [
        "",
        str(owner.pk),
        str(member.pk),
    ]
    # The list page offers them: the field select fetches the input it needs.
    page = admin_client.get(list_url("project")).content.decode()
    select = re.search(r'<select id="bulk-field".*?>', page).group(0)
    assert 'hx-get="/o/project/bulk/field/"' in select
    assert 'hx-target="#bulk-value"' in select
    assert 'name="bulk-name"' in page  # the first field's input, ready


def test_bulk_edit_sets_typed_values_from_the_widgets(
    admin_client, ctx, member, acme, project_fields
):
    ids = [
        records.create(ctx, "project", data={"name": n}).pk for n in ("Roof", "Wall")
    ]
    url = reverse("crm:record_bulk", args=["project"])
    for field, value in (
        ("phase", "build"),
        ("starts_on", "2026-04-01"),
        ("is_internal", "on"),
        ("client", str(acme.pk)),
        ("sponsor", str(member.pk)),
    ):
        response = admin_client.post(
            url, {"action": "edit", "ids": ids, "field": field, f"bulk-{field}": value}
        )
        assert response.status_code == 302
    for pk in ids:
        row = query.get(ctx, "project", pk)
        assert (
            row["phase"],
            row["starts_on"],
            row["is_internal"],
            row["client"],
            row["sponsor"],
        ) == ("build", "2026-04-01", True, str(acme.pk), str(member.pk))
    # An unticked checkbox is "no".
    admin_client.post(url, {"action": "edit", "ids": ids, "field": "is_internal"})
    assert query.get(ctx, "project", ids[0])["is_internal"] is False


def test_bulk_edit_refuses_a_read_only_field(admin_client, ctx, deals):
    response = admin_client.post(
        reverse("crm:record_bulk", args=["opportunity"]),
        {"action": "edit", "ids": [deals["Alpha"].pk], "field": "created_at"},
    )
    assert response.status_code == 422
    assert "cannot be set on many records at once" in response.content.decode()
    assert (
        admin_client.get(
            reverse("crm:bulk_field", args=["opportunity"]), {"field": "created_at"}
        ).status_code
        == 422
    )


# -- small ones: the counter, the bulk form's next, the export's limit -------------


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


def test_the_bulk_forms_next_follows_an_htmx_filter(admin_client, deals):
    response = admin_client.get(
        list_url("opportunity", fs=1, f0="stage", o0="=", v0="proposal"),
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    nexts = re.findall(
        r'<input type="hidden" name="next" value="([^"]+)" form="bulk-form">', page
    )
    assert nexts == ["/o/opportunity/?fs=1&amp;f0=stage&amp;o0=%3D&amp;v0=proposal"]


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


# -- small actions answer with HTMX: the part they change, and the message --------


def oob_messages(page: str) -> list[str]:
    """The flash messages an HTMX answer sends to the page's message area."""
    area = re.search(
        r'<div id="messages" class="messages" aria-live="polite" '
        r'hx-swap-oob="innerHTML">(.*?)</div>\s*$',
        page,
        re.S,
    )
    assert area, "no messages for the message area"
    return re.findall(
        r'<div class="flash flash-\w+" role="status">([^<]*)</div>', area.group(1)
    )


def test_the_bulk_form_posts_with_htmx_and_without(admin_client, deals):
    page = admin_client.get(list_url("opportunity")).content.decode()
    form = re.search(r'<form id="bulk-form"[^>]*>', page).group(0)
    assert 'method="post" action="/o/opportunity/bulk/"' in form
    assert 'hx-post="/o/opportunity/bulk/" hx-target="#results"' in form


def test_an_htmx_bulk_delete_answers_the_lists_rows_and_the_message(
    admin_client, ctx, deals
):
    shown_list = "/o/opportunity/?fs=1&f0=stage&o0=%3D&v0=proposal&sort=name"
    response = admin_client.post(
        reverse("crm:record_bulk", args=["opportunity"]),
        {"action": "delete", "ids": [deals["Bravo"].pk], "next": shown_list},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert names_in(response) == ["Charlie"]  # the list as it was filtered
    assert '<span class="muted" id="shown-count">1 shown</span>' in page
    nexts = re.findall(r'name="next" value="([^"]+)" form="bulk-form"', page)
    assert nexts == [shown_list.replace("&", "&amp;")]
    assert oob_messages(page) == ["1 opportunity moved to the recycle bin."]
    assert query.count(ctx, "opportunity") == 3
    # Shown once: the next page has no message left over.
    assert "moved to the recycle bin" not in (
        admin_client.get(list_url("opportunity")).content.decode()
    )


def test_an_htmx_bulk_owner_change_and_a_refused_value_answer_the_rows(
    admin_client, ctx, member, deals
):
    url = reverse("crm:record_bulk", args=["opportunity"])
    changed = admin_client.post(
        url,
        {"action": "owner", "ids": [deals["Alpha"].pk], "value": member.pk},
        headers={"HX-Request": "true"},
    )
    assert oob_messages(changed.content.decode()) == ["1 opportunity updated."]
    assert names_in(changed) == ["Delta", "Charlie", "Bravo", "Alpha"]
    assert query.get(ctx, "opportunity", deals["Alpha"].pk)["owner"] == str(member.pk)
    refused = admin_client.post(
        url,
        {
            "action": "edit",
            "ids": [deals["Alpha"].pk],
            "field": "amount",
            "bulk-amount": "lots",
        },
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 200
    assert oob_messages(refused.content.decode()) == [
        "Nothing was changed: Enter a number."
    ]
    assert query.get(ctx, "opportunity", deals["Alpha"].pk)["amount"] == 1000


def test_an_htmx_bulk_action_with_a_next_elsewhere_answers_the_plain_list(
    admin_client, deals
):
    response = admin_client.post(
        reverse("crm:record_bulk", args=["opportunity"]),
        {"action": "delete", "next": "https://evil.example/o/opportunity/?q=zzz"},
        headers={"HX-Request": "true"},
    )
    assert names_in(response) == ["Delta", "Charlie", "Bravo", "Alpha"]
    assert oob_messages(response.content.decode()) == ["Select some records first."]


def test_saving_a_view_with_htmx_answers_its_menu_title_and_popover(
    admin_client, deals
):
    response = admin_client.post(
        reverse("crm:view_save", args=["opportunity"]),
        {"name": "Proposals", "fs": 1, "f0": "stage", "o0": "=", "v0": "proposal"},
        headers={"HX-Request": "true"},
    )
    view = SavedView.objects.get(name="Proposals")
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/o/opportunity/?view={view.pk}"
    page = response.content.decode()
    assert "<html" not in page
    assert page.lstrip().startswith('<form id="view-picker"')
    assert f'<option value="{view.pk}" selected>Proposals</option>' in page
    assert '<h1 id="list-title" hx-swap-oob="true">Proposals</h1>' in page
    assert (
        '<details class="popover popover-right" id="save-view" hx-swap-oob="true">'
        in page
    )
    assert "Delete “Proposals”" in page
    assert (
        f'<input type="hidden" name="view" value="{view.pk}" form="list-controls">'
        in page
    )
    assert oob_messages(page) == ["View “Proposals” saved."]


def test_deleting_a_view_with_htmx_keeps_the_lists_filters_and_forgets_the_view(
    admin_client, deals
):
    admin_client.post(
        reverse("crm:view_save", args=["opportunity"]),
        {"name": "Proposals", "fs": 1, "f0": "stage", "o0": "=", "v0": "proposal"},
        follow=True,
    )
    view = SavedView.objects.get(name="Proposals")
    response = admin_client.post(
        reverse("crm:view_delete", args=["opportunity", view.pk]),
        # What the page's save-view form holds: the state it shows.
        {"fs": 1, "f0": "stage", "o0": "=", "v0": "proposal", "view": view.pk},
        headers={"HX-Request": "true"},
    )
    assert not SavedView.objects.exists()
    pushed = response["HX-Push-Url"]
    assert pushed.startswith("/o/opportunity/?fs=1&f0=stage&o0=%3D&v0=proposal&c=")
    assert "view=" not in pushed
    page = response.content.decode()
    assert '<h1 id="list-title" hx-swap-oob="true">All opportunities</h1>' in page
    assert "Proposals</option>" not in page
    assert "Delete “" not in page
    assert 'name="view" value=' not in page
    assert oob_messages(page) == ["View “Proposals” deleted."]


def test_a_refused_view_with_htmx_changes_nothing_and_says_why(admin_client, deals):
    response = admin_client.post(
        reverse("crm:view_save", args=["opportunity"]),
        {"name": "Bad", "fs": 1, "f0": "nope", "o0": "=", "v0": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert response["HX-Reswap"] == "none"
    assert oob_messages(response.content.decode()) == [
        "Opportunity has no field &#x27;nope&#x27;."
    ]
    assert not SavedView.objects.exists()


# -- the owner action only where records have an owner ------------------------------


@pytest.fixture
def ownerless(monkeypatch, ctx, project):
    """The project object as if it had no owner field (the registry's say)."""
    import dataclasses

    from crm.metadata import registry

    roof = records.create(ctx, "project", data={"name": "Roof"})
    real = registry.get

    def get(ctx_, name):
        found = real(ctx_, name)
        if found.api_name != "project":
            return found
        fields = {n: s for n, s in found.fields.items() if n != "owner"}
        return dataclasses.replace(found, fields=fields)

    monkeypatch.setattr(registry, "get", get)
    return roof


def test_change_owner_is_offered_only_where_records_have_an_owner(
    admin_client, ownerless
):
    page = admin_client.get(list_url("project")).content.decode()
    actions = re.search(r'<select id="bulk-action".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\w+)">', actions) == ["edit", "delete"]
    assert 'id="bulk-owner"' not in page
    # Without JavaScript the edit input, the first action's, shows.
    assert '<div data-bulk-for="edit" class="bulk-edit">' in page
    deals_page = admin_client.get(list_url("opportunity")).content.decode()
    assert '<option value="owner">Change owner</option>' in deals_page


def test_an_owner_change_on_records_without_an_owner_is_refused_up_front(
    admin_client, ctx, member, ownerless
):
    response = admin_client.post(
        reverse("crm:record_bulk", args=["project"]),
        {"action": "owner", "ids": [ownerless.pk], "value": member.pk},
    )
    assert response.status_code == 422
    assert "Projects have no owner to change." in response.content.decode()
    ownerless.refresh_from_db()
    assert ownerless.owner_id == ctx.user_id
