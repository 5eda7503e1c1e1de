"""Authorization routes under ``/api/v1/`` (docs/clinical-rules.md 7)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("authorizations", api.AuthorizationViewSet, basename="api-authorization")

urlpatterns = [
    path(
        "orders/<int:order_id>/coverage/",
        api.OrderCoverageView.as_view(),
        name="api-order-coverage",
    ),
    *router.urls,
]
