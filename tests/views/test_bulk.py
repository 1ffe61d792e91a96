"""The list's bulk bar: delete, owner change and bulk edit, the value input
(the chosen field's own widget), and the HTMX answers."""

import re

import pytest
from django.urls import reverse

from crm import query, records
from crm.metadata import services as metadata
from tests.views.pages import list_url, names_in, oob_messages

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


# -- bulk actions answer with HTMX: the part they change, and the message --------


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
