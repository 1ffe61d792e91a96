import datetime as dt
from decimal import Decimal

import pytest

from accounts import errors
from crm import records
from crm.metadata import registry
from crm.metadata import services as metadata
from crm.models import Account, Contact, FieldChange, Opportunity, OutboxEvent
from tests.records import STANDARD_OBJECTS, sample_data

#: Parents first, so every lookup a child needs already exists.
CREATION_ORDER = (
    "account",
    "contact",
    "lead",
    "campaign",
    "opportunity",
    "product",
    "price",
    "quote",
    "contract",
    "case",
    "campaign_member",
    "opportunity_line_item",
    "quote_line_item",
    "task",
    "event",
    "note",
    "call",
    "email",
)


def test_creation_order_covers_every_standard_object():
    assert set(CREATION_ORDER) == set(STANDARD_OBJECTS)


def test_every_standard_object_is_created_with_a_created_event(ctx):
    parents = {"user": ctx.user.pk}
    for name in CREATION_ORDER:
        object_type = registry.get(ctx, name)
        record = records.create(ctx, name, data=sample_data(object_type, parents))
        parents[name] = record.pk
        event = OutboxEvent.objects.get(record_id=record.pk)
        assert (event.object_name, event.event, event.before) == (name, "created", None)
        assert event.after == object_type.snapshot(record)
        assert event.user_id == ctx.user.pk
        assert record.owner_id == ctx.user.pk
        assert record.created_by_id == ctx.user.pk


def test_create_cleans_values_and_fills_defaults(ctx):
    account = records.create(
        ctx,
        "account",
        data={
            "Name": "  Acme  ",
            "AnnualRevenue": "5,000,000",
            "Industry": "Technology",
            "Website": "acme.example",
        },
    )
    account.refresh_from_db()
    assert account.name == "Acme"
    assert account.annual_revenue == Decimal("5000000.00")
    assert account.industry == "technology"
    assert account.website == "https://acme.example"


def test_create_reports_every_bad_field_and_writes_nothing(ctx):
    """Bad values and missing required fields are reported together."""
    with pytest.raises(errors.ValidationFailed) as caught:
        records.create(
            ctx,
            "contact",
            data={"email": "not-an-email", "birthdate": "31/12/1990", "shoe_size": 9},
        )
    fields = {d.field: d.message for d in caught.value.details}
    assert fields == {
        "email": "Enter a valid email address.",
        "birthdate": "Enter a date as YYYY-MM-DD.",
        "shoe_size": "Contact has no field 'shoe_size'.",
        "last_name": "Last name is required.",
    }
    assert Contact.objects.count() == 0
    assert OutboxEvent.objects.count() == 0


def test_required_fields_are_named(ctx):
    with pytest.raises(errors.ValidationFailed) as caught:
        records.create(ctx, "opportunity", data={"amount": 10})
    assert [(d.field, d.message) for d in caught.value.details] == [
        ("name", "Opportunity name is required."),
        ("close_date", "Close date is required."),
    ]


@pytest.mark.parametrize("field", ["id", "created_at", "is_closed", "CreatedDate"])
def test_read_only_fields_are_refused(ctx, field):
    with pytest.raises(errors.ValidationFailed, match="read-only"):
        records.create(
            ctx,
            "opportunity",
            data={"name": "X", "close_date": "2026-01-01", field: "2026-01-01"},
        )
    assert Opportunity.objects.count() == 0


def test_a_bad_picklist_value_lists_the_allowed_ones(ctx):
    with pytest.raises(errors.ValidationFailed) as caught:
        records.create(ctx, "account", data={"name": "A", "industry": "Space Piracy"})
    assert caught.value.field == "industry"
    assert caught.value.message.startswith(
        "'Space Piracy' is not a valid choice. Use one of: "
    )


