"""Record pages of any object: the page itself, create and edit forms, the
inline edit of one field (list cell or detail row), the stage path, delete."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access, errors
from accounts.access import Action
from crm import forms as crm_forms
from crm import query, records
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.query import members, timeline
from crm.views import display, pages, state

RECENT_KEY = "recent_records"
RECENT_SIZE = 8


def _all_fields(ctx, object_type: ObjectType) -> tuple[list, list[str]]:
    cols = display.columns(ctx, object_type, list(object_type.fields))
    return cols, display.query_fields(cols, "id")


def _remember(request: HttpRequest, object_type: ObjectType, pk, title: str) -> None:
    """Keep the last records opened, for the home page (no query)."""
    entry = [object_type.api_name, str(pk), title[:120], object_type.label]
    recent = [e for e in request.session.get(RECENT_KEY, []) if e[1] != entry[1]]
    request.session[RECENT_KEY] = [entry, *recent][:RECENT_SIZE]


def _record_context(ctx, object_type: ObjectType, row) -> dict:
    cols = display.columns(ctx, object_type, list(object_type.fields))
    view = display.rows(object_type, cols, [row], ctx.workspace.currency)[0]
    by_name = {c.column.name: c for c in view.cells}
    return {
        "object_type": object_type,
        "object_name": object_type.api_name,
        "row": view,
        "raw": row,
        "name_field": object_type.name_field,
        "key_cells": [by_name[n] for n in display.key_fields(object_type)],
        "sections": pages.sections(object_type, view.cells),
        "path": pages.stage_path(object_type, row),
        "can_edit": ctx.can(object_type.api_name, Action.EDIT),
        "can_delete": ctx.can(object_type.api_name, Action.DELETE),
    }


@require_http_methods(["GET"])
def record_detail(
    request: HttpRequest, object_name: str, record_id: UUID
) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    _, fields = _all_fields(ctx, object_type)
    row = query.get(ctx, object_type.api_name, record_id, fields=fields)
    context = _record_context(ctx, object_type, row)
    if request.htmx and request.GET.get("part") == "header":
        # After an inline edit elsewhere on the page: the header anew.
        return render(request, "crm/record_detail.html#header", context)
    context["related"] = pages.related_lists(ctx, object_type)
    context["composers"] = pages.composers(ctx, object_type, record_id)
    context["has_timeline"] = True
    _remember(request, object_type, record_id, context["row"].title)
    return render(request, "crm/record_detail.html", context)


@require_POST
def record_stage(
    request: HttpRequest, object_name: str, record_id: UUID
) -> HttpResponse:
    """Move a pipeline record to the stage posted; the header comes back,
    with the lifecycle's refusal in it (422) when the move is refused."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    if not object_type.pipeline_field:
        raise errors.NotFound(f"{object_type.label} has no stages.")
    error = None
    try:
        records.update(
            ctx,
            object_type.api_name,
            record_id,
            data={object_type.pipeline_field: request.POST.get("stage", "")},
        )
    except errors.ValidationFailed as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("crm:record_detail", object_type.api_name, record_id)
    _, fields = _all_fields(ctx, object_type)
    row = query.get(ctx, object_type.api_name, record_id, fields=fields)
    context = _record_context(ctx, object_type, row) | {"stage_error": error}
    response = render(
        request, "crm/record_detail.html#header", context, status=422 if error else 200
    )
    if not error:
        response["HX-Trigger"] = "timeline-changed"
    return response


