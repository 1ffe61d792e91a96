"""The URL map: browser UI, auth, Django admin, health, the REST API and OAuth."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm.views import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", health.healthz, name="healthz"),
    path("api/", include("api.urls")),
    path("oauth/", include("api.oauth")),
    path("", include("crm.urls")),
]
