"""Template context every screen shares: the workspace and its navigation."""

from django.http import HttpRequest

from accounts import access, errors
from crm.metadata import registry


def shell(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    try:
        ctx = access.context_for(request)
    except errors.DomainError:
        return {}
    return {"workspace": ctx.workspace, "nav_objects": registry.all_types(ctx)}
