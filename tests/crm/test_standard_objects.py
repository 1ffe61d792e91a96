"""Standard objects as the documents use them: the lead pipeline's
"Converted", an account's status, a contract's lifecycle and campaign
members."""

import importlib

import pytest
from django.apps import apps

from accounts import errors
from crm import records
from crm.metadata import registry
from crm.models import Account, CampaignMember, Contract, Lead, OutboxEvent, Stage
from crm.records import batch

migration = importlib.import_module("crm.migrations.0007_lifecycle_and_standard_fields")

LEAD_STAGES = [
    ("new", "open"),
    ("working", "open"),
    ("nurturing", "open"),
    ("qualified", "won"),
    ("converted", "won"),
    ("unqualified", "lost"),
]


def _stages(ctx, object_name="lead"):
    pipeline = registry.get(ctx, object_name).pipeline(None)
    return [(s.key, s.kind) for s in pipeline.stages]


def test_the_documents_batch_update_sets_a_lead_to_converted(ctx):
    assert _stages(ctx) == LEAD_STAGES
    leads = [
        records.create(ctx, "lead", data={"LastName": n, "Company": "Acme"})
        for n in ("A", "B", "C")
    ]
    results = batch.update_many(
        ctx,
        "lead",
        [
            {"Id": f"lead_{leads[0].pk.hex}", "Status": "Working"},
            {"Id": f"lead_{leads[1].pk.hex}", "Status": "Converted"},
            {"Id": f"lead_{leads[2].pk.hex}", "Status": "Nurturing"},
        ],
    )
    assert [r.action for r in results] == ["updated"] * 3
    statuses = Lead.objects.order_by("last_name").values_list("status", flat=True)
    assert list(statuses) == ["working", "converted", "nurturing"]


def test_the_migration_gives_existing_lead_pipelines_the_converted_stage(ctx):
    pipeline = registry.get(ctx, "lead").pipeline(None)
    Stage.objects.filter(pipeline_id=pipeline.id, key="converted").delete()
    Stage.objects.filter(pipeline_id=pipeline.id, key="unqualified").update(order=4)
    ctx.workspace.refresh_from_db()
    before = ctx.workspace.metadata_version
    migration.add_converted_stage(apps, None)
    migration.add_converted_stage(apps, None)  # idempotent
    ctx.workspace.refresh_from_db()
    assert ctx.workspace.metadata_version != before
    assert _stages(ctx) == LEAD_STAGES
    rows = Stage.objects.filter(pipeline_id=pipeline.id).order_by("order")
    assert [(s.key, s.order) for s in rows] == [
        ("new", 0),
        ("working", 1),
        ("nurturing", 2),
        ("qualified", 3),
        ("converted", 4),
        ("unqualified", 5),
    ]
    assert rows.get(key="converted").label == "Converted"


def test_an_account_takes_the_documents_status_by_label(ctx):
    spec = registry.get(ctx, "account").fields["status"]
    assert [(c.value, c.label) for c in spec.choices] == [
        ("prospect", "Prospect"),
        ("active_customer", "Active Customer"),
        ("inactive_customer", "Inactive Customer"),
        ("former_customer", "Former Customer"),
    ]
    account = records.create(ctx, "account", data={"Name": "Acme"})
    records.update(
        ctx,
        "account",
        account.pk,
        data={"Phone": "+1-555-9999", "Status": "Active Customer"},
    )
    assert Account.objects.get(pk=account.pk).status == "active_customer"
    with pytest.raises(errors.ValidationFailed) as caught:
        records.update(ctx, "account", account.pk, data={"status": "Gold"})
    assert (caught.value.field, caught.value.message) == (
        "status",
        "'Gold' is not a valid choice. Use one of: prospect, active_customer, "
        "inactive_customer, former_customer.",
    )


