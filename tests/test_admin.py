"""The Django admin for ops: registered for every model, derived from the
registry, and writing records only through the lifecycle."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_grant_model

from accounts import credentials, oauth
from accounts.models import (
    OAuthGrantWorkspace,
    PersonalAccessToken,
    PublicGroup,
    User,
    Workspace,
)
from api.models import IdempotencyKey
from crm import admin as crm_admin
from crm import job_runner, jobs, records, saved_views
from crm.metadata import registry
from crm.metadata import services as metadata_services
from crm.models import (
    STANDARD_MODELS,
    Account,
    Association,
    Contact,
    CustomRecord,
    Deletion,
    FieldChange,
    Job,
    JobChunk,
    JobError,
    ObjectDefinition,
    ObjectSharing,
    Opportunity,
    OutboxEvent,
    Product,
    SharingRule,
    Stage,
    ValidationRule,
)
from tests.conftest import PASSWORD
from tests.records import STANDARD_OBJECTS, sample_data
from webhooks import dispatch as webhook_dispatch
from webhooks import services as webhook_services
from webhooks.models import Delivery, DispatchCursor, PublishedEvent, Subscription

FIRST_PARTY_APPS = ("accounts", "crm", "api", "webhooks", "ai")
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.fixture
def ops(db):
    return User.objects.create_superuser("ops@example.com", PASSWORD, name="Ops")


@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


def _one_of_each(ctx) -> dict:
    """One record of every standard object, parents first, through the lifecycle."""
    made: dict = {}
    pending = list(STANDARD_OBJECTS)
    while pending:
        ready = [
            name
            for name in pending
            if all(
                spec.target in made
                for spec in registry.get(ctx, name).lookups
                if spec.required
            )
        ]
        assert ready, f"cannot create {pending}"
        for name in ready:
            object_type = registry.get(ctx, name)
            parents = {target: record.pk for target, record in made.items()}
            made[name] = records.create(
                ctx, name, data=sample_data(object_type, parents)
            )
            pending.remove(name)
    return made


@pytest.fixture
def rows(ctx) -> dict:
    """A real row of every first-party model, keyed by model (others are found
    by ``first()``). A new model needs a row here for the page test to pass."""
    subscription, _ = webhook_services.create(
        ctx, name="Sync", object_name="account", url="https://93.184.215.14/hook"
    )
    made = _one_of_each(ctx)
    definition = metadata_services.create_object(
        ctx, api_name="vehicle", label="Vehicle"
    )
    field = metadata_services.create_field(
        ctx, "account", name="tier", label="Tier", type="picklist", choices=["Gold"]
    )
    rule = metadata_services.create_validation_rule(
        ctx,
        "account",
        name="No negative revenue",
        condition=[["annual_revenue", "<", 0]],
        error_message="Revenue cannot be negative.",
        error_field="annual_revenue",
    )
    vehicle = records.create(ctx, "vehicle", data={"name": "Van"})
    account, contact = made["account"], made["contact"]
    link = records.associate(ctx, "account", account.pk, "contact", contact.pk)
    records.update(ctx, "account", account.pk, data={"name": "Acme Renamed"})
    spare = records.create(ctx, "task", data={"subject": "Throw away"})
    deletion = records.delete(ctx, "task", spare.pk)
    group = PublicGroup.objects.create(workspace=ctx.workspace, name="EMEA")
    group.members.add(ctx.user)
    membership = ctx.user.memberships.get()
    sharing = ObjectSharing.objects.create(
        workspace=ctx.workspace, object_name="account", access="private"
    )
    sharing_rule = SharingRule.objects.create(
        workspace=ctx.workspace,
        object_name="account",
        name="EMEA to the CEO",
        owned_by_group=group,
        shared_with_role=membership.role,
    )
    saved_views.save(
        ctx,
        registry.get(ctx, "account"),
        name="Big ones",
        is_shared=True,
        filters=[["annual_revenue", ">", 1000000]],
        columns=["name", "annual_revenue"],
        sort="-annual_revenue",
    )
    credentials.issue_pat(ctx, name="Script")
    credentials.issue_api_key(ctx, name="Sync", scopes=["read:crm"])
    oauth.issue_login_tokens(ctx.user, ctx.workspace)
    grant = get_grant_model().objects.create(
        user=ctx.user,
        application=oauth.login_client(),
        code="a-test-code",
        expires=timezone.now() + dt.timedelta(minutes=5),
        redirect_uri="https://example.com/callback",
        scope="read:crm",
    )
    OAuthGrantWorkspace.objects.create(grant=grant, workspace=ctx.workspace)
    IdempotencyKey.objects.create(
        workspace=ctx.workspace,
        principal=f"user:{ctx.user.pk}",
        key="retry-1",
        fingerprint="0" * 64,
        status_code=201,
        created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    job = jobs.submit_bulk(ctx, "account", "create", [{"name": "Bulk"}, {}])
    job_runner.run(job.pk)
    webhook_dispatch.run()
    by_model = {type(record): record for record in made.values()}
    by_model.update(
        {
            ObjectDefinition: definition,
            type(field): field,
            type(rule): rule,
            CustomRecord: vehicle,
            type(link): link,
            FieldChange: FieldChange.objects.latest("pk"),
            OutboxEvent: OutboxEvent.objects.latest("pk"),
            Deletion: deletion,
            Job: job,
            JobChunk: job.chunks.get(),
            JobError: job.errors.get(),
            Stage: Stage.objects.filter(pipeline__workspace=ctx.workspace).first(),
            type(membership): membership,
            type(membership.profile): membership.profile,
            type(membership.role): membership.role,
            PublicGroup: group,
            ObjectSharing: sharing,
            SharingRule: sharing_rule,
            Workspace: ctx.workspace,
            User: ctx.user,
            Subscription: subscription,
            Delivery: Delivery.objects.first(),
            DispatchCursor: DispatchCursor.objects.get(),
            PublishedEvent: PublishedEvent.objects.first(),
        }
    )
    return by_model


def test_every_first_party_model_has_an_admin():
    missing = [
        model._meta.label
        for app in FIRST_PARTY_APPS
        for model in apps.get_app_config(app).get_models()
        if not admin.site.is_registered(model)
    ]
    assert missing == []


def test_each_standard_model_has_an_admin_derived_from_its_object_type():
    for model in STANDARD_MODELS:
        model_admin = admin.site.get_model_admin(model)
        assert isinstance(model_admin, crm_admin.RegistryAdmin)
        assert model_admin.object_type.model is model
        assert model_admin.list_display[0] == model_admin.object_type.name_field
        assert model_admin.show_full_result_count is False
    account = admin.site.get_model_admin(Account)
    assert account.list_display == (
        "name",
        "type",
        "industry",
        "annual_revenue",
        "parent_account",
        "owner",
        "workspace",
        "updated_at",
        "in_recycle_bin",
    )
    assert account.list_select_related == ("parent_account", "owner", "workspace")
    assert account.search_fields == (
        "=id",
        "billing_street",
        "billing_city",
        "billing_state",
        "billing_postal_code",
        "billing_country",
        "name",
        "account_number",
        "phone",
    )
    assert account.autocomplete_fields == ("owner", "parent_account")
    assert account.list_filter == (
        "workspace",
        crm_admin.InRecycleBinFilter,
        "type",
        "industry",
        "rating",
    )
    opportunity = admin.site.get_model_admin(Opportunity)
    assert opportunity.list_display[:6] == (
        "name",
        "stage",
        "pipeline",
        "amount",
        "account",
        "contact",
    )


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_every_admin_page_renders_for_a_superuser(ops, ops_client, rows, model):
    request = RequestFactory().get("/")
    request.user = ops
    model_admin = admin.site.get_model_admin(model)
    first_party = model._meta.app_label in FIRST_PARTY_APPS

    changelist = ops_client.get(_url(model, "changelist"))
    assert changelist.status_code == 200
    add = ops_client.get(_url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    row = rows.get(model) or model._default_manager.first()
    assert row is not None or not first_party
    if row is not None:
        assert row in changelist.context["cl"].result_list
        change = ops_client.get(_url(model, "change", row.pk))
        assert change.status_code == 200


def test_logs_are_read_only(ops, rows):
    request = RequestFactory().get("/")
    request.user = ops
    for model in (FieldChange, OutboxEvent):
        model_admin = admin.site.get_model_admin(model)
        assert model_admin.has_view_permission(request) is True
        assert model_admin.has_add_permission(request) is False
        assert model_admin.has_change_permission(request, rows[model]) is False
        assert model_admin.has_delete_permission(request, rows[model]) is False


def _names(response) -> list[str]:
    return sorted(row.name for row in response.context["cl"].result_list)


def test_account_changelist_searches_and_filters_across_workspaces(
    ops_client, ctx, other_ctx
):
    acme = records.create(
        ctx, "account", data={"name": "Acme Corp", "industry": "technology"}
    )
    records.create(ctx, "account", data={"name": "Globex", "industry": "finance"})
    records.create(ctx, "account", data={"name": "Initech", "industry": "technology"})
    records.create(other_ctx, "account", data={"name": "Acme Europe"})
    gone = records.create(ctx, "account", data={"name": "Hooli"})
    records.delete(ctx, "account", gone.pk)
    url = _url(Account, "changelist")

    assert _names(ops_client.get(url, {"q": "acme"})) == ["Acme Corp", "Acme Europe"]
    assert _names(ops_client.get(url, {"q": str(acme.pk)})) == ["Acme Corp"]
    assert _names(ops_client.get(url, {"industry__exact": "technology"})) == [
        "Acme Corp",
        "Initech",
    ]
    assert _names(ops_client.get(url, {"workspace__id__exact": ctx.workspace.pk})) == [
        "Acme Corp",
        "Globex",
        "Hooli",
        "Initech",
    ]
    assert _names(ops_client.get(url, {"in_recycle_bin": "yes"})) == ["Hooli"]
    assert _names(ops_client.get(url, {"in_recycle_bin": "no", "q": "acme corp"})) == [
        "Acme Corp"
    ]


def test_opportunity_changelist_filters_by_stage_from_the_pipelines(ops_client, ctx):
    account = records.create(ctx, "account", data={"name": "Acme"})
    for name, stage in (("Big deal", "proposal"), ("Small deal", "prospecting")):
        records.create(
            ctx,
            "opportunity",
            data={
                "name": name,
                "account": account.pk,
                "close_date": "2026-06-30",
                "stage": stage,
            },
        )
    url = _url(Opportunity, "changelist")
    response = ops_client.get(url, {"stage": "proposal"})
    assert _names(response) == ["Big deal"]
    stage_filter = next(
        f for f in response.context["cl"].filter_specs if f.parameter_name == "stage"
    )
    assert stage_filter.lookup_choices == [
        ("closed_lost", "Closed Lost"),
        ("closed_won", "Closed Won"),
        ("negotiation", "Negotiation"),
        ("proposal", "Proposal"),
        ("prospecting", "Prospecting"),
        ("qualification", "Qualification"),
    ]


def test_a_stage_is_chosen_from_the_pipelines_of_the_records_workspace(ops_client, ctx):
    deal = records.create(
        ctx, "opportunity", data={"name": "Deal", "close_date": "2026-06-30"}
    )

    response = ops_client.get(_url(Opportunity, "change", deal.pk))

    stage = response.context["adminform"].form.fields["stage"]
    assert list(stage.widget.choices) == [
        ("", "---------"),
        ("prospecting", "Prospecting"),
        ("qualification", "Qualification"),
        ("proposal", "Proposal"),
        ("negotiation", "Negotiation"),
        ("closed_won", "Closed Won"),
        ("closed_lost", "Closed Lost"),
    ]
    assert response.context["adminform"].form["stage"].value() == "prospecting"


def test_account_changelist_runs_a_fixed_number_of_queries(
    ops_client, ctx, django_assert_max_num_queries
):
    parent = records.create(ctx, "account", data={"name": "Parent"})
    for n in range(29):
        records.create(
            ctx, "account", data={"name": f"Account {n}", "parent_account": parent.pk}
        )
    with django_assert_max_num_queries(6):
        response = ops_client.get(_url(Account, "changelist"))
    assert len(response.context["cl"].result_list) == 30


def _form_data(response) -> dict:
    """What a browser would post back for the change form on the page."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def test_editing_an_account_writes_history_and_an_updated_event(ops, ops_client, ctx):
    account = records.create(
        ctx, "account", data={"name": "Acme", "industry": "technology"}
    )
    object_type = registry.get(ctx, "account")
    before = object_type.snapshot(account)
    url = _url(Account, "change", account.pk)
    data = {**_form_data(ops_client.get(url)), "name": "Acme Corp"}
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
    url = _url(Contact, "change", contact.pk)
    data = {**_form_data(ops_client.get(url)), "email": "not-an-email"}

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
    url = _url(Account, "change", account.pk)
    # Django's CharField takes any text; the registry's phone type does not.
    data = {**_form_data(ops_client.get(url)), "phone": "call me maybe"}

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
    url = _url(Account, "change", account.pk)
    data = {**_form_data(ops_client.get(url)), "annual_revenue": "-5"}

    response = ops_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "annual_revenue": ["Revenue cannot be negative."]
    }
    _assert_unchanged(account, snapshot, ctx)


