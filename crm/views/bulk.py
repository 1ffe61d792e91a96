"""The list's bulk bar: its value input for the field chosen, and the action
on the selected records (delete, owner, one field), each record through
``crm.records``. Without JavaScript the bar posts and is redirected back;
with HTMX the list's results come back, with the messages."""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import access, errors
from accounts.access import Action
from crm import records
from crm.metadata import registry
from crm.metadata.types import ObjectType
from crm.views import flash, lists, state

BULK_MAX = 200


@require_GET
def bulk_field(request: HttpRequest, object_name: str) -> HttpResponse:
    """The bulk bar's value input for the field chosen (``?field=``)."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    access.require(ctx, object_type, Action.EDIT)
    spec = lists.bulk_spec(object_type, request.GET.get("field", ""))
    return render(
        request,
        "crm/record_list.html#bulk-value",
        {
            "object_type": object_type,
            "bulk_form": lists.bulk_form(ctx, object_type, spec),
        },
    )


def _ids(request: HttpRequest) -> list[UUID]:
    found = []
    for raw in request.POST.getlist("ids")[:BULK_MAX]:
        try:
            found.append(UUID(raw))
        except ValueError:
            continue
    return found


def back_to(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(state.next_url(request, fallback))


def _results(request: HttpRequest, ctx, object_type: ObjectType) -> HttpResponse:
    """The list's results (rows, counters) as the page posting to a bulk
    action shows them now (its ``next``, first page again), with the flash
    messages in the page's message area: the HTMX answer of a bulk action."""
    home = reverse("crm:record_list", args=[object_type.api_name])
    target = urlsplit(state.next_url(request, home))
    params = QueryDict(target.query if target.path == home else "", mutable=True)
    for key in ("cursor", "shown"):
        params.pop(key, None)
    list_url = f"{home}?{params.urlencode()}" if params else home
    context = lists.list_context(
        ctx, object_type, params, list_url=list_url, full=False
    )
    return flash.respond(request, "crm/record_list.html#results", context)


@require_POST
def record_bulk(request: HttpRequest, object_name: str) -> HttpResponse:
    """Delete, change the owner of, or set one field on the selected records
    (at most 200). Each record is its own lifecycle call: one refusal leaves
    the others done, and is reported. The new value of a field comes from the
    field's own form input (``bulk-<field>``), converted by its form field.
    Answers a redirect to ``next``, or for HTMX the list's results anew."""
    ctx = access.context_for(request)
    object_type = registry.get(ctx, object_name)
    action = request.POST.get("action", "")
    fallback = reverse("crm:record_list", args=[object_type.api_name])

    def answer() -> HttpResponse:
        if request.htmx:
            return _results(request, ctx, object_type)
        return back_to(request, fallback)

    if action == "delete":
        access.require(ctx, object_type, Action.DELETE)
        done_word = "moved to the recycle bin"
    elif action in ("owner", "edit"):
        access.require(ctx, object_type, Action.EDIT)
        done_word = "updated"
    else:
        raise errors.ValidationFailed("Choose what to do with the selected records.")
    if action == "owner" and not lists.has_owner(object_type):
        raise errors.ValidationFailed(
            f"{object_type.label_plural} have no owner to change.", field="action"
        )
    ids = _ids(request)
    if not ids:
        messages.info(request, "Select some records first.")
        return answer()
    if action == "delete":

        def apply(pk):
            return records.delete(ctx, object_type.api_name, pk)

    else:
        if action == "owner":
            data = {"owner": request.POST.get("value", "")}
        else:
            spec = lists.bulk_spec(object_type, request.POST.get("field", ""))
            form = lists.bulk_form(ctx, object_type, spec, data=request.POST)
            if not form.is_valid():
                problems = " ".join(e for errs in form.errors.values() for e in errs)
                messages.error(request, f"Nothing was changed: {problems}")
                return answer()
            data = {spec.name: form.cleaned_data[spec.name]}

        def apply(pk):
            return records.update(ctx, object_type.api_name, pk, data=data)

    done, refused = 0, []
    for pk in ids:
        try:
            apply(pk)
            done += 1
        except errors.DomainError as exc:
            refused.append(exc.message)
    label = object_type.label if done == 1 else object_type.label_plural
    if done:
        messages.success(request, f"{done} {label.lower()} {done_word}.")
    if refused:
        first = refused[0]
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        messages.error(request, f"{len(refused)} refused: {first}{more}")
    return answer()
