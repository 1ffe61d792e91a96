"""Saving and deleting list views: parse the form, call ``crm.saved_views``,
redirect; for HTMX, the list's saved-view menu anew (with its title and the
"Save view" popover) and the URL of the list it now shows."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import access, errors
from crm import saved_views as saved_views_service
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.query import saved_views
from crm.views import display, flash, state


def _posted_state(object_type: ObjectType, request: HttpRequest, view=None):
    """The list state the form posted (the page's filters, columns, sort)."""
    return state.from_request(
        object_type, request.POST, view, display.default_columns(object_type)
    )


def _menu(
    request: HttpRequest,
    ctx,
    object_type: ObjectType,
    list_: state.ListState,
    *,
    url: str,
    status: int = 200,
) -> HttpResponse:
    """The saved-view menu, title and popover for ``list_`` with the flash
    messages; the browser's URL becomes ``url`` (the list as now shown)."""
    return flash.respond(
        request,
        "crm/record_list.html#view-menu",
        {
            "object_type": object_type,
            "state": list_,
            "saved_views": saved_views.usable(ctx, object_type),
            "oob": True,
        },
        status=status,
        headers={"HX-Push-Url": url},
    )


@require_POST
def view_save(request: HttpRequest, object_name: str) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    list_ = _posted_state(object_type, request)
    home = reverse("crm:record_list", args=[object_type.api_name])
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
        if not request.htmx:
            return redirect(home)
        return flash.only(request, status=422)
    messages.success(request, f"View “{view.name}” saved.")
    url = f"{home}?view={view.pk}"
    if not request.htmx:
        return redirect(url)
    return _menu(
        request, ctx, object_type, _posted_state(object_type, request, view), url=url
    )


@require_POST
def view_delete(request: HttpRequest, object_name: str, view_id: UUID) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    view = saved_views.get(ctx, object_type, view_id)
    saved_views_service.delete(ctx, view)
    messages.success(request, f"View “{view.name}” deleted.")
    home = reverse("crm:record_list", args=[object_type.api_name])
    if not request.htmx:
        return redirect(home)
    # The list stays as shown (its filters), no longer a saved view.
    list_ = _posted_state(object_type, request)
    return _menu(request, ctx, object_type, list_, url=f"{home}?{list_.params()}")
