from django.urls import path

from . import views
from .labs import views as lab_views
from .patients import views as patient_views
from .reviews import views as review_views

app_name = "orders"

urlpatterns = [
    path("", views.home, name="home"),
    path("verification/", views.verification_queue, name="verification-queue"),
    path("patients/", patient_views.patient_list, name="patient-list"),
    path("patients/new/", patient_views.patient_create, name="patient-create"),
    path("patients/<int:pk>/", patient_views.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", patient_views.patient_edit, name="patient-edit"),
    path(
        "patients/<int:pk>/weights/add/",
        patient_views.patient_weight_add,
        name="patient-weight-add",
    ),
    path("patients/<int:pk>/labs/add/", lab_views.patient_lab_add, name="patient-lab-add"),
    path("labs/import/", lab_views.lab_import, name="lab-import"),
    path("labs/import/<int:pk>/", lab_views.lab_import_detail, name="lab-import-detail"),
    path(
        "labs/import/<int:pk>/progress/",
        lab_views.lab_import_progress,
        name="lab-import-progress",
    ),
    path("new/", views.order_create, name="order-create"),
    path("new/preview/", views.order_preview, name="order-preview"),
    path("new/fields/", views.order_form_fields, name="order-form-fields"),
    path("new/patients/", views.order_patient_options, name="order-patient-options"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
    path("<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("<int:pk>/print/", views.order_print, name="order-print"),
    path("<int:pk>/sign/", views.order_sign, name="order-sign"),
    path("<int:pk>/verify/", views.order_verify, name="order-verify"),
    path("<int:pk>/reject/", views.order_reject, name="order-reject"),
    path("<int:pk>/discontinue/", views.order_discontinue, name="order-discontinue"),
    path("<int:pk>/complete/", views.order_complete, name="order-complete"),
    path("<int:pk>/reviews/", review_views.order_reviews, name="order-reviews"),
    path("<int:pk>/reviews/taper/", review_views.order_taper, name="order-taper"),
]
