"""The Django admin writes CRM records only through the lifecycle: edits, adds,
deletes to the recycle bin, restores, purges and links."""

from decimal import Decimal

from django.contrib.admin.models import LogEntry

from crm import records
from crm.metadata import registry
from crm.metadata import services as metadata_services
from crm.models import (
    Account,
    Association,
    Contact,
    CustomRecord,
    Deletion,
    FieldChange,
    Opportunity,
    OutboxEvent,
    Product,
    StageTotal,
)
from tests.admin import helpers


def test_editing_an_account_writes_history_and_an_updated_event(ops, ops_client, ctx):
    account = records.create(
        ctx, "account", data={"name": "Acme", "industry": "technology"}
    )
    object_type = registry.get(ctx, "account")
    before = object_type.snapshot(account)
    url = helpers.url(Account, "change", account.pk)
    data = {**helpers.form_data(ops_client.get(url)), "name": "Acme Corp"}
    data["annual_revenue"] = "2500000"

    response = ops_client.post(url, data)

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.annual_revenue) == ("Acme Corp", Decimal("2500000"))
    assert account.updated_by == ops
    changes = FieldChange.objects.filter(record_id=account.pk).order_by("pk")
    assert [(c.field, c.old_value, c.new_value, c.changed_by) for c in changes] == [
        ("name", "Acme", "Acme Corp", ops),
        ("annual_revenue", None, 2500000, ops),
    ]
    event = OutboxEvent.objects.get(record_id=account.pk, event="updated")
    assert event.before == before
    assert event.after == object_type.snapshot(account)
    assert (event.before["name"], event.after["name"]) == ("Acme", "Acme Corp")
    assert event.after["annual_revenue"] == 2500000
    assert event.changed == ["name", "annual_revenue"]
    assert event.user == ops
    assert event.workspace == ctx.workspace


def _assert_unchanged(record, snapshot: dict, ctx) -> None:
    object_type = registry.get(ctx, type(record).CRM.api_name)
    record.refresh_from_db()
    assert object_type.snapshot(record) == snapshot
    assert not FieldChange.objects.filter(record_id=record.pk).exists()
    assert not OutboxEvent.objects.filter(record_id=record.pk, event="updated").exists()
    assert not LogEntry.objects.exists()


def test_a_bad_email_re_renders_the_contact_form_and_changes_nothing(ops_client, ctx):
    contact = records.create(
        ctx, "contact", data={"last_name": "Doe", "email": "jane@example.com"}
    )
    snapshot = registry.get(ctx, "contact").snapshot(contact)
    url = helpers.url(Contact, "change", contact.pk)
    data = {**helpers.form_data(ops_client.get(url)), "email": "not-an-email"}

    response = ops_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": ["Enter a valid email address."]
    }
    _assert_unchanged(contact, snapshot, ctx)


def test_a_refusal_of_the_lifecycle_shows_on_the_field_and_changes_nothing(
    ops_client, ctx
):
    account = records.create(ctx, "account", data={"name": "Acme"})
    snapshot = registry.get(ctx, "account").snapshot(account)
    url = helpers.url(Account, "change", account.pk)
    # Django's CharField takes any text; the registry's phone type does not.
    data = {**helpers.form_data(ops_client.get(url)), "phone": "call me maybe"}

    response = ops_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "phone": ["Enter a phone number: digits, spaces, + ( ) - . and ext."]
    }
    assert b"Please correct the error below." in response.content
    _assert_unchanged(account, snapshot, ctx)


def test_a_validation_rule_refuses_an_admin_edit(ops_client, ctx):
    metadata_services.create_validation_rule(
        ctx,
        "account",
        name="No negative revenue",
        condition=[["annual_revenue", "<", 0]],
        error_message="Revenue cannot be negative.",
        error_field="annual_revenue",
    )
    account = records.create(ctx, "account", data={"name": "Acme"})
    snapshot = registry.get(ctx, "account").snapshot(account)
    url = helpers.url(Account, "change", account.pk)
    data = {**helpers.form_data(ops_client.get(url)), "annual_revenue": "-5"}

    response = ops_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "annual_revenue": ["Revenue cannot be negative."]
    }
    _assert_unchanged(account, snapshot, ctx)


def test_adding_an_account_creates_it_through_the_lifecycle(ops, ops_client, ctx):
    response = ops_client.post(
        helpers.url(Account, "add"),
        {"workspace": ctx.workspace.pk, "name": "Acme", "industry": "technology"},
    )

    assert response.status_code == 302
    account = Account.objects.get()
    assert (account.workspace, account.name, account.industry) == (
        ctx.workspace,
        "Acme",
        "technology",
    )
    assert (account.owner, account.created_by) == (None, ops)
    event = OutboxEvent.objects.get(record_id=account.pk)
    assert (event.event, event.after["name"], event.user) == ("created", "Acme", ops)


