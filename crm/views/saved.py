"""Saving and deleting list views: parse the form, call ``crm.saved_views``,
redirect."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts import access, errors
from crm import saved_views as saved_views_service
from crm.metadata import registry
from crm.query import saved_views
from crm.views import display, state


@require_POST
def view_save(request: HttpRequest, object_name: str) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    list_ = state.from_request(
        object_type, request.POST, None, display.default_columns(object_type)
    )
    try:
        view = saved_views_service.save(
            ctx,
            object_type,
            name=request.POST.get("name", ""),
            is_shared=request.POST.get("is_shared") == "1",
            filters=list_.filters,
            columns=list_.columns,
            sort=list_.sort,
        )
    except errors.ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("crm:record_list", object_type.api_name)
    messages.success(request, f"View “{view.name}” saved.")
    return redirect(
        f"{redirect('crm:record_list', object_type.api_name).url}?view={view.pk}"
    )


@require_POST
def view_delete(request: HttpRequest, object_name: str, view_id: UUID) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    view = saved_views.get(ctx, object_type, view_id)
    saved_views_service.delete(ctx, view)
    messages.success(request, f"View “{view.name}” deleted.")
    return redirect("crm:record_list", object_type.api_name)
