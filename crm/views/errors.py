"""Domain refusals as pages of the browser UI.

A view that lets ``accounts.errors.DomainError`` escape gets a friendly answer:
404 for something not found (another workspace's record included), 403 for a
refusal of the profile, 422 for input the lifecycle refused. HTMX requests get
a small fragment and ``HX-Retarget`` to the page's message area, so the page
around stays as it was. The REST API handles its own errors before this.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import errors

STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, 404),
    (errors.PermissionDenied, 403),
    (errors.AuthenticationFailed, 403),
)
TITLES = {404: "Not found", 403: "Not allowed", 422: "That did not work"}


def status_of(exc: errors.DomainError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 422


def respond(request: HttpRequest, exc: errors.DomainError) -> HttpResponse:
    """The page (or, for HTMX, the fragment) that explains ``exc``."""
    status = status_of(exc)
    context = {"message": exc.message, "status": status, "title": TITLES[status]}
    if getattr(request, "htmx", False):
        response = render(request, "crm/error.html#message", context, status=status)
        response["HX-Retarget"] = "#toast"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "crm/error.html", context, status=status)


class DomainErrorMiddleware:
    """Turns an escaped DomainError into 404/403/422 for the UI."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not isinstance(exception, errors.DomainError):
            return None
        if request.path.startswith(("/api/", "/oauth/", "/crm/v")):
            return None
        return respond(request, exception)