def test_adding_an_account_creates_it_through_the_lifecycle(ops, ops_client, ctx):
    response = ops_client.post(
        _url(Account, "add"),
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
        _url(Contact, "add"),
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
    url = _url(Account, "delete", account.pk)
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
    binned = ops_client.get(_url(Account, "change", account.pk))
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
        _url(Contact, "changelist"),
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
    url = _url(Account, "changelist")
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
        _url(Product, "delete", product.pk), {"post": "yes"}, follow=True
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
        _url(Deletion, "changelist"),
        {"action": "restore_selected", "_selected_action": [restore_me.pk]},
    )
    response = ops_client.post(_url(Deletion, "delete", purge_me.pk), {"post": "yes"})

    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.deleted_at is None
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme"]
    assert not Deletion.objects.exists()


def test_saving_metadata_in_the_admin_moves_the_registry_on(ops_client, ctx):
    stage = Stage.objects.get(
        pipeline__workspace=ctx.workspace,
        pipeline__object_name="opportunity",
        key="prospecting",
    )
    version = ctx.workspace.metadata_version
    url = _url(Stage, "change", stage.pk)
    data = {**_form_data(ops_client.get(url)), "label": "Discovery"}

    response = ops_client.post(url, data)

    assert response.status_code == 302
    workspace = Workspace.objects.get(pk=ctx.workspace.pk)
    assert workspace.metadata_version != version
    opportunity = registry.for_workspace(workspace).find("opportunity")
    assert opportunity.pipeline("sales").stage("prospecting").label == "Discovery"


