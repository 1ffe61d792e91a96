"""Fixtures for the query engine: custom fields of every type, on a standard
object (JSON ``custom``) and on a custom object (JSON ``data``)."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from accounts.models import PublicGroup, Role
from crm import records
from crm.metadata import field_types
from crm.metadata import services as metadata
from tests.factories import UserFactory

CHOICES = ["Gold", "Silver", "Bronze"]


def add_typed_fields(ctx, object_name: str, prefix: str = "cf") -> None:
    """One custom field per custom field type: ``cf_<type>``."""
    for key in field_types.CUSTOM_FIELD_TYPES:
        options = {}
        if key in ("picklist", "multi_picklist"):
            options["choices"] = CHOICES
        if key == "lookup":
            options["target"] = "contact"
        metadata.create_field(
            ctx,
            object_name,
            name=f"{prefix}_{key}",
            label=f"{prefix} {key}",
            type=key,
            **options,
        )


@pytest.fixture
def typed_account(ctx):
    """Account with a custom field of every type (stored in ``custom``)."""
    add_typed_fields(ctx, "account")
    return "account"


@pytest.fixture
def typed_project(ctx):
    """A custom object with a field of every type (stored in ``data``)."""
    metadata.create_object(ctx, api_name="project", label="Project")
    add_typed_fields(ctx, "project")
    return "project"


@pytest.fixture
def people(ctx, workspace):
    """Three contacts and three users: users 1 and 2 are in the Sales role
    (2 under 1), users 0 and 2 in the Team group."""
    ceo = Role.objects.get(workspace=workspace, name="CEO")
    sales = Role.objects.create(workspace=workspace, name="Sales", parent=ceo)
    rep = Role.objects.create(workspace=workspace, name="Sales rep", parent=sales)
    users = []
    for n, role in enumerate([ceo, sales, rep]):
        user = UserFactory(email=f"person{n}@example.com")
        account_services.add_member(workspace, user, role=role)
        users.append(user.pk)
    team = PublicGroup.objects.create(workspace=workspace, name="Team")
    team.members.add(users[0], users[2])
    contacts = [
        records.create(ctx, "contact", data={"last_name": f"Contact {n}"}).pk
        for n in range(3)
    ]
    return {"users": sorted(users), "contacts": sorted(contacts)}
