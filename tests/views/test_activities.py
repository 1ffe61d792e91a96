"""The activity composers of a record page and its timeline: activities
linked by a lookup, or by an association to any object."""

import re

from django.urls import reverse

from accounts import errors
from crm import query, records
from crm.models import Association
from tests.views.pages import detail


def test_logging_a_call_adds_it_to_the_timeline(admin_client, ctx, acme):
    url = reverse("crm:activity_create", args=["account", acme.pk, "call"])
    response = admin_client.post(
        url,
        {
            "call-subject": "Intro call",
            "call-call_at": "2026-03-02T10:30",
            "call-description": "Went well",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-changed"
    assert "Call saved." in response.content.decode()
    timeline = admin_client.get(
        reverse("crm:record_timeline", args=["account", acme.pk])
    )
    page = timeline.content.decode()
    assert ">Intro call</a>" in page
    assert "Went well" in page


def test_a_refused_activity_names_the_missing_field(admin_client, ctx, acme):
    response = admin_client.post(
        reverse("crm:activity_create", args=["account", acme.pk, "task"]),
        {"task-subject": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Subject is required." in response.content.decode()
    assert query.count(ctx, "task") == 0


def test_the_timeline_merges_activities_and_field_history(admin_client, ctx, deals):
    deal = deals["Alpha"]
    records.create(
        ctx,
        "note",
        data={"title": "Budget", "body": "Approved", "opportunity": deal.pk},
    )
    records.update(ctx, "opportunity", deal.pk, data={"amount": 2000})
    page = admin_client.get(
        reverse("crm:record_timeline", args=["opportunity", deal.pk])
    ).content.decode()
    assert "Amount changed from <b>$1,000</b> to <b>$2,000</b>" in page
    assert ">Budget</a>" in page
    assert page.index("Amount changed") < page.index(">Budget</a>")  # newest first


# -- activities about any object (associations) ----------------------------------


def log(client, obj, pk, kind, **fields):
    return client.post(
        reverse("crm:activity_create", args=[obj, pk, kind]),
        {f"{kind}-{name}": value for name, value in fields.items()},
        HTTP_HX_REQUEST="true",
    )


def timeline_of(client, obj, pk) -> str:
    return client.get(reverse("crm:record_timeline", args=[obj, pk])).content.decode()


def test_a_custom_object_record_logs_activities_through_associations(
    admin_client, ctx, project
):
    bridge = records.create(ctx, "project", data={"name": "Bridge"})
    page = admin_client.get(detail("project", bridge.pk)).content.decode()
    tabs = re.findall(r'role="tab" id="tab-(\w+)"', page)
    assert tabs == ["call", "task", "note"]
    response = log(
        admin_client, "project", bridge.pk, "note", title="Kick-off", body="Agreed"
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-changed"
    assert "Note saved." in response.content.decode()
    note = query.page(ctx, query.Query.from_json(ctx, "note", {})).rows[0]
    link = Association.objects.get()
    assert (link.from_object, str(link.from_id), link.to_object, link.to_id) == (
        "note",
        note["id"],
        "project",
        bridge.pk,
    )
    page = timeline_of(admin_client, "project", bridge.pk)
    assert ">Kick-off</a>" in page
    assert "Agreed" in page


def test_a_contract_logs_a_call_and_a_task_on_its_timeline(admin_client, ctx, acme):
    contract = records.create(
        ctx, "contract", data={"name": "MSA 2026", "account": acme.pk}
    )
    log(
        admin_client,
        "contract",
        contract.pk,
        "call",
        subject="Renewal call",
        call_at="2026-03-02T10:30",
    )
    log(
        admin_client,
        "contract",
        contract.pk,
        "task",
        subject="Send countersigned copy",
        due_date="2026-03-09",
    )
    page = timeline_of(admin_client, "contract", contract.pk)
    titles = re.findall(r'<a href="/o/(?:call|task)/[^"]+">([^<]+)</a>', page)
    assert titles == ["Send countersigned copy", "Renewal call"]  # newest first
    assert sorted(
        Association.objects.values_list("from_object", "to_object", "to_id")
    ) == [("call", "contract", contract.pk), ("task", "contract", contract.pk)]
    # Another contract's timeline shows none of them.
    other = records.create(ctx, "contract", data={"name": "NDA", "account": acme.pk})
    assert "Renewal call" not in timeline_of(admin_client, "contract", other.pk)


def test_an_activity_whose_link_fails_is_not_kept(admin_client, ctx, monkeypatch):
    contract_acme = records.create(ctx, "account", data={"name": "Acme"})
    contract = records.create(
        ctx, "contract", data={"name": "MSA", "account": contract_acme.pk}
    )

    def refuse(*args, **kwargs):
        raise errors.PermissionDenied("You may not link these records.")

    monkeypatch.setattr(records, "associate", refuse)
    response = log(admin_client, "contract", contract.pk, "note", body="Lost")
    assert response.status_code == 403
    assert query.count(ctx, "note") == 0
    assert not Association.objects.exists()


def test_objects_with_an_activity_lookup_keep_using_it(admin_client, ctx, acme):
    log(admin_client, "account", acme.pk, "note", title="Met", body="Fine")
    note = query.page(ctx, query.Query.from_json(ctx, "note", {})).rows[0]
    assert note["account"] == str(acme.pk)
    assert not Association.objects.exists()


def test_the_timeline_merges_associated_activities_with_linked_ones(
    admin_client, ctx, acme
):
    records.create(
        ctx, "note", data={"title": "By lookup", "body": "1", "account": acme.pk}
    )
    loose = records.create(ctx, "note", data={"title": "By association", "body": "2"})
    records.associate(ctx, "account", acme.pk, "note", loose.pk)  # either direction
    page = timeline_of(admin_client, "account", acme.pk)
    assert re.findall(r'<a href="/o/note/[^"]+">([^<]+)</a>', page) == [
        "By association",
        "By lookup",
    ]


def test_an_associated_activity_the_user_may_not_read_is_not_shown(
    client, ctx, member, project
):
    from accounts.models import ObjectPermission

    bridge = records.create(ctx, "project", data={"name": "Bridge"})
    secret = records.create(ctx, "note", data={"title": "Secret", "body": "x"})
    records.associate(ctx, "note", secret.pk, "project", bridge.pk)
    ObjectPermission.objects.filter(object_name="note").delete()
    client.force_login(member)
    page = timeline_of(client, "project", bridge.pk)
    assert "Secret" not in page
    tabs = re.findall(
        r'role="tab" id="tab-(\w+)"',
        client.get(detail("project", bridge.pk)).content.decode(),
    )
    assert "note" not in tabs