def test_adding_a_custom_object_in_the_admin_goes_through_the_metadata_service(
    ops_client, ctx
):
    response = ops_client.post(
        _url(ObjectDefinition, "add"),
        {
            "workspace": ctx.workspace.pk,
            "api_name": "vehicle",
            "plural": "vehicles",
            "label": "Vehicle",
            "label_plural": "Vehicles",
            "prefix": "veh",
            "description": "",
        },
    )

    assert response.status_code == 302
    workspace = Workspace.objects.get(pk=ctx.workspace.pk)
    vehicle = registry.for_workspace(workspace).find("vehicle")
    assert (vehicle.label, vehicle.prefix, list(vehicle.fields)[:2]) == (
        "Vehicle",
        "veh",
        ["id", "name"],
    )


def test_editing_a_custom_record_writes_its_data_through_the_lifecycle(
    ops, ops_client, ctx
):
    metadata_services.create_object(ctx, api_name="vehicle", label="Vehicle")
    metadata_services.create_field(
        ctx, "vehicle", name="seats", label="Seats", type="number"
    )
    van = records.create(ctx, "vehicle", data={"name": "Van", "seats": 3})
    url = _url(CustomRecord, "change", van.pk)
    data = {**_form_data(ops_client.get(url)), "data": '{"name": "Minibus"}'}

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
    url = _url(CustomRecord, "change", van.pk)
    data = {**_form_data(ops_client.get(url)), "data": '{"name": "Van", "wings": 2}'}

    response = ops_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["wings: Vehicle has no field 'wings'."]
    }
    van.refresh_from_db()
    assert van.data == {"name": "Van"}