@require_http_methods(["GET", "POST"])
def record_field(
    request: HttpRequest, object_name: str, record_id: UUID, field_name: str
) -> HttpResponse:
    """One field shown (``?at=cell|field``), its edit form (``&edit=1``), or
    its new value saved (POST). A refused value comes back in the form with
    the lifecycle's message next to it and status 422; nothing is saved."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    spec = object_type.field(field_name)
    col = display.column(ctx, spec)
    at = "cell" if request.GET.get("at") == "cell" else "field"
    editing = request.method == "GET" and request.GET.get("edit") == "1"
    if editing or request.method == "POST":
        access.require(ctx, object_type, Action.EDIT)
        if spec.read_only:
            raise errors.ValidationFailed(f"{spec.label} is read-only.")
    fields = display.query_fields([col], "id", object_type.name_field)
    status, form, error = 200, None, False
    if request.method == "POST":
        form = crm_forms.record_form(
            object_type,
            [spec],
            members=members.members(ctx) if spec.target == "user" else (),
            data=request.POST,
            prefix=f"e{record_id.hex}",
        )
        if form.is_valid():
            try:
                records.update(
                    ctx,
                    object_type.api_name,
                    record_id,
                    data={spec.name: form.cleaned_data[spec.name]},
                )
            except errors.ValidationFailed as exc:
                form.add_lifecycle_errors(exc)
        error = bool(form.errors)
        status = 422 if error else 200
    row = query.get(ctx, object_type.api_name, record_id, fields=fields)
    view = display.rows(object_type, [col], [row], ctx.workspace.currency)[0]
    if editing or error:
        if form is None:
            initial, labels = crm_forms.initial_from_row(object_type, row, [spec])
            form = crm_forms.record_form(
                object_type,
                [spec],
                members=members.members(ctx) if spec.target == "user" else (),
                initial=initial,
                lookup_labels=labels,
                prefix=f"e{record_id.hex}",
            )
        else:
            form.lookup_labels = {spec.name: request.POST.get("lookup_q", "")}
        field = form.fields[spec.name]
        field.widget.attrs["autofocus"] = True
        template = f"crm/record_field.html#{at}-form"
    else:
        template = f"crm/record_field.html#{at}"
    refocus = request.method == "POST" or "edit" not in request.GET
    context = {
        "object_type": object_type,
        "spec": spec,
        "row": view,
        "cell": view.cells[0],
        "td": display.td(
            object_type,
            view,
            view.cells[0],
            can_edit=ctx.can(object_type.api_name, Action.EDIT),
            refocus=refocus,
        ),
        "form": form,
        "name_field": object_type.name_field,
        "can_edit": ctx.can(object_type.api_name, Action.EDIT),
        "refocus": refocus,
    }
    response = render(request, template, context, status=status)
    if request.method == "POST" and not error and at == "field":
        # The record page's header and timeline show the change too.
        response["HX-Trigger"] = "record-changed, timeline-changed"
    return response


@require_http_methods(["GET", "POST"])
def record_create(request: HttpRequest, object_name: str) -> HttpResponse:
    """The new-record form, and the record created from it. Afterwards the
    page is the new record's, or ``next`` when it is a URL of this site (a
    related list's "New" passes its parent record's page)."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    access.require(ctx, object_type, Action.CREATE)
    specs = pages.form_specs(object_type)
    people = members.members(ctx)
    if request.method == "POST":
        form = crm_forms.record_form(
            object_type, specs, members=people, data=request.POST
        )
        if form.is_valid():
            try:
                record = records.create(
                    ctx, object_type.api_name, data=form.values(only_changed=False)
                )
            except errors.ValidationFailed as exc:
                form.add_lifecycle_errors(exc)
            else:
                messages.success(request, f"{object_type.label} created.")
                # From a related list ("New contact" on an account): back to
                # the record it was started from.
                made = reverse(
                    "crm:record_detail", args=[object_type.api_name, record.pk]
                )
                return redirect(state.next_url(request, made))
        form.lookup_labels = _posted_labels(request, form)
        status = 422
    else:
        initial = {s.name: request.GET[s.name] for s in specs if s.name in request.GET}
        if "owner" in object_type.fields and ctx.user_id:
            initial.setdefault("owner", str(ctx.user_id))
        labels = {
            s.name: request.GET.get(f"{s.name}__label", "")
            for s in specs
            if s.is_lookup
        }
        form = crm_forms.record_form(
            object_type, specs, members=people, initial=initial, lookup_labels=labels
        )
        status = 200
    return render(
        request,
        "crm/record_form.html",
        {
            "object_type": object_type,
            "object_name": object_type.api_name,
            "form": form,
            "cancel_url": state.next_url(
                request, reverse("crm:record_list", args=[object_type.api_name])
            ),
            "next": state.next_url(request, ""),
        },
        status=status,
    )


def _posted_labels(request: HttpRequest, form) -> dict[str, str]:
    """What the typeaheads showed when the form was posted (display only)."""
    shown = request.POST.getlist("lookup_q")
    names = [e.spec.name for e in form.entries if e.is_typeahead]
    return dict(zip(names, shown, strict=False))


@require_http_methods(["GET", "POST"])
def record_edit(
    request: HttpRequest, object_name: str, record_id: UUID
) -> HttpResponse:
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    access.require(ctx, object_type, Action.EDIT)
    specs = pages.form_specs(object_type)
    _, fields = _all_fields(ctx, object_type)
    row = query.get(ctx, object_type.api_name, record_id, fields=fields)
    initial, labels = crm_forms.initial_from_row(object_type, row, specs)
    form = crm_forms.record_form(
        object_type,
        specs,
        members=members.members(ctx),
        data=request.POST if request.method == "POST" else None,
        initial=initial,
        lookup_labels=labels,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                records.update(
                    ctx,
                    object_type.api_name,
                    record_id,
                    data=form.values(only_changed=True),
                )
            except errors.ValidationFailed as exc:
                form.add_lifecycle_errors(exc)
            else:
                messages.success(request, f"{object_type.label} saved.")
                return redirect("crm:record_detail", object_type.api_name, record_id)
        form.lookup_labels = _posted_labels(request, form)
        status = 422
    name_spec = object_type.fields[object_type.name_field]
    return render(
        request,
        "crm/record_form.html",
        {
            "object_type": object_type,
            "object_name": object_type.api_name,
            "form": form,
            "title": display.text(name_spec, row.get(name_spec.name)),
            "record_id": record_id,
            "cancel_url": reverse(
                "crm:record_detail", args=[object_type.api_name, record_id]
            ),
        },
        status=status,
    )


@require_POST
def record_delete(
    request: HttpRequest, object_name: str, record_id: UUID
) -> HttpResponse:
    """Move the record (and what cascades from it) to the recycle bin."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    deletion = records.delete(ctx, object_type.api_name, record_id)
    extra = deletion.total - 1
    tail = f" with {extra} related record{'s' if extra > 1 else ''}" if extra else ""
    messages.success(
        request, f"“{deletion.record_label}” moved to the recycle bin{tail}."
    )
    return redirect("crm:record_list", object_type.api_name)


@require_http_methods(["GET"])
def record_timeline(
    request: HttpRequest, object_name: str, record_id: UUID
) -> HttpResponse:
    """The newest entries of the record's timeline; with ``?before=`` (the
    "Show older" button) the entries after that position, as the items to
    put in place of the button."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    before = request.GET.get("before", "")
    page = timeline.timeline(ctx, object_type.api_name, record_id, before=before)
    template = "crm/record_timeline.html"
    if before:
        template += "#entries"
    return render(
        request,
        template,
        {
            "object_type": object_type,
            "record_id": record_id,
            "entries": pages.timeline_entries(ctx, page.entries),
            "older": page.older.encode() if page.older else "",
            "more": bool(before),
        },
    )
