"""Saved views of a list: saved with their filters, columns and sort,
private or shared, deleted by their owner, with HTMX and without."""

from django.urls import reverse

from crm.models import SavedView
from tests.views.pages import list_url, names_in, oob_messages


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


# -- with HTMX: the parts they change, and the message -----------------------------


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
