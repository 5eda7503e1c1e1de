"""Everything under ``/api/v1/``: each app contributes its routes here."""

from django.urls import include, path

from orders.dose_plan_api import DosePlanView

from . import api

urlpatterns = [
    path("me/", api.me, name="api-me"),
    path("", include("formulary.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("orders.authorization_api_urls")),
    path("", include("ivig.notifications.api_urls")),
    path("", include("infusions.api_urls")),
    path("dose-plans/", DosePlanView.as_view(), name="api-dose-plans"),
]
