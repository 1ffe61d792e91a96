"""Flash messages in HTMX answers: a partial that replaces part of a page
brings the messages of its action along, swapped into the page's message
area (``#messages``, a live region) out of band, as a full page shows them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string


def _messages(request: HttpRequest) -> str:
    """The request's messages for the message area, out of band (read, so
    that the next page does not show them again)."""
    return render_to_string("components/messages.html", {"oob": True}, request)


def respond(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """``template`` rendered, then the messages."""
    response = render(request, template, context, status=status)
    response.write(_messages(request))
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def only(request: HttpRequest, *, status: int) -> HttpResponse:
    """The messages alone: the page stays as it was (``HX-Reswap: none``)."""
    return HttpResponse(
        _messages(request), status=status, headers={"HX-Reswap": "none"}
    )