def test_adding_a_record_with_a_lookup_into_another_workspace_is_refused(
    ops_client, ctx, other_ctx
):
    foreign = records.create(other_ctx, "account", data={"name": "Globex"})

    response = ops_client.post(
        helpers.url(Contact, "add"),
        {"workspace": ctx.workspace.pk, "last_name": "Doe", "account": foreign.pk},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "account": [f"No account record has the id {foreign.pk}."]
    }
    assert not Contact.objects.exists()
    assert not OutboxEvent.objects.filter(object_name="contact").exists()


def test_deleting_through_the_admin_moves_the_record_to_the_recycle_bin(
    ops, ops_client, ctx
):
    account = records.create(ctx, "account", data={"name": "Acme"})
    contact = records.create(
        ctx, "contact", data={"last_name": "Doe", "account": account.pk}
    )
    url = helpers.url(Account, "delete", account.pk)
    page = ops_client.get(url).content.decode()
    assert "Move the account “Acme” to the recycle bin?" in page
    assert (
        "With them go their Contacts, Opportunities, Contracts, Cases, Tasks, "
        "Events, Notes, Calls, Emails, and any record whose custom lookup to "
        "them cascades."
    ) in page

    response = ops_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    account.refresh_from_db()
    contact.refresh_from_db()
    binned = ops_client.get(helpers.url(Account, "change", account.pk))
    assert binned.context["title"] == "View account"
    deletion = Deletion.objects.get()
    assert (deletion.object_name, deletion.record_id) == ("account", account.pk)
    assert deletion.counts == {"account": 1, "contact": 1}
    assert deletion.deleted_by == ops
    assert (account.deletion, contact.deletion) == (deletion, deletion)
    assert account.deleted_at == deletion.deleted_at
    assert contact.deleted_at == deletion.deleted_at
    events = OutboxEvent.objects.filter(event="deleted").order_by("object_name")
    assert [(e.object_name, e.record_id) for e in events] == [
        ("account", account.pk),
        ("contact", contact.pk),
    ]


def test_the_restore_action_brings_the_batch_back(ops_client, ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    contact = records.create(
        ctx, "contact", data={"last_name": "Doe", "account": account.pk}
    )
    records.delete(ctx, "account", account.pk)

    response = ops_client.post(
        helpers.url(Contact, "changelist"),
        {"action": "restore_selected", "_selected_action": [contact.pk]},
        follow=True,
    )

    account.refresh_from_db()
    contact.refresh_from_db()
    assert (account.deleted_at, account.deletion) == (None, None)
    assert (contact.deleted_at, contact.deletion) == (None, None)
    assert not Deletion.objects.exists()
    restored = OutboxEvent.objects.filter(event="restored")
    assert sorted(e.object_name for e in restored) == ["account", "contact"]
    assert [str(m) for m in response.context["messages"]] == [
        "Restored 2 records in 1 batch."
    ]


def test_the_bulk_delete_action_moves_each_record_to_the_recycle_bin(ops_client, ctx):
    first = records.create(ctx, "account", data={"name": "Acme"})
    second = records.create(ctx, "account", data={"name": "Globex"})
    url = helpers.url(Account, "changelist")
    selected = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}
    confirmation = ops_client.post(url, selected)
    assert "Move the selected accounts to the recycle bin?" in (
        confirmation.content.decode()
    )

    response = ops_client.post(url, {**selected, "post": "yes"})

    assert response.status_code == 302
    assert sorted(Deletion.objects.values_list("record_label", flat=True)) == [
        "Acme",
        "Globex",
    ]
    assert Account.objects.filter(deleted_at__isnull=False).count() == 2


def _product_in_use(ctx):
    product = records.create(ctx, "product", data={"name": "Widget"})
    deal = records.create(
        ctx, "opportunity", data={"name": "Deal", "close_date": "2026-06-30"}
    )
    records.create(
        ctx,
        "opportunity_line_item",
        data={"product": product.pk, "opportunity": deal.pk, "unit_price": 10},
    )
    return product


def test_a_refused_delete_moves_nothing_and_says_why(ops_client, ctx):
    product = _product_in_use(ctx)

    response = ops_client.post(
        helpers.url(Product, "delete", product.pk), {"post": "yes"}, follow=True
    )

    product.refresh_from_db()
    assert product.deleted_at is None
    assert not Deletion.objects.exists()
    assert not LogEntry.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Widget: 1 Opportunity Line Item still refers to this Product through "
        "Product; delete or change it first."
    ]