@pytest.fixture
def contract(ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    return records.create(ctx, "contract", data={"name": "MSA", "account": account.pk})


def _status(ctx, contract, status):
    return records.update(ctx, "contract", contract.pk, data={"status": status})


def test_a_contract_moves_only_along_its_lifecycle(ctx, contract):
    with pytest.raises(errors.ValidationFailed) as caught:
        _status(ctx, contract, "activated")
    assert (caught.value.field, caught.value.message) == (
        "status",
        "Status cannot go from Draft to Activated; from Draft it may go to "
        "In approval.",
    )
    assert Contract.objects.get(pk=contract.pk).status == "draft"
    assert OutboxEvent.objects.filter(record_id=contract.pk).count() == 1
    for status in ("in_approval", "draft", "in_approval", "activated", "expired"):
        assert _status(ctx, contract, status).status == status
    with pytest.raises(errors.ValidationFailed) as caught:
        _status(ctx, contract, "activated")
    assert caught.value.message == (
        "Status cannot go from Expired to Activated; Expired is final."
    )
    assert Contract.objects.get(pk=contract.pk).status == "expired"


def test_a_batch_refuses_a_contract_jump_per_row(ctx, contract):
    other = records.create(
        ctx, "contract", data={"name": "SOW", "account": contract.account_id}
    )
    results = batch.update_many(
        ctx,
        "contract",
        [
            {"id": contract.pk, "status": "in_approval"},
            {"id": other.pk, "status": "terminated"},
        ],
    )
    assert results[0].action == "updated"
    assert [(e.field, e.message) for e in results[1].errors] == [
        (
            "status",
            "Status cannot go from Draft to Terminated; from Draft it may go "
            "to In approval.",
        )
    ]
    assert dict(Contract.objects.values_list("name", "status")) == {
        "MSA": "in_approval",
        "SOW": "draft",
    }


def test_a_new_contract_may_start_in_any_status(ctx, contract):
    signed = records.create(
        ctx,
        "contract",
        data={"name": "Old", "account": contract.account_id, "status": "activated"},
    )
    assert signed.status == "activated"


@pytest.fixture
def campaign(ctx):
    return records.create(ctx, "campaign", data={"name": "Launch"})


def test_a_campaign_member_is_a_contact_or_a_lead(ctx, campaign):
    with pytest.raises(errors.ValidationFailed) as caught:
        records.create(ctx, "campaign_member", data={"campaign": campaign.pk})
    assert (caught.value.field, caught.value.message) == (
        "contact",
        "Either Contact or Lead is required.",
    )
    lead = records.create(ctx, "lead", data={"last_name": "Doe", "company": "X"})
    member = records.create(
        ctx, "campaign_member", data={"campaign": campaign.pk, "lead": lead.pk}
    )
    with pytest.raises(errors.ValidationFailed) as caught:
        records.update(ctx, "campaign_member", member.pk, data={"lead": None})
    assert caught.value.message == "Either Contact or Lead is required."
    assert CampaignMember.objects.get(pk=member.pk).lead_id == lead.pk


def test_a_person_joins_a_campaign_once(ctx, campaign):
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    lead = records.create(ctx, "lead", data={"last_name": "Roe", "company": "X"})
    first = records.create(
        ctx, "campaign_member", data={"campaign": campaign.pk, "contact": contact.pk}
    )
    records.create(
        ctx, "campaign_member", data={"campaign": campaign.pk, "lead": lead.pk}
    )
    for name, person in (("contact", contact), ("lead", lead)):
        with pytest.raises(errors.DuplicateValue) as caught:
            records.create(
                ctx, "campaign_member", data={"campaign": campaign.pk, name: person.pk}
            )
        assert caught.value.code == "duplicate_value"
        assert (caught.value.field, caught.value.message) == (
            name,
            f"Another Campaign Member already has this Campaign and {name.title()}.",
        )
    other = records.create(ctx, "campaign", data={"name": "Webinar"})
    row = {"campaign": other.pk, "contact": contact.pk}
    results = batch.create_many(ctx, "campaign_member", [row, row])
    assert [r.ok for r in results] == [True, False]
    assert results[1].error.code == "duplicate_value"
    assert CampaignMember.objects.count() == 3
    records.delete(ctx, "campaign_member", first.pk)
    again = records.create(
        ctx, "campaign_member", data={"campaign": campaign.pk, "contact": contact.pk}
    )
    assert again.deleted_at is None
