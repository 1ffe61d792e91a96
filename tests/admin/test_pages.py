"""The Django admin's pages: registered for every model, derived from the
registry, rendering, searching and filtering in a fixed number of queries."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from crm import admin as crm_admin
from crm import records
from crm.models import (
    STANDARD_MODELS,
    Account,
    FieldChange,
    Opportunity,
    OutboxEvent,
    StageTotal,
)
from tests.admin import helpers

FIRST_PARTY_APPS = ("accounts", "crm", "api", "webhooks", "ai")


REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


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
        "status",
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

    changelist = ops_client.get(helpers.url(model, "changelist"))
    assert changelist.status_code == 200
    add = ops_client.get(helpers.url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)

    row = rows.get(model) or model._default_manager.first()
    assert row is not None or not first_party
    if row is not None:
        assert row in changelist.context["cl"].result_list
        change = ops_client.get(helpers.url(model, "change", row.pk))
        assert change.status_code == 200


def test_logs_are_read_only(ops, rows):
    request = RequestFactory().get("/")
    request.user = ops
    for model in (FieldChange, OutboxEvent, StageTotal):
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
    url = helpers.url(Account, "changelist")

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
    url = helpers.url(Opportunity, "changelist")
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

    response = ops_client.get(helpers.url(Opportunity, "change", deal.pk))

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
        response = ops_client.get(helpers.url(Account, "changelist"))
    assert len(response.context["cl"].result_list) == 30
