"""The Django admin for a workspace's setup: metadata and custom objects
through the metadata service, users, memberships, tokens and validation rules."""

from django.urls import reverse
from django.utils import timezone

from accounts import credentials
from accounts.models import PersonalAccessToken, User, Workspace
from crm.metadata import registry
from crm.metadata import services as metadata_services
from crm.models import ObjectDefinition, Stage, ValidationRule
from tests.admin import helpers


def test_saving_metadata_in_the_admin_moves_the_registry_on(ops_client, ctx):
    stage = Stage.objects.get(
        pipeline__workspace=ctx.workspace,
        pipeline__object_name="opportunity",
        key="prospecting",
    )
    version = ctx.workspace.metadata_version
    url = helpers.url(Stage, "change", stage.pk)
    data = {**helpers.form_data(ops_client.get(url)), "label": "Discovery"}

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
        helpers.url(ObjectDefinition, "add"),
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

    response = ops_client.post(helpers.url(User, "add"), data)

    assert response.status_code == 302
    user = User.objects.get(name="New Person")
    assert user.email == "new.person@example.com"
    assert user.check_password("a-long-enough-passphrase") is True
    duplicate = ops_client.post(
        helpers.url(User, "add"), {**data, "email": "NEW.person@example.com"}
    )
    assert duplicate.context["adminform"].form.errors == {
        "email": ["A user with this email address already exists."]
    }


def test_a_membership_takes_its_profile_from_its_own_workspace(
    ops_client, ctx, other_ctx, member
):
    membership = member.memberships.get()
    foreign = other_ctx.user.memberships.get().profile
    url = helpers.url(type(membership), "change", membership.pk)
    data = {**helpers.form_data(ops_client.get(url)), "profile": foreign.pk}

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
        helpers.url(PersonalAccessToken, "changelist"),
        {"action": "revoke_selected", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert before <= token.revoked_at <= timezone.now()
    assert token.is_usable is False


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
        helpers.url(ValidationRule, "changelist"),
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
