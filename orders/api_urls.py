"""The orders app's routes under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api
from .dose_plans.api import DosePlanView
from .labs import api as lab_api
from .patients import api as patient_api
from .reviews.api import OrderReviewsView, OrderTaperView

router = SimpleRouter()
router.register("patients", patient_api.PatientViewSet, basename="api-patient")
router.register("indications", api.IndicationViewSet, basename="api-indication")
router.register("orders", api.OrderViewSet, basename="api-order")

urlpatterns = [
    path("dose-plans/", DosePlanView.as_view(), name="api-dose-plans"),
    path(
        "patients/<int:patient_id>/weights/",
        patient_api.PatientWeightListCreate.as_view(),
        name="api-patient-weights",
    ),
    path("orders/<int:pk>/reviews/", OrderReviewsView.as_view(), name="api-order-reviews"),
    path("orders/<int:pk>/taper/", OrderTaperView.as_view(), name="api-order-taper"),
    path(
        "patients/<int:patient_id>/labs/",
        lab_api.LabResultListCreate.as_view(),
        name="api-patient-labs",
    ),
    path("labs/import/", lab_api.LabImportView.as_view(), name="api-lab-import"),
    path(
        "labs/import/<int:pk>/",
        lab_api.LabImportStatusView.as_view(),
        name="api-lab-import-status",
    ),
    *router.urls,
]
