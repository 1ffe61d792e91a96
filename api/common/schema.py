"""drf-spectacular extensions for the API's own authentication classes.

Loaded by ``api.apps.ApiConfig.ready``.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerScheme(OpenApiAuthenticationExtension):
    """A Bearer token, and how OAuth 2.0 clients get one (the explorer can
    run the authorization code flow with PKCE against /oauth/)."""

    target_class = "api.common.auth.BearerAuthentication"
    name = ["bearerAuth", "oauth2"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # either one, not both

    def get_security_definition(self, auto_schema):
        scopes = {
            "read:crm": "Read every object you may read.",
            "write:crm": "Create, change and delete in every object you may.",
            "read:<object>": "Read one object (read:opportunity).",
            "write:<object>": "Write one object (write:opportunity).",
        }
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An OAuth 2.0 access token (from /oauth/token or "
                "/api/v1/auth/token), a personal access token (pat_…) or an API "
                "key (ak_…).",
            },
            {
                "type": "oauth2",
                "description": "Authorization code with PKCE (S256 required).",
                "flows": {
                    "authorizationCode": {
                        "authorizationUrl": "/oauth/authorize/",
                        "tokenUrl": "/oauth/token/",
                        "refreshUrl": "/oauth/token/",
                        "scopes": scopes,
                    }
                },
            },
        ]


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.common.auth.SessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
