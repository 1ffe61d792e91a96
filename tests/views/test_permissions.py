"""Refusals of the profile, screen by screen: a read-only user may read but
not write (403, nothing changed), and an object the profile cannot read does
not exist for its user (404: no list, export, search hit or typeahead)."""

import re

import pytest
from django.urls import reverse

from accounts.models import ObjectPermission
from crm import query, records
from crm.models import Association


def refused(response, status=403):
    assert response.status_code == status, response.content.decode()[:300]
    return response.content.decode()


def test_a_read_only_user_cannot_create_a_record(viewer_client, ctx):
    url = reverse("crm:record_create", args=["account"])
    refused(viewer_client.get(url))
    page = refused(viewer_client.post(url, {"name": "Initech"}))
    assert "You may not create Account records." in page
    assert query.count(ctx, "account") == 0


@pytest.mark.parametrize("parent", ["account", "contract"])
def test_a_read_only_user_cannot_log_an_activity(viewer_client, ctx, acme, parent):
    pk = acme.pk
    if parent == "contract":
        pk = records.create(
            ctx, "contract", data={"name": "MSA", "account": acme.pk}
        ).pk
    response = viewer_client.post(
        reverse("crm:activity_create", args=[parent, pk, "note"]),
        {"note-title": "Sneaky", "note-body": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert refused(response).strip() == (
        '<p class="toast-message">You may not create Note records.</p>'
    )
    assert response["HX-Retarget"] == "#toast"
    assert query.count(ctx, "note") == 0
    assert not Association.objects.exists()
    page = viewer_client.get(reverse("crm:record_detail", args=[parent, pk]))
    assert 'role="tab"' not in page.content.decode()


def test_a_read_only_user_cannot_link_a_related_record(viewer_client, ctx, acme):
    loose = records.create(ctx, "contact", data={"last_name": "Loose"})
    page = refused(
        viewer_client.post(
            reverse(
                "crm:related_link", args=["account", acme.pk, "contact", "account"]
            ),
            {"child": loose.pk},
        )
    )
    assert "You may not edit Contact records." in page
    assert query.get(ctx, "contact", loose.pk)["account"] is None


@pytest.mark.parametrize("htmx", [False, True])
def test_a_read_only_user_cannot_move_a_stage(viewer_client, ctx, deals, htmx):
    deal = deals["Alpha"]
    headers = {"HX-Request": "true"} if htmx else {}
    page = refused(
        viewer_client.post(
            reverse("crm:record_stage", args=["opportunity", deal.pk]),
            {"stage": "proposal"},
            headers=headers,
        )
    )
    assert "You may not edit Opportunity records." in page
    assert query.get(ctx, "opportunity", deal.pk)["stage"] == "prospecting"
    detail = viewer_client.get(
        reverse("crm:record_detail", args=["opportunity", deal.pk])
    )
    assert "crm:record_stage" not in detail.content.decode()
    assert "/stage/" not in detail.content.decode()


def test_a_read_only_user_cannot_move_a_card_and_gets_the_message(
    viewer_client, ctx, deals
):
    deal = deals["Alpha"]
    response = viewer_client.post(
        reverse("crm:board_move", args=["opportunity", deal.pk]),
        {"stage": "proposal"},
        HTTP_HX_REQUEST="true",
    )
    assert "You may not edit Opportunity records." in refused(response)
    assert response["HX-Retarget"] == "#toast"
    assert query.get(ctx, "opportunity", deal.pk)["stage"] == "prospecting"


@pytest.mark.parametrize(
    ("action", "extra", "message"),
    [
        ("delete", {}, "You may not delete Opportunity records."),
        ("owner", {"value": "x"}, "You may not edit Opportunity records."),
        (
            "edit",
            {"field": "next_step", "bulk-next_step": "Call"},
            "You may not edit Opportunity records.",
        ),
    ],
)
def test_a_read_only_user_cannot_run_bulk_actions(
    viewer_client, ctx, owner, deals, action, extra, message
):
    ids = [deals["Alpha"].pk, deals["Bravo"].pk]
    page = refused(
        viewer_client.post(
            reverse("crm:record_bulk", args=["opportunity"]),
            {"action": action, "ids": ids, **extra},
        )
    )
    assert message in page
    assert query.count(ctx, "opportunity") == 4
    for pk in ids:
        row = query.get(ctx, "opportunity", pk)
        assert (row["owner"], row["next_step"]) == (str(owner.pk), "")
    # Nor with nothing selected: the refusal comes first.
    refused(
        viewer_client.post(
            reverse("crm:record_bulk", args=["opportunity"]), {"action": action}
        )
    )


def test_a_read_only_user_gets_no_bulk_value_input(viewer_client, deals):
    refused(
        viewer_client.get(
            reverse("crm:bulk_field", args=["opportunity"]), {"field": "stage"}
        )
    )


def test_a_read_only_user_cannot_open_or_save_an_inline_editor(
    viewer_client, ctx, deals
):
    deal = deals["Alpha"]
    url = reverse("crm:record_field", args=["opportunity", deal.pk, "name"])
    refused(viewer_client.get(url, {"at": "cell", "edit": "1"}))
    refused(viewer_client.get(url, {"at": "field", "edit": "1"}))
    refused(
        viewer_client.post(
            f"{url}?at=field",
            {f"e{deal.pk.hex}-name": "Renamed"},
            HTTP_HX_REQUEST="true",
        )
    )
    assert query.get(ctx, "opportunity", deal.pk)["name"] == "Alpha"
    shown = viewer_client.get(url, {"at": "cell"})
    assert shown.status_code == 200
    assert "cell-edit" not in shown.content.decode()


# -- an object the profile cannot read ---------------------------------------------


@pytest.fixture
def hidden_project(ctx, project):
    """A project record, on an object the Standard User profile cannot read."""
    bridge = records.create(ctx, "project", data={"name": "Hidden bridge"})
    ObjectPermission.objects.filter(object_name="project").delete()
    return bridge


def test_an_unreadable_object_cannot_be_exported(rep_client, hidden_project):
    response = rep_client.get(
        reverse("crm:record_export", args=["project"]), {"fs": 1, "c": ["name"]}
    )
    page = refused(response, 404)
    assert "Hidden bridge" not in page
    assert response.get("Content-Disposition") is None


def test_an_unreadable_object_cannot_be_listed_or_searched(rep_client, hidden_project):
    list_url = reverse("crm:record_list", args=["project"])
    assert "Hidden bridge" not in refused(
        rep_client.get(list_url, {"q": "bridge"}), 404
    )
    assert "Hidden bridge" not in refused(
        rep_client.get(list_url, {"q": "bridge"}, HTTP_HX_REQUEST="true"), 404
    )
    page = rep_client.get(reverse("crm:search"), {"q": "bridge"}).content.decode()
    assert "Hidden bridge" not in page
    assert "/o/project/" not in page
    dropdown = rep_client.get(reverse("crm:search"), {"q": "bridge", "dropdown": "1"})
    assert "Hidden bridge" not in dropdown.content.decode()
    refused(rep_client.get(reverse("crm:filter_row", args=["project"]), {"i": 0}), 404)
    refused(
        rep_client.get(
            reverse("crm:record_detail", args=["project", hidden_project.pk])
        ),
        404,
    )


def test_an_unreadable_object_offers_no_typeahead(rep_client, hidden_project):
    response = rep_client.get(
        reverse("crm:lookup_suggest", args=["project"]), {"lookup_q": "bridge"}
    )
    assert "Hidden bridge" not in refused(response, 404)


def test_the_admin_still_finds_what_a_profile_hides(admin_client, hidden_project):
    page = admin_client.get(reverse("crm:search"), {"q": "bridge"}).content.decode()
    assert re.search(r">Hidden bridge<", page)
