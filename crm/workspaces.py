"""Setting up a workspace: the tenant, its owner and its CRM defaults."""

from __future__ import annotations

from django.db import transaction

from accounts import services as account_services
from accounts.models import User, Workspace
from crm.metadata import registry
from crm.metadata import services as metadata_services


@transaction.atomic
def create(
    name: str, *, email: str, password: str | None, user_name: str = ""
) -> tuple[Workspace, User]:
    """``create_for`` the user with ``email``, created when new. Raises
    ValidationFailed naming the bad field (see
    ``accounts.services.get_or_create_user``); nothing is written then."""
    owner, _ = account_services.get_or_create_user(
        email, password=password, name=user_name
    )
    return create_for(owner, name), owner


@transaction.atomic
def create_for(owner: User, name: str) -> Workspace:
    """A ready-to-use workspace owned by ``owner``: stock profiles granting the
    standard objects, default pipelines."""
    workspace = account_services.create_workspace(
        name, owner=owner, object_names=sorted(registry.standard_api_names())
    )
    metadata_services.provision(workspace)
    return workspace