def test_a_lookup_must_name_a_live_record_of_the_target_object(ctx):
    account = records.create(ctx, "account", data={"name": "A"})
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})
    with pytest.raises(errors.ValidationFailed) as caught:
        records.create(
            ctx,
            "opportunity",
            data={"name": "O", "close_date": "2026-05-01", "account": str(contact.pk)},
        )
    assert caught.value.field == "account"
    opp = records.create(
        ctx,
        "opportunity",
        data={
            "name": "O",
            "close_date": "2026-05-01",
            "AccountId": f"acc_{account.pk.hex}",
        },
    )
    assert opp.account_id == account.pk


def test_update_writes_history_and_an_event_with_before_and_after(ctx):
    account = records.create(
        ctx, "account", data={"name": "Acme", "phone": "+1 555 0100"}
    )
    records.update(
        ctx, "account", account.pk, data={"phone": "+1 555 0199", "rating": "hot"}
    )
    changes = FieldChange.objects.filter(record_id=account.pk).order_by("field")
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("phone", "+1 555 0100", "+1 555 0199"),
        ("rating", "", "hot"),
    ]
    event = OutboxEvent.objects.filter(record_id=account.pk, event="updated").get()
    assert (event.before["phone"], event.after["phone"]) == (
        "+1 555 0100",
        "+1 555 0199",
    )
    assert sorted(event.changed) == ["phone", "rating"]


