from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import access
from crm.query import summary


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: what is in their workspace."""
    ctx = access.context_for(request)
    return render(request, "crm/home.html", {"counts": summary.counts(ctx)})
