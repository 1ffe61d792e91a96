"""The app shell's own actions: switching workspace."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts import access, errors
from accounts.models import Workspace


@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    """Make another of the user's workspaces the current one (NotFound when
    the user is not an active member of it)."""
    try:
        wanted = Workspace(pk=UUID(request.POST.get("workspace", "")))
    except ValueError:
        raise errors.NotFound("No such workspace.") from None
    chosen = access.context_for_user(request.user, wanted)
    request.session[access.WORKSPACE_SESSION_KEY] = str(chosen.workspace_id)
    messages.success(request, f"You are now working in {chosen.workspace.name}.")
    return redirect("crm:home")