def test_adding_a_user_hashes_the_password_and_lowercases_the_email(ops_client, db):
    data = {
        "email": "New.Person@Example.com",
        "name": "New Person",
        "usable_password": "true",
        "password1": "a-long-enough-passphrase",
        "password2": "a-long-enough-passphrase",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }

    response = ops_client.post(_url(User, "add"), data)

    assert response.status_code == 302
    user = User.objects.get(name="New Person")
    assert user.email == "new.person@example.com"
    assert user.check_password("a-long-enough-passphrase") is True
    duplicate = ops_client.post(
        _url(User, "add"), {**data, "email": "NEW.person@example.com"}
    )
    assert duplicate.context["adminform"].form.errors == {
        "email": ["A user with this email address already exists."]
    }


def test_a_membership_takes_its_profile_from_its_own_workspace(
    ops_client, ctx, other_ctx, member
):
    membership = member.memberships.get()
    foreign = other_ctx.user.memberships.get().profile
    url = _url(type(membership), "change", membership.pk)
    data = {**_form_data(ops_client.get(url)), "profile": foreign.pk}

    response = ops_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "profile": ["Choose a profile of Acme Inc."]
    }
    membership.refresh_from_db()
    assert membership.profile.name == "Standard User"


def test_a_users_password_is_changed_on_its_own_page(ops_client, owner):
    url = reverse("admin:auth_user_password_change", args=[owner.pk])
    assert ops_client.get(url).status_code == 200

    response = ops_client.post(
        url,
        {
            "usable_password": "true",
            "password1": "another-long-passphrase",
            "password2": "another-long-passphrase",
        },
    )

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("another-long-passphrase") is True


