"""The planner's pages (included by ``infusions/urls.py`` under ``planner/``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.suggest, name="planner"),
    path("accept/", views.accept, name="planner-accept"),
    path("load/", views.nurse_load, name="planner-load"),
    path("shifts/", views.shifts, name="planner-shifts"),
    path("shifts/remove/", views.shift_remove, name="planner-shift-remove"),
    path(
        "patients/<int:patient_pk>/times/",
        views.patient_times,
        name="planner-patient-times",
    ),
]
