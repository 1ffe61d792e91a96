"""The one error envelope of the HotCRM API.

``{"error": {"code", "message", "field", "details": [{"field", "message"}],
"request_id"}}``: the first document's shape with the second's ``details``.
Domain errors map by their ``code``; DRF's and Django's own exceptions by
class; anything else is logged and answered as ``server_error`` without a
word about what went wrong.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts import errors as domain
from api.common import request_id
from api.common.auth import WWW_AUTHENTICATE

logger = logging.getLogger("api")

#: HTTP status of each error code. Codes are the first document's; the README
#: maps them to the second's (VALIDATION_ERROR, DUPLICATE_ERROR, …).
STATUS = {
    "validation_failed": 400,
    "duplicate_value": 400,
    "authentication_failed": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "reference_conflict": 409,
    "request_in_progress": 409,
    "precondition_failed": 412,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "idempotency_key_reused": 422,
    "rate_limited": 429,
    "server_error": 500,
}


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")


class RequestInProgress(exceptions.APIException):
    status_code = 409
    default_code = "request_in_progress"
    default_detail = (
        "A request with this Idempotency-Key is still being processed; retry later."
    )


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = (
        "This Idempotency-Key was used with a different request; use a new key."
    )


def envelope(
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: Iterable[Mapping[str, Any]] = (),
    request=None,
) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "field": field,
            "details": [
                {"field": d.get("field"), "message": d.get("message")} for d in details
            ],
            "request_id": request_id.of(getattr(request, "_request", request)),
        }
    }


def error_response(
    code: str,
    message: str,
    *,
    status_code: int | None = None,
    field: str | None = None,
    details: Iterable[Mapping[str, Any]] = (),
    request=None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        envelope(code, message, field=field, details=details, request=request),
        status=status_code or STATUS.get(code, 400),
        headers=dict(headers or {}),
    )


def _flatten(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """DRF's nested ValidationError detail as ``[{"field", "message"}]``."""
    if isinstance(detail, Mapping):
        out = []
        for key, inner in detail.items():
            name = str(key) if key != "non_field_errors" else None
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            out.extend(_flatten(inner, path))
        return out
    if isinstance(detail, list):
        out = []
        for index, inner in enumerate(detail):
            nested = isinstance(inner, Mapping | list)
            path = f"{prefix}[{index}]" if nested and prefix else prefix
            out.extend(_flatten(inner, path))
        return out
    return [{"field": prefix, "message": str(detail)}]


def _message(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, list | dict):
        flat = _flatten(detail)
        return flat[0]["message"] if flat else str(exc.default_detail)
    return str(detail)


def _from_api_exception(exc: exceptions.APIException, request) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        first = details[0] if details else {"field": None, "message": "Invalid input."}
        return error_response(
            "validation_failed",
            first["message"],
            field=first["field"],
            details=details,
            request=request,
        )
    if isinstance(exc, exceptions.ParseError):
        code = "validation_failed"
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code = "authentication_failed"
        # RFC 6750 §3: a token that was sent but refused is an invalid_token.
        headers["WWW-Authenticate"] = (
            f'{WWW_AUTHENTICATE}, error="invalid_token"'
            if isinstance(exc, exceptions.AuthenticationFailed)
            else WWW_AUTHENTICATE
        )
        return error_response(
            code,
            _message(exc),
            status_code=401,
            request=request,
            headers=headers,
        )
    elif isinstance(exc, exceptions.PermissionDenied):
        code = "permission_denied"
    elif isinstance(exc, exceptions.NotFound):
        code = "not_found"
    elif isinstance(exc, exceptions.Throttled):
        code = "rate_limited"
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait or 1)))
        return error_response(
            code,
            "Too many requests; retry after the time in Retry-After.",
            status_code=429,
            request=request,
            headers=headers,
        )
    else:
        code = str(exc.default_code)
    return error_response(
        code,
        _message(exc),
        status_code=exc.status_code,
        request=request,
        headers=headers,
    )


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception becomes the envelope."""
    from rest_framework.views import set_rollback  # DRF's views import this module

    request = context.get("request")
    set_rollback()
    if isinstance(exc, domain.DomainError):
        details = [{"field": d.field, "message": d.message} for d in exc.details]
        response = error_response(
            exc.code,
            exc.message,
            field=exc.field,
            details=details,
            request=request,
            status_code=STATUS.get(exc.code, 400),
        )
        if exc.code == "authentication_failed":
            response["WWW-Authenticate"] = WWW_AUTHENTICATE
        if isinstance(exc, domain.RateLimited):
            response["Retry-After"] = str(max(1, exc.retry_after))
        return response
    if isinstance(exc, Http404):
        return error_response("not_found", "Not found.", request=request)
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(
            "permission_denied", "You may not do that.", request=request
        )
    if isinstance(exc, exceptions.APIException):
        return _from_api_exception(exc, request)
    logger.exception(
        "Unhandled error in the API (request %s)",
        request_id.of(getattr(request, "_request", None)),
    )
    return error_response(
        "server_error",
        "Something went wrong on our side. Quote the request_id if you report it.",
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        request=request,
    )