def test_the_revoke_action_revokes_personal_access_tokens(ops_client, ctx):
    token, _secret = credentials.issue_pat(ctx, name="Script")
    before = timezone.now()

    ops_client.post(
        _url(PersonalAccessToken, "changelist"),
        {"action": "revoke_selected", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert before <= token.revoked_at <= timezone.now()
    assert token.is_usable is False


def test_a_bulk_delete_is_all_or_nothing(ops_client, ctx):
    in_use = _product_in_use(ctx)
    free = records.create(ctx, "product", data={"name": "Gadget"})

    response = ops_client.post(
        _url(Product, "changelist"),
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
        _url(Association, "add"),
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
        _url(Deletion, "changelist"),
        {"action": "delete_selected", "_selected_action": batches, "post": "yes"},
    )

    assert response.status_code == 302
    assert not Deletion.objects.exists()
    assert not Account.objects.exists()


def test_a_bulk_delete_of_validation_rules_moves_the_registry_on(ops_client, ctx):
    rules = [
        metadata_services.create_validation_rule(
            ctx,
            "account",
            name=f"Rule {n}",
            condition=[["annual_revenue", "<", n]],
            error_message="Too small.",
        )
        for n in (0, 1)
    ]
    version = Workspace.objects.get(pk=ctx.workspace.pk).metadata_version

    response = ops_client.post(
        _url(ValidationRule, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [r.pk for r in rules],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not ValidationRule.objects.exists()
    workspace = Workspace.objects.get(pk=ctx.workspace.pk)
    assert workspace.metadata_version != version
    assert registry.for_workspace(workspace).find("account").rules == ()
