"""The global search box and the typeahead of lookup fields."""

from __future__ import annotations

from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import access, errors
from crm import query
from crm.metadata import registry

DROPDOWN_SIZE = 3
PAGE_SIZE = 10
SUGGEST_SIZE = 8


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search over every object the user may read: a page, or the
    dropdown under the search box (``?dropdown=1``)."""
    ctx = access.context_for(request)
    text = request.GET.get("q", "").strip()[:200]
    dropdown = request.GET.get("dropdown") == "1"
    hits = query.search(ctx, text, limit=DROPDOWN_SIZE if dropdown else PAGE_SIZE)
    types = {t.api_name: t for t in registry.all_types(ctx)}
    ordered = sorted(hits, key=lambda h: (list(types).index(h.object), -h.score))
    groups = [
        (types[name], list(items))
        for name, items in groupby(ordered, key=lambda h: h.object)
    ]
    template = "crm/search.html#results" if dropdown else "crm/search.html"
    return render(
        request,
        template,
        {"search_text": text, "groups": groups, "count": len(hits)},
    )


@require_GET
def lookup_suggest(request: HttpRequest, object_name: str) -> HttpResponse:
    """Records of one object matching the typed text, for a lookup field."""
    ctx = access.context_for(request)
    target = registry.get(ctx, object_name)
    text = (request.GET.get("lookup_q") or request.GET.get("q") or "").strip()
    name = target.fields[target.name_field]
    body = {"fields": [name.name], "limit": SUGGEST_SIZE, "q": text[:200] or None}
    try:
        page = query.page(ctx, query.Query.from_json(ctx, target.api_name, body))
    except errors.ValidationFailed:
        page = None
    options = [
        (row["id"], str(row.get(name.name) or f"{target.label} {row['id'][:8]}"))
        for row in (page.rows if page else [])
    ]
    return render(
        request,
        "crm/search.html#options",
        {"options": options, "target": target, "text": text},
    )
