"""The recycle bin: what the user deleted (admins: everyone's), restore and
purge one batch or several."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import dateparse
from django.views.decorators.http import require_GET, require_POST

from accounts import access, errors
from crm import records
from crm.query import recycle
from crm.views import bulk, flash, state


def _before(raw: str) -> tuple[dt.datetime, UUID] | None:
    at, _, pk = raw.partition("~")
    moment = dateparse.parse_datetime(at) if at else None
    try:
        return (moment, UUID(pk)) if moment else None
    except ValueError:
        return None


def _bin_context(ctx, params: QueryDict, bin_url: str) -> dict:
    """The page of the bin ``params`` ask for (``?before=``), newest first;
    ``bin_url`` is where the page is, for its forms to come back to."""
    page = recycle.batches(ctx, before=_before(params.get("before", "")))
    days = settings.RECYCLE_BIN_RETENTION_DAYS
    rows = [
        (batch, batch.deletion.deleted_at + dt.timedelta(days=days))
        for batch in page.batches
    ]
    more = ""
    if page.next_before:
        at, pk = page.next_before
        more = f"{at.isoformat()}~{pk}"
    return {
        "rows": rows,
        "retention_days": days,
        "more": more,
        "everyone": ctx.is_admin,
        "bin_url": bin_url,
    }


@require_GET
def recycle_bin(request: HttpRequest) -> HttpResponse:
    ctx = access.context_for(request)
    context = _bin_context(ctx, request.GET, request.get_full_path())
    return render(request, "crm/recycle_bin.html", context)


def _batch_ids(request: HttpRequest) -> list[UUID]:
    found = []
    for raw in request.POST.getlist("ids")[: bulk.BULK_MAX]:
        try:
            found.append(UUID(raw))
        except ValueError:
            continue
    return found


def _each(request: HttpRequest, action, done_word: str) -> HttpResponse:
    """``action`` on each batch selected, then back to ``next`` (for HTMX,
    the bin's rows anew, with the messages)."""
    ctx = access.context_for(request)
    ids = _batch_ids(request)
    done, refused = 0, []
    for pk in ids:
        try:
            action(ctx, pk)
            done += 1
        except errors.DomainError as exc:
            refused.append(exc.message)
    if not ids:
        messages.info(request, "Select something in the recycle bin first.")
    if done:
        messages.success(request, f"{done} item{'s' if done != 1 else ''} {done_word}.")
    if refused:
        messages.error(request, " ".join(refused[:3]))
    home = reverse("crm:recycle_bin")
    if not request.htmx:
        return bulk.back_to(request, home)
    # The page of the bin the form was on, as it is now.
    target = urlsplit(state.next_url(request, home))
    params = QueryDict(target.query if target.path == home else "")
    bin_url = f"{home}?{params.urlencode()}" if params else home
    return flash.respond(
        request, "crm/recycle_bin.html#bin", _bin_context(ctx, params, bin_url)
    )


@require_POST
def bin_restore(request: HttpRequest) -> HttpResponse:
    """Restore each selected batch (each on its own: one refusal leaves the
    others restored)."""
    return _each(request, records.restore, "restored")


@require_POST
def bin_purge(request: HttpRequest) -> HttpResponse:
    """Remove each selected batch for good."""
    return _each(request, records.purge, "purged for good")