def test_the_deletion_admin_restores_and_purges_batches(ops_client, ctx):
    kept = records.create(ctx, "account", data={"name": "Acme"})
    purged = records.create(ctx, "account", data={"name": "Globex"})
    restore_me = records.delete(ctx, "account", kept.pk)
    purge_me = records.delete(ctx, "account", purged.pk)

    ops_client.post(
        helpers.url(Deletion, "changelist"),
        {"action": "restore_selected", "_selected_action": [restore_me.pk]},
    )
    response = ops_client.post(
        helpers.url(Deletion, "delete", purge_me.pk), {"post": "yes"}
    )

    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.deleted_at is None
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme"]
    assert not Deletion.objects.exists()


def test_editing_a_custom_record_writes_its_data_through_the_lifecycle(
    ops, ops_client, ctx
):
    metadata_services.create_object(ctx, api_name="vehicle", label="Vehicle")
    metadata_services.create_field(
        ctx, "vehicle", name="seats", label="Seats", type="number"
    )
    van = records.create(ctx, "vehicle", data={"name": "Van", "seats": 3})
    url = helpers.url(CustomRecord, "change", van.pk)
    data = {**helpers.form_data(ops_client.get(url)), "data": '{"name": "Minibus"}'}

    response = ops_client.post(url, data)

    assert response.status_code == 302
    van.refresh_from_db()
    assert van.data == {"name": "Minibus"}
    changes = FieldChange.objects.filter(record_id=van.pk).order_by("pk")
    assert [(c.field, c.old_value, c.new_value, c.changed_by) for c in changes] == [
        ("name", "Van", "Minibus", ops),
        ("seats", 3, None, ops),
    ]


def test_a_custom_record_with_an_unknown_field_is_refused(ops_client, ctx):
    metadata_services.create_object(ctx, api_name="vehicle", label="Vehicle")
    van = records.create(ctx, "vehicle", data={"name": "Van"})
    url = helpers.url(CustomRecord, "change", van.pk)
    data = {
        **helpers.form_data(ops_client.get(url)),
        "data": '{"name": "Van", "wings": 2}',
    }

    response = ops_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["wings: Vehicle has no field 'wings'."]
    }
    van.refresh_from_db()
    assert van.data == {"name": "Van"}


def test_a_bulk_delete_is_all_or_nothing(ops_client, ctx):
    in_use = _product_in_use(ctx)
    free = records.create(ctx, "product", data={"name": "Gadget"})

    response = ops_client.post(
        helpers.url(Product, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [in_use.pk, free.pk],
            "post": "yes",
        },
        follow=True,
    )

    assert list(Product.objects.filter(deleted_at__isnull=False)) == []
    assert not Deletion.objects.exists()
    assert not LogEntry.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was done. Widget: 1 Opportunity Line Item still refers to this "
        "Product through Product; delete or change it first."
    ]


def test_adding_a_link_goes_through_the_lifecycle(ops, ops_client, ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    contact = records.create(ctx, "contact", data={"last_name": "Doe"})

    response = ops_client.post(
        helpers.url(Association, "add"),
        {
            "workspace": ctx.workspace.pk,
            "from_object": "accounts",
            "from_id": account.pk,
            "to_object": "contact",
            "to_id": contact.pk,
            "label": "champion",
        },
    )

    assert response.status_code == 302
    link = Association.objects.get()
    assert (link.from_object, link.from_id, link.to_id, link.label) == (
        "account",
        account.pk,
        contact.pk,
        "champion",
    )
    assert link.created_by == ops


def test_the_purge_action_removes_the_batches_and_their_records_for_good(
    ops_client, ctx
):
    first = records.create(ctx, "account", data={"name": "Acme"})
    second = records.create(ctx, "account", data={"name": "Globex"})
    batches = [records.delete(ctx, "account", r.pk).pk for r in (first, second)]

    response = ops_client.post(
        helpers.url(Deletion, "changelist"),
        {"action": "delete_selected", "_selected_action": batches, "post": "yes"},
    )

    assert response.status_code == 302
    assert not Deletion.objects.exists()
    assert not Account.objects.exists()


def test_the_recount_action_rebuilds_a_workspaces_pipeline_totals(ops_client, ctx):
    deal = records.create(
        ctx,
        "opportunity",
        data={"name": "Raw", "stage": "proposal", "close_date": "2026-12-31"},
    )
    Opportunity.objects.filter(pk=deal.pk).update(stage="closed_won")  # by SQL
    stale = StageTotal.objects.get(workspace=ctx.workspace, stage="proposal")

    ops_client.post(
        helpers.url(StageTotal, "changelist"),
        {"action": "recount", "_selected_action": [stale.pk]},
    )

    kept = StageTotal.objects.filter(workspace=ctx.workspace)
    assert list(kept.values_list("stage", "count")) == [("closed_won", 1)]
