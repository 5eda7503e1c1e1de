"""The infusions app's routes under ``/api/v1/`` (included by ivig/api_urls.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, lot_views, reaction_api

router = SimpleRouter()
router.register("chairs", api.ChairViewSet, basename="api-chair")
router.register("infusion-sessions", api.SessionViewSet, basename="api-infusion-session")

urlpatterns = [
    path("lots/", lot_views.LotRecallView.as_view(), name="api-lot-recall"),
    path(
        "infusion-sessions/<int:pk>/entries/",
        api.EntryListCreate.as_view(),
        name="api-infusion-session-entries",
    ),
    path(
        "reactions/<int:pk>/plan/",
        reaction_api.ReactionPlanView.as_view(),
        name="api-reaction-plan",
    ),
    path("planner/", include("infusions.planning.api_urls")),
    *router.urls,
]
