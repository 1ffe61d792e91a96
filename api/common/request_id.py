"""``X-Request-ID`` on every response: the caller's own when it is sane, else a
new ``req_…``. Error envelopes quote it as ``request_id``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
#: Printable, header-safe and short: anything else is replaced, never echoed.
_SANE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{7,127}$")


def new_id() -> str:
    return f"req_{uuid.uuid4().hex}"


def of(request: HttpRequest | None) -> str:
    """The id of ``request`` (a new one when the middleware did not run)."""
    if request is None:
        return new_id()
    request_id = getattr(request, "request_id", None)
    if request_id is None:
        request_id = new_id()
        request.request_id = request_id
    return request_id


class RequestIdMiddleware:
    """Give each request an id and echo it in ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request.request_id = incoming if _SANE.match(incoming) else new_id()
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response
