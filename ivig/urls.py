from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from ivig.accounts.views import home
from ivig.api.schema_view import SchemaView
from ivig.web.health import healthz


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links: the static icon (its hashed name
    in production, so resolved per request, not at import)."""
    return HttpResponseRedirect(static("favicon.svg"))


urlpatterns = [
    path("", home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the static icon.
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", include("ivig.api.urls")),
    path("fhir/R4/", include("interop.urls")),
    path("fhir/R4", include("interop.base_urls")),  # POST [base] without the trailing slash
    # Generated once per process, not per request (ivig/api/schema_view.py).
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script (CSP). People who
    # are not signed in are sent to sign in, as on every page (not DRF's bare 403).
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path("orders/", include("orders.urls")),
    path("orders/", include("authorizations.urls")),
    path("infusions/", include("infusions.urls")),
    path("formulary/", include("formulary.urls")),
    path("reports/", include("reports.urls")),
    path("notifications/", include("ivig.notifications.urls")),
]
