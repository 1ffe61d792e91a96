"""Template context every screen shares: the workspace, its navigation drawn
from the registry, and the workspaces the user may switch to."""

from django.http import HttpRequest

from accounts import access, errors
from crm.metadata import registry
from crm.query import members


def shell(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    try:
        ctx = access.context_for(request)
    except errors.DomainError:
        return {}
    return {
        "workspace": ctx.workspace,
        "ctx": ctx,
        "nav_objects": [t for t in registry.all_types(ctx) if t.in_navigation],
        # Lazy: the switcher's query runs only when the menu is rendered.
        "user_workspaces": lambda: members.workspaces_of(request.user),
    }
