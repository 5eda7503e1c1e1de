from django.urls import path

from . import authorization_views, views

app_name = "orders"

urlpatterns = [
    path("", views.home, name="home"),
    path("verification/", views.verification_queue, name="verification-queue"),
    path("authorizations/", authorization_views.dashboard, name="authorizations"),
    path("authorizations/all/", authorization_views.authorization_list, name="authorization-list"),
    path(
        "authorizations/new/",
        authorization_views.authorization_create,
        name="authorization-create",
    ),
    path(
        "authorizations/<int:pk>/",
        authorization_views.authorization_detail,
        name="authorization-detail",
    ),
    path(
        "authorizations/<int:pk>/edit/",
        authorization_views.authorization_edit,
        name="authorization-edit",
    ),
    path(
        "authorizations/<int:pk>/submit/",
        authorization_views.authorization_submit,
        name="authorization-submit",
    ),
    path(
        "authorizations/<int:pk>/decision/",
        authorization_views.authorization_decision,
        name="authorization-decision",
    ),
    path(
        "authorizations/<int:pk>/appeal/",
        authorization_views.authorization_appeal,
        name="authorization-appeal",
    ),
    path(
        "authorizations/<int:pk>/expire/",
        authorization_views.authorization_expire,
        name="authorization-expire",
    ),
    path(
        "authorizations/<int:pk>/renew/",
        authorization_views.authorization_renew,
        name="authorization-renew",
    ),
    path(
        "authorizations/<int:pk>/documents/",
        authorization_views.authorization_document_add,
        name="authorization-document-add",
    ),
    path("<int:pk>/coverage/", authorization_views.order_coverage_page, name="order-coverage"),
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient-edit"),
    path("patients/<int:pk>/weights/add/", views.patient_weight_add, name="patient-weight-add"),
    path("new/", views.order_create, name="order-create"),
    path("new/preview/", views.order_preview, name="order-preview"),
    path("new/fields/", views.order_form_fields, name="order-form-fields"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
    path("<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("<int:pk>/print/", views.order_print, name="order-print"),
    path("<int:pk>/sign/", views.order_sign, name="order-sign"),
    path("<int:pk>/verify/", views.order_verify, name="order-verify"),
    path("<int:pk>/reject/", views.order_reject, name="order-reject"),
    path("<int:pk>/discontinue/", views.order_discontinue, name="order-discontinue"),
    path("<int:pk>/complete/", views.order_complete, name="order-complete"),
]
