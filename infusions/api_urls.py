"""The infusions app's routes under ``/api/v1/`` (included by ivig/api/urls.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from infusions.administration import api as administration_api
from infusions.chairs import api as chair_api
from infusions.reactions import api as reaction_api
from infusions.schedule import api as schedule_api

router = SimpleRouter()
router.register("chairs", chair_api.ChairViewSet, basename="api-chair")
router.register("infusion-sessions", schedule_api.SessionViewSet, basename="api-infusion-session")

urlpatterns = [
    path("lots/", administration_api.LotRecallView.as_view(), name="api-lot-recall"),
    path(
        "infusion-sessions/<int:pk>/entries/",
        administration_api.EntryListCreate.as_view(),
        name="api-infusion-session-entries",
    ),
    path(
        "infusion-sessions/<int:pk>/premedication/",
        administration_api.PremedicationGivenView.as_view(),
        name="api-infusion-session-premedication",
    ),
    path(
        "reactions/<int:pk>/plan/",
        reaction_api.ReactionPlanView.as_view(),
        name="api-reaction-plan",
    ),
    path("planner/", include("infusions.planning.api_urls")),
    *router.urls,
]
