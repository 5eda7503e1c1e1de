"""The planner's routes under ``/api/v1/planner/`` (included by ``infusions/api_urls.py``)."""

from django.urls import path

from . import api

urlpatterns = [
    path("suggestions/", api.SuggestionView.as_view(), name="api-planner-suggestion"),
    path("accept/", api.AcceptView.as_view(), name="api-planner-accept"),
    path("shifts/", api.ShiftsView.as_view(), name="api-planner-shifts"),
    path("policy/", api.PolicyView.as_view(), name="api-planner-policy"),
    path(
        "patients/<int:patient_pk>/times/",
        api.PatientTimesView.as_view(),
        name="api-planner-patient-times",
    ),
]