def test_an_update_that_changes_nothing_writes_nothing(ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    stamp = Account.objects.get(pk=account.pk).updated_at
    records.update(ctx, "account", account.pk, data={"Name": "Acme"})
    assert Account.objects.get(pk=account.pk).updated_at == stamp
    assert OutboxEvent.objects.filter(record_id=account.pk).count() == 1
    assert not FieldChange.objects.exists()


def test_a_failed_update_changes_nothing(ctx):
    account = records.create(
        ctx, "account", data={"name": "Acme", "phone": "+1 555 0100"}
    )
    with pytest.raises(errors.ValidationFailed):
        records.update(
            ctx, "account", account.pk, data={"phone": "+1 555 0199", "name": ""}
        )
    account.refresh_from_db()
    assert (account.name, account.phone) == ("Acme", "+1 555 0100")
    assert OutboxEvent.objects.filter(record_id=account.pk).count() == 1


def test_replace_resets_fields_that_are_not_given(ctx):
    account = records.create(
        ctx,
        "account",
        data={"name": "Acme", "phone": "+1 555 0100", "industry": "finance"},
    )
    records.replace(ctx, "account", account.pk, data={"name": "Acme Two"})
    account.refresh_from_db()
    assert (account.name, account.phone, account.industry) == ("Acme Two", "", "")
    assert account.owner_id == ctx.user.pk


def test_replace_refuses_a_body_without_required_fields(ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    with pytest.raises(errors.ValidationFailed, match="Account name is required"):
        records.replace(ctx, "account", account.pk, data={"phone": "+1 555 0100"})


def test_a_new_opportunity_starts_in_the_first_stage_with_its_probability(ctx):
    opp = records.create(
        ctx, "opportunity", data={"name": "Deal", "close_date": "2026-06-30"}
    )
    assert (opp.pipeline, opp.stage, opp.probability, opp.is_closed) == (
        "sales",
        "prospecting",
        Decimal(10),
        False,
    )


def test_moving_to_a_won_stage_closes_and_emits_stage_changed(ctx):
    opp = records.create(
        ctx, "opportunity", data={"name": "Deal", "close_date": "2026-06-30"}
    )
    records.update(ctx, "opportunity", opp.pk, data={"Stage": "Closed Won"})
    opp.refresh_from_db()
    assert (opp.stage, opp.is_closed, opp.is_won, opp.probability) == (
        "closed_won",
        True,
        True,
        Decimal(100),
    )
    assert opp.closed_at is not None
    kinds = list(
        OutboxEvent.objects.filter(record_id=opp.pk)
        .order_by("pk")
        .values_list("event", flat=True)
    )
    assert kinds == ["created", "updated", "stage_changed"]
    records.update(ctx, "opportunity", opp.pk, data={"stage": "negotiation"})
    opp.refresh_from_db()
    assert (opp.is_closed, opp.is_won, opp.closed_at) == (False, False, None)


def test_a_stage_of_another_pipeline_is_refused(ctx):
    metadata.create_pipeline(
        ctx,
        "opportunity",
        key="renewals",
        label="Renewals",
        stages=[{"key": "up_for_renewal"}, {"key": "renewed", "kind": "won"}],
    )
    with pytest.raises(
        errors.ValidationFailed, match="not a stage of the Sales pipeline"
    ):
        records.create(
            ctx,
            "opportunity",
            data={"name": "D", "close_date": "2026-01-01", "stage": "renewed"},
        )
    opp = records.create(
        ctx,
        "opportunity",
        data={"name": "D", "close_date": "2026-01-01", "pipeline": "renewals"},
    )
    assert opp.stage == "up_for_renewal"


def test_a_validation_rule_refuses_a_matching_write_with_its_message(ctx):
    metadata.create_validation_rule(
        ctx,
        "opportunity",
        name="amount_in_negotiation",
        condition=[["stage", "=", "negotiation"], ["amount", "is_null"]],
        error_message="Amount is required when moving to Negotiation",
        error_field="amount",
    )
    opp = records.create(
        ctx, "opportunity", data={"name": "Deal", "close_date": "2026-06-30"}
    )
    with pytest.raises(errors.ValidationFailed) as caught:
        records.update(ctx, "opportunity", opp.pk, data={"stage": "negotiation"})
    assert (caught.value.field, caught.value.message) == (
        "amount",
        "Amount is required when moving to Negotiation",
    )
    opp.refresh_from_db()
    assert opp.stage == "prospecting"
    records.update(
        ctx, "opportunity", opp.pk, data={"stage": "negotiation", "amount": 5000}
    )
    opp.refresh_from_db()
    assert opp.stage == "negotiation"


def test_unique_fields_refuse_a_duplicate_in_the_same_workspace(ctx, other_ctx):
    records.create(ctx, "product", data={"name": "Widget", "product_code": "W-1"})
    with pytest.raises(errors.DuplicateValue) as caught:
        records.create(ctx, "product", data={"name": "Widget 2", "product_code": "w-1"})
    assert caught.value.code == "duplicate_value"
    assert caught.value.field == "product_code"
    records.create(other_ctx, "product", data={"name": "Widget", "product_code": "W-1"})


def test_unique_custom_fields_are_enforced(ctx):
    metadata.create_field(
        ctx,
        "contact",
        name="employee_no",
        label="Employee no",
        type="number",
        unique=True,
    )
    records.create(ctx, "contact", data={"last_name": "A", "employee_no": 7})
    with pytest.raises(errors.DuplicateValue):
        records.create(ctx, "contact", data={"last_name": "B", "employee_no": "7"})


def test_derived_columns_follow_the_row(ctx):
    contact = records.create(
        ctx, "contact", data={"first_name": "Ada", "last_name": "Lovelace"}
    )
    assert contact.name == "Ada Lovelace"
    account = records.create(ctx, "account", data={"name": "A"})
    contract = records.create(
        ctx,
        "contract",
        data={
            "name": "MSA",
            "account": account.pk,
            "start_date": "2026-01-31",
            "term_months": 1,
        },
    )
    assert contract.end_date == dt.date(2026, 2, 27)


def test_a_custom_required_field_with_a_default_is_filled(ctx):
    metadata.create_field(
        ctx,
        "lead",
        name="region",
        label="Region",
        type="picklist",
        choices=["EMEA", "AMER"],
        required=True,
        default="amer",
    )
    lead = records.create(ctx, "lead", data={"last_name": "Doe", "company": "Initech"})
    assert lead.custom == {"region": "amer"}
    assert lead.status == "new"


def test_clearing_a_column_with_a_default_restores_the_default(ctx):
    event = records.create(
        ctx,
        "event",
        data={
            "subject": "Demo",
            "start_at": "2026-03-12T14:00:00Z",
            "is_all_day": None,
        },
    )
    assert event.is_all_day is False
    campaign = records.create(ctx, "campaign", data={"name": "Launch", "status": None})
    assert campaign.status == "planned"
