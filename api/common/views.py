"""The base of every API view: authentication to a Context, rate limits,
idempotency, deprecation headers and the error envelope.

Order of a request: authenticate (Bearer or session) → count it in the
credential's bucket (429 past the limit) → permission classes → refuse API keys
on credential endpoints → claim the Idempotency-Key of a POST → the handler.
Every response, errors included, carries the rate-limit headers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import format_datetime

from django.conf import settings
from django.http.response import HttpResponseBase
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from accounts import ratelimit
from accounts.access import Context
from api.common import idempotency
from api.common.auth import Credential
from crm.metadata import registry

_DEPRECATION_ATTR = "api_deprecation"


@dataclass(frozen=True)
class Deprecation:
    """When an endpoint was deprecated and when it goes away (RFC 9745, 8594)."""

    since: dt.datetime | None = None
    sunset: dt.datetime | None = None
    link: str = ""

    def headers(self) -> dict[str, str]:
        out = {
            "Deprecation": f"@{int(self.since.timestamp())}" if self.since else "true"
        }
        if self.sunset:
            out["Sunset"] = format_datetime(self.sunset.astimezone(dt.UTC), usegmt=True)
        if self.link:
            out["Link"] = f'<{self.link}>; rel="deprecation"'
        return out


def deprecated(
    *,
    since: dt.datetime | None = None,
    sunset: dt.datetime | None = None,
    link: str = "",
):
    """Mark a view class or one handler method deprecated: its responses carry
    ``Deprecation`` (and ``Sunset``/``Link`` when given)."""
    notice = Deprecation(since=since, sunset=sunset, link=link)

    def mark(target):
        setattr(target, _DEPRECATION_ATTR, notice)
        return target

    return mark


def _refuse_nul(request) -> None:
    """PostgreSQL text cannot hold NUL: refuse it in the query string at the
    door, as the body parser does in bodies, rather than deep in a query."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise exceptions.ParseError(
                "The query string may not contain NUL characters (%00)."
            )


class RateLimited:
    """Counts each request of an API view in its caller's bucket — the
    credential's, or the client address's for anonymous callers — and puts
    the window's headers on every response, errors included."""

    rate_window: ratelimit.Window | None = None

    def authenticate_counted(self, request) -> None:
        """Authenticate, count the request (failed or not) in its bucket, and
        refuse it (429) once the window is used up."""
        try:
            self.perform_authentication(request)
        finally:
            self.count_request(request)
        self.check_rate()

    def count_request(self, request) -> None:
        """Count the request, once authentication has run (or failed)."""
        auth = request.auth
        if isinstance(auth, Credential):
            bucket = auth.bucket
            limit = auth.rate_limit or settings.API_RATE_LIMIT
        else:
            bucket = f"ip:{ratelimit.client_address(request.META)}"
            limit = settings.API_RATE_LIMIT_ANONYMOUS
        self.rate_window = ratelimit.hit(bucket, limit, settings.API_RATE_LIMIT_WINDOW)

    def check_rate(self) -> None:
        """Throttled (429 with Retry-After) once the window is used up."""
        if self.rate_window is not None and self.rate_window.exceeded:
            raise exceptions.Throttled(wait=self.rate_window.retry_after())

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.rate_window is not None:
            for name, value in self.rate_window.headers().items():
                response[name] = value
        return response


class ApiView(RateLimited, APIView):
    """One endpoint of the HotCRM API. ``self.ctx`` is the caller's Context."""

    #: True on endpoints that mint, list or revoke secrets: API keys and
    #: third-party OAuth clients are refused there.
    credential_management = False

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False  # the API answers 401 itself
        return view

    @property
    def credential(self) -> Credential:
        auth = self.request.auth
        if not isinstance(auth, Credential):
            raise exceptions.NotAuthenticated(
                "Authentication credentials were not provided."
            )
        return auth

    @property
    def ctx(self) -> Context:
        return self.credential.ctx

    # -- the request's way through ---------------------------------------------

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        negotiated = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = negotiated
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        self.authenticate_counted(request)
        _refuse_nul(request)
        self.check_permissions(request)
        auth = request.auth
        if (
            self.credential_management
            and isinstance(auth, Credential)
            and not auth.may_manage_credentials
        ):
            raise exceptions.PermissionDenied(
                "API keys, OAuth clients and scoped tokens may not manage credentials."
            )

    def _claim(self, request):
        key = request.headers.get(idempotency.HEADER)
        if request.method != "POST" or key is None:
            return None
        auth = request.auth
        if not isinstance(auth, Credential):
            return None
        print_ = idempotency.fingerprint(request.method, request.path, request.data)
        return idempotency.begin(auth.ctx.workspace, auth.principal, key, print_)

    def dispatch(self, request, *args, **kwargs):
        """DRF's dispatch with an idempotency claim between ``initial`` and the
        handler, and the claim's response kept once rendered."""
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        claim = None
        try:
            self.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = (
                getattr(self, method, None)
                if method in self.http_method_names
                else None
            )
            if handler is None:
                if "objects" in kwargs:  # an unknown object is not found, whatever
                    registry.get(self.ctx, kwargs["objects"])  # the method
                response = self.http_method_not_allowed(request, *args, **kwargs)
            else:
                outcome = self._claim(request)
                if isinstance(outcome, HttpResponseBase):
                    response = outcome
                else:
                    claim = outcome
                    response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        if claim is not None:
            if isinstance(self.response, Response) and not self.response.is_rendered:
                self.response.add_post_render_callback(claim.finish)
            else:
                claim.finish(self.response)
        return self.response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        handler = getattr(self, request.method.lower(), None)
        notice = getattr(handler, _DEPRECATION_ATTR, None) or getattr(
            self, _DEPRECATION_ATTR, None
        )
        if notice is not None:
            for name, value in notice.headers().items():
                response[name] = value
        return response


class ApiViewSet(ViewSetMixin, ApiView):
    """A viewset on the same base (for routers)."""

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        view = super().as_view(actions, **initkwargs)
        view.login_required = False
        return view


class PublicApiView(ApiView):
    """An endpoint anyone may call (counted per client address)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)


class UnknownEndpoint(ApiView):
    """Every path under /api/ that no route takes: 404 in the envelope."""

    permission_classes = (AllowAny,)
    schema = None  # not an endpoint: left out of the OpenAPI document

    def _not_found(self, request, *args, **kwargs):
        raise exceptions.NotFound("There is no such endpoint.")

    get = post = put = patch = delete = _not_found
