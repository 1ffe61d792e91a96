"""drf-spectacular extensions for the API's own authentication classes.

Loaded by ``api.apps.ApiConfig.ready``.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "api.common.auth.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An OAuth 2.0 access token (from /oauth/token or "
            "/api/v1/auth/token), a personal access token (pat_…) or an API key "
            "(ak_…).",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.common.auth.SessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
