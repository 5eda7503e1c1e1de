"""Everything under ``/api/v1/``: each app contributes its routes here."""

from django.urls import include, path

from . import api

urlpatterns = [
    path("me/", api.me, name="api-me"),
    path("", include("formulary.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("authorizations.api_urls")),
    path("", include("ivig.notifications.api_urls")),
    path("", include("infusions.api_urls")),
]
