"""Everything under ``/api/v1/``: each app contributes its routes here."""

from django.urls import include, path, re_path

from ivig.api import base as api

urlpatterns = [
    path("me/", api.me, name="api-me"),
    path("", include("formulary.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("authorizations.api_urls")),
    path("", include("ivig.notifications.api_urls")),
    path("", include("infusions.api_urls")),
    # Last: every other path ending in a slash answers the API's JSON 404 (one without the slash
    # is first redirected to it, as everywhere).
    # Any character, a newline (%0A) too.
    re_path(r"^(?P<path>[\s\S]*)/$", api.not_found, name="api-not-found"),
]
