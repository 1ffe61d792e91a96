"""Fixtures for the Django admin tests: a superuser for ops, logged in, and a
real row of every first-party model."""

import datetime as dt

import pytest
from django.utils import timezone
from oauth2_provider.models import get_grant_model

from accounts import credentials, oauth
from accounts.models import OAuthGrantWorkspace, PublicGroup, User, Workspace
from api.models import IdempotencyKey
from crm import job_runner, jobs, records, saved_views
from crm.metadata import registry
from crm.metadata import services as metadata_services
from crm.models import (
    CustomRecord,
    Deletion,
    FieldChange,
    Job,
    JobChunk,
    JobError,
    ObjectDefinition,
    ObjectSharing,
    OutboxEvent,
    SharingRule,
    Stage,
    StageTotal,
)
from tests.conftest import PASSWORD
from tests.records import STANDARD_OBJECTS, sample_data
from webhooks import dispatch as webhook_dispatch
from webhooks import services as webhook_services
from webhooks.models import Delivery, DispatchCursor, PublishedEvent, Subscription


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
            StageTotal: StageTotal.objects.filter(workspace=ctx.workspace).first(),
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
