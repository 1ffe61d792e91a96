"""A record page's related lists (children found through the registry's
lookups), linking an existing record to it, and the activity composers."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import access, errors
from accounts.access import Action
from crm import forms as crm_forms
from crm import query, records
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType
from crm.query import timeline
from crm.views import display, pages

RELATED_SIZE = 5


def _via(ctx, parent, child_name: str, via_name: str):
    child = registry.get(ctx, child_name)
    spec = child.find_field(via_name)
    if spec is None or not spec.is_lookup or spec.target != parent.api_name:
        raise errors.NotFound(f"{child.label} does not point at {parent.label}.")
    return child, spec


def _related(request, ctx, parent, record_id: UUID, child, via, *, status=200):
    names = [n for n in display.default_columns(child) if n != via.name][:4]
    cols = display.columns(ctx, child, names)
    page = query.page(
        ctx,
        query.Query.from_json(
            ctx,
            child.api_name,
            {
                "filters": [[via.name, "=", str(record_id)]],
                "fields": display.query_fields(cols),
                "limit": RELATED_SIZE,
            },
        ),
    )
    parent_title = request.GET.get("title", "")
    filter_params = urlencode({"fs": 1, "f0": via.name, "o0": "=", "v0": record_id})
    new_params = urlencode(
        {
            via.name: record_id,
            f"{via.name}__label": parent_title,
            "next": reverse("crm:record_detail", args=[parent.api_name, record_id]),
        }
    )
    return render(
        request,
        "crm/record_related.html",
        {
            "parent": parent,
            "record_id": record_id,
            "child": child,
            "via": via,
            "columns": cols,
            "rows": display.rows(child, cols, page.rows, ctx.workspace.currency),
            "has_more": page.has_more,
            "all_url": reverse("crm:record_list", args=[child.api_name])
            + f"?{filter_params}",
            "new_url": reverse("crm:record_create", args=[child.api_name])
            + f"?{new_params}",
            "can_create": ctx.can(child.api_name, Action.CREATE),
            "can_link": ctx.can(child.api_name, Action.EDIT),
            "title": parent_title,
        },
        status=status,
    )


@require_GET
def related_list(
    request: HttpRequest, object_name: str, record_id: UUID, child: str, via: str
) -> HttpResponse:
    ctx = access.context_for(request)
    parent = registry.get(ctx, object_name)
    child_type, spec = _via(ctx, parent, child, via)
    return _related(request, ctx, parent, record_id, child_type, spec)


@require_POST
def related_link(
    request: HttpRequest, object_name: str, record_id: UUID, child: str, via: str
) -> HttpResponse:
    """Point an existing child record at this record (its lookup is set
    through the lifecycle), then show the list again."""
    ctx = access.context_for(request)
    parent = registry.get(ctx, object_name)
    child_type, spec = _via(ctx, parent, child, via)
    try:
        child_id = UUID(request.POST.get("child", ""))
    except ValueError:
        raise errors.ValidationFailed(
            f"Choose a {child_type.label.lower()} to link."
        ) from None
    records.update(ctx, child_type.api_name, child_id, data={spec.name: record_id})
    return _related(request, ctx, parent, record_id, child_type, spec)


def log_activity(
    ctx,
    activity: ObjectType,
    via: FieldSpec | None,
    parent: ObjectType,
    record_id: UUID,
    data: dict,
):
    """Create an activity about a record: through the activity's lookup to
    the record's object when it has one, else created and associated with the
    record (activity → record) in one transaction, so that neither exists
    without the other. Raises the lifecycle's refusals."""
    if via is not None:
        return records.create(ctx, activity.api_name, data=data | {via.name: record_id})
    with transaction.atomic():
        made = records.create(ctx, activity.api_name, data=data)
        records.associate(ctx, activity.api_name, made.pk, parent.api_name, record_id)
    return made


@require_POST
def activity_create(
    request: HttpRequest, object_name: str, record_id: UUID, kind: str
) -> HttpResponse:
    """Log a call, create a task or add a note about the record (of any
    object: ``log_activity``). The composer comes back empty (and the
    timeline is told to reload), or with the lifecycle's messages next to the
    fields (422)."""
    ctx = access.context_for(request)
    parent = registry.get(ctx, object_name)
    links = {a.api_name: (a, via) for a, via in timeline.links(ctx, parent)}
    activity = registry.get(ctx, kind)
    if activity.api_name not in links:
        raise errors.NotFound(f"A {activity.label} cannot be about {parent.label}.")
    access.require(ctx, activity, Action.CREATE)
    _, via = links[activity.api_name]
    if via is None:
        # An association checks the object, not the record: the record must
        # be one the user may see (NotFound otherwise), as a lookup's is.
        query.get(ctx, parent.api_name, record_id, fields=["id"])
    specs = pages.quick_specs(activity)
    form = crm_forms.record_form(
        activity, specs, data=request.POST, prefix=activity.api_name
    )
    status = 422
    if form.is_valid():
        try:
            log_activity(
                ctx,
                activity,
                via,
                parent,
                record_id,
                form.values(only_changed=False),
            )
        except errors.ValidationFailed as exc:
            form.add_lifecycle_errors(exc)
        else:
            form = crm_forms.record_form(activity, specs, prefix=activity.api_name)
            status = 201
    response = render(
        request,
        "crm/record_detail.html#composer",
        {
            "composer": pages.Composer(activity, via, form),
            "object_type": parent,
            "row": {"id": str(record_id)},
            "saved": status == 201,
        },
        status=200 if status == 201 else status,
    )
    if status == 201:
        response["HX-Trigger"] = "timeline-changed"
    return response
