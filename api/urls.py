"""Everything under /api/: v1 (with or without a trailing slash), the OpenAPI
schema and its explorer, and a 404 in the envelope for any other path."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation

from api.common import slashes
from api.common.views import RateLimited, UnknownEndpoint
from api.v1 import urls as v1

app_name = "api"


class _Counted(RateLimited):
    """Counted like every API endpoint (a Bearer caller in its credential's
    bucket, anyone else by address), with the rate-limit headers."""

    def initial(self, request, *args, **kwargs):
        self.authenticate_counted(request)
        super().initial(request, *args, **kwargs)


class SchemaView(_Counted, SpectacularAPIView):
    """The OpenAPI 3 document (public): YAML, or JSON with ``?format=json``."""

    content_negotiation_class = DefaultContentNegotiation

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False
        return view


class ExplorerView(_Counted, SpectacularSwaggerView):
    """Swagger UI over the schema, served from vendored assets (no CDN)."""

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.login_required = False
        return view


urlpatterns = [
    path("v1/", include((slashes.tolerant(v1.urlpatterns), "v1"))),
    re_path(r"^schema/?$", SchemaView.as_view(), name="schema"),
    re_path(
        r"^explorer/?$", ExplorerView.as_view(url_name="api:schema"), name="explorer"
    ),
    re_path(r"^.*$", UnknownEndpoint.as_view(), name="unknown"),
]
