"""Record pages: the page, the stage path, create and edit forms, delete and
related lists. The timeline and the activity composers are in
test_activities.py."""

import re

import pytest
from django.urls import reverse

from crm import query, records
from crm.metadata import services as metadata
from crm.models import Deletion
from tests.views.pages import detail


def test_the_record_page_shows_header_sections_and_stage_path(admin_client, deals):
    deal = deals["Bravo"]
    response = admin_client.get(detail("opportunity", deal.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 id="record-title">Bravo</h1>' in page
    assert [c.column.name for c in response.context["key_cells"]] == [
        "amount",
        "close_date",
        "account",
        "owner",
    ]
    assert [s.title for s in response.context["sections"]] == [
        "Details",
        "Description",
        "System information",
    ]
    path = response.context["path"]
    assert [(p.stage.key, p.state) for p in path.stages][:4] == [
        ("prospecting", "done"),
        ("qualification", "done"),
        ("proposal", "current"),
        ("negotiation", "todo"),
    ]
    assert path.next.key == "negotiation"
    assert "Mark as Negotiation" in page


def test_advancing_the_stage_writes_through_the_lifecycle(admin_client, ctx, deals):
    deal = deals["Bravo"]
    response = admin_client.post(
        reverse("crm:record_stage", args=["opportunity", deal.pk]),
        {"stage": "negotiation"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-changed"
    assert 'aria-current="step"><span>Negotiation</span>' in re.sub(
        r"\s+", " ", response.content.decode()
    ).replace("> <", "><")
    row = query.get(ctx, "opportunity", deal.pk)
    assert (row["stage"], row["probability"]) == ("negotiation", 75)


def test_a_refused_stage_move_shows_the_rule_and_changes_nothing(
    admin_client, ctx, deals
):
    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="Next step first",
        condition=[["stage", "=", "negotiation"], ["next_step", "is_null"]],
        error_message="Write the next step before negotiating.",
        error_field="next_step",
    )
    deal = deals["Bravo"]
    response = admin_client.post(
        reverse("crm:record_stage", args=["opportunity", deal.pk]),
        {"stage": "negotiation"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Write the next step before negotiating." in response.content.decode()
    assert query.get(ctx, "opportunity", deal.pk)["stage"] == "proposal"


def test_creating_a_record_from_the_form(admin_client, ctx, acme):
    url = reverse("crm:record_create", args=["contact"])
    form = admin_client.get(url).content.decode()
    required = '<span class="req" aria-hidden="true"> *</span>'
    assert f'<label for="id_last_name">Last name{required}</label>' in form
    assert 'hx-get="/o/account/suggest/"' in form
    response = admin_client.post(
        url,
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ADA@example.com",
            "account": acme.pk,
        },
        follow=True,
    )
    assert "Contact created." in response.content.decode()
    contact = query.page(
        ctx, query.Query.from_json(ctx, "contact", {"q": "Lovelace"})
    ).rows[0]
    assert (contact["email"], contact["account"]) == ("ada@example.com", str(acme.pk))
    assert response.redirect_chain[-1][0] == detail("contact", contact["id"])


def test_a_refused_create_keeps_the_input_and_names_the_fields(admin_client, ctx):
    response = admin_client.post(
        reverse("crm:record_create", args=["contact"]),
        {"first_name": "Ada", "email": "not-an-email"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "Enter a valid email address." in page
    assert 'value="Ada"' in page
    assert query.count(ctx, "contact") == 0


def test_the_new_form_of_a_related_list_prefills_the_parent(admin_client, acme):
    response = admin_client.get(
        reverse("crm:record_create", args=["opportunity"]),
        {"account": acme.pk, "account__label": "Acme Corp"},
    )
    page = response.content.decode()
    assert f'name="account" value="{acme.pk}"' in page
    assert 'value="Acme Corp"' in page


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(document.domain)",
        "https://evil.example/phish",
        "//evil.example",
    ],
)
def test_the_forms_cancel_link_never_leaves_the_site(admin_client, target):
    url = reverse("crm:record_create", args=["account"])
    page = admin_client.get(url, {"next": target}).content.decode()
    cancel = re.search(r'<a[^>]*href="([^"]*)"[^>]*>Cancel</a>', page)
    assert cancel.group(1) == reverse("crm:record_list", args=["account"])


def test_the_forms_cancel_link_goes_back_to_a_page_of_the_site(admin_client):
    url = reverse("crm:record_create", args=["account"])
    page = admin_client.get(url, {"next": "/o/account/?sort=name"}).content.decode()
    assert 'href="/o/account/?sort=name"' in page


def test_editing_writes_only_what_changed(admin_client, ctx, deals):
    deal = deals["Alpha"]
    url = reverse("crm:record_edit", args=["opportunity", deal.pk])
    form = admin_client.get(url)
    assert form.status_code == 200
    data = {
        name: (value if value is not None else "")
        for name, value in form.context["form"].initial.items()
    }
    data["next_step"] = "Send proposal"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    row = query.get(ctx, "opportunity", deal.pk)
    assert (row["next_step"], row["amount"], row["name"]) == (
        "Send proposal",
        1000,
        "Alpha",
    )
    from crm.models import FieldChange

    assert list(
        FieldChange.objects.filter(record_id=deal.pk).values_list("field", flat=True)
    ) == ["next_step"]


def test_deleting_moves_the_record_and_its_children_to_the_bin(
    admin_client, ctx, acme, deals
):
    response = admin_client.post(
        reverse("crm:record_delete", args=["account", acme.pk]), follow=True
    )
    assert "“Acme Corp” moved to the recycle bin with 4 related records." in (
        response.content.decode()
    )
    deletion = Deletion.objects.get()
    assert deletion.counts == {"account": 1, "opportunity": 4}


def test_a_read_only_user_reads_but_cannot_edit_or_delete(viewer_client, ctx, deals):
    deal = deals["Alpha"]
    page = viewer_client.get(detail("opportunity", deal.pk)).content.decode()
    assert "Alpha" in page
    assert "field-edit" not in page
    assert ">Delete<" not in page
    assert (
        viewer_client.get(
            reverse("crm:record_edit", args=["opportunity", deal.pk])
        ).status_code
        == 403
    )
    refused = viewer_client.post(
        reverse("crm:record_delete", args=["opportunity", deal.pk])
    )
    assert refused.status_code == 403
    assert "You may not delete Opportunity records." in refused.content.decode()
    assert query.count(ctx, "opportunity") == 4


def test_another_workspaces_record_page_is_not_found(admin_client, other_ctx):
    theirs = records.create(other_ctx, "account", data={"name": "Globex"})
    response = admin_client.get(detail("account", theirs.pk))
    assert response.status_code == 404
    assert "Globex" not in response.content.decode()
    assert (
        admin_client.post(
            reverse("crm:record_delete", args=["account", theirs.pk])
        ).status_code
        == 404
    )


def test_an_htmx_refusal_is_sent_to_the_message_area(viewer_client, deals):
    response = viewer_client.post(
        reverse("crm:record_delete", args=["opportunity", deals["Alpha"].pk]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#toast"
    assert response.content.decode().strip() == (
        '<p class="toast-message">You may not delete Opportunity records.</p>'
    )


def test_related_lists_come_from_the_registry_lookups(
    admin_client, ctx, acme, deals, project
):
    page = admin_client.get(detail("account", acme.pk))
    related = [(r.child.api_name, r.via.name) for r in page.context["related"]]
    assert ("opportunity", "account") in related
    assert ("contact", "account") in related
    assert ("project", "client") in related
    assert not any(child in ("task", "note", "call") for child, _ in related)
    response = admin_client.get(
        reverse("crm:related_list", args=["account", acme.pk, "opportunity", "account"])
    )
    titles = re.findall(
        r'<a href="/o/opportunity/[^"]+">([^<]+)</a>', response.content.decode()
    )
    assert titles == ["Delta", "Charlie", "Bravo", "Alpha"]


def test_linking_an_existing_record_sets_its_lookup(admin_client, ctx, acme):
    loose = records.create(ctx, "contact", data={"last_name": "Loose"})
    response = admin_client.post(
        reverse("crm:related_link", args=["account", acme.pk, "contact", "account"]),
        {"child": loose.pk},
    )
    assert response.status_code == 200
    assert ">Loose</a>" in response.content.decode()
    assert query.get(ctx, "contact", loose.pk)["account"] == str(acme.pk)


def test_a_related_list_through_a_field_that_does_not_point_here_is_not_found(
    admin_client, acme
):
    url = reverse(
        "crm:related_list", args=["account", acme.pk, "opportunity", "contact"]
    )
    assert admin_client.get(url).status_code == 404


def test_inline_edit_of_a_detail_field(admin_client, ctx, deals):
    deal = deals["Alpha"]
    url = reverse("crm:record_field", args=["opportunity", deal.pk, "stage"])
    editor = admin_client.get(url, {"at": "field", "edit": "1"}).content.decode()
    assert '<option value="proposal">Proposal</option>' in editor
    saved = admin_client.post(
        f"{url}?at=field",
        {f"e{deal.pk.hex}-stage": "proposal"},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert '<span class="pill">Proposal</span>' in saved.content.decode()
    # The page's header and timeline are told to show the change too …
    assert saved["HX-Trigger"] == "record-changed, timeline-changed"
    header = admin_client.get(
        detail("opportunity", deal.pk),
        {"part": "header"},
        headers={"HX-Request": "true"},
    ).content.decode()
    # … and the header they fetch is the header alone, at the new stage.
    assert header.lstrip().startswith('<section class="record-header card"')
    current = re.search(r'aria-current="step">(.*?)</li>', header, re.S).group(1)
    assert "Proposal" in current


def test_a_custom_object_record_page_and_form(admin_client, ctx, project, acme):
    response = admin_client.post(
        reverse("crm:record_create", args=["project"]),
        {"name": "Bridge", "budget": "9000", "phase": "plan", "client": acme.pk},
    )
    assert response.status_code == 302
    pk = response.url.rstrip("/").split("/")[-1]
    page = admin_client.get(response.url).content.decode()
    assert '<h1 id="record-title">Bridge</h1>' in page
    assert "$9,000" in page
    assert f'<a href="{detail("account", acme.pk)}">Acme Corp</a>' in page
    row = query.get(ctx, "project", pk)
    assert (row["budget"], row["phase"], row["client"]) == (9000, "plan", str(acme.pk))


def test_an_invalid_field_names_its_error_and_help_for_assistive_tech(
    admin_client, ctx, project
):
    metadata.create_field(
        ctx,
        "project",
        name="code",
        label="Code",
        type="text",
        required=True,
        help_text="As on the contract",
    )
    metadata.create_field(
        ctx,
        "project",
        name="regions",
        label="Regions",
        type="multi_picklist",
        choices=["North", "South"],
        required=True,
    )
    metadata.create_field(
        ctx,
        "project",
        name="sponsor_account",
        label="Sponsor",
        type="lookup",
        target="account",
        required=True,
    )
    response = admin_client.post(reverse("crm:record_create", args=["project"]), {})
    assert response.status_code == 422
    page = response.content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    described = {}
    for tag in re.findall(r"<(?:input|select|textarea|fieldset)\b[^>]*>", page):
        if "aria-describedby" in tag:
            key = re.search(r'(?:name|class)="([^"]+)"', tag).group(1)
            described[key] = (
                re.search(r'aria-describedby="([^"]+)"', tag).group(1),
                'aria-invalid="true"' in tag,
            )
    assert described["code"] == ("id_code_helptext id_code_error", True)
    assert described["name"] == ("id_name_error", True)
    assert described["choices"] == ("id_regions_error", False)  # the fieldset
    assert described["lookup_q"] == ("id_sponsor_account_error", True)
    for names, _ in described.values():
        assert set(names.split()) <= ids  # every name points at an element
    assert '<p class="help" id="id_code_helptext">As on the contract</p>' in page
    assert "Code is required." in page


# -- "New" from a related list comes back to the record it started from ----------


def test_new_from_a_related_list_comes_back_to_the_parent_record(
    admin_client, ctx, acme
):
    related = admin_client.get(
        reverse("crm:related_list", args=["account", acme.pk, "contact", "account"]),
        {"title": "Acme Corp"},
    ).content.decode()
    new_url = re.search(
        r'<a class="button secondary small" href="([^"]+)">New</a>', related
    )
    new_url = new_url.group(1).replace("&amp;", "&")
    form = admin_client.get(new_url).content.decode()
    back = detail("account", acme.pk)
    assert f'<input type="hidden" name="next" value="{back}">' in form
    assert f'name="account" value="{acme.pk}"' in form
    response = admin_client.post(
        new_url,
        {"last_name": "Lovelace", "account": acme.pk, "next": back},
        follow=True,
    )
    assert response.redirect_chain == [(back, 302)]
    page = response.content.decode()
    assert '<h1 id="record-title">Acme Corp</h1>' in page
    assert "Contact created." in page
    contact = query.page(ctx, query.Query.from_json(ctx, "contact", {})).rows[0]
    assert contact["account"] == str(acme.pk)


@pytest.mark.parametrize(
    "target", ["https://evil.example/o/account/", "//evil.example", "javascript:x"]
)
def test_a_new_records_next_off_the_site_lands_on_the_new_record(
    admin_client, ctx, target
):
    url = reverse("crm:record_create", args=["account"])
    assert 'name="next"' not in admin_client.get(url, {"next": target}).content.decode()
    response = admin_client.post(
        f"{url}?next={target}", {"name": "Initech", "next": target}
    )
    made = query.page(ctx, query.Query.from_json(ctx, "account", {})).rows[0]
    assert response.url == detail("account", made["id"])
