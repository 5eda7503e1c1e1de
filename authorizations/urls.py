"""Authorization pages (docs/clinical-rules.md 7). They live under ``/orders/`` as they always
have: ``/orders/authorizations/...`` and an order's ``/orders/<id>/coverage/``."""

from django.urls import path

from . import views

app_name = "authorizations"

urlpatterns = [
    path("authorizations/", views.dashboard, name="authorizations"),
    path("authorizations/all/", views.authorization_list, name="authorization-list"),
    path(
        "authorizations/new/",
        views.authorization_create,
        name="authorization-create",
    ),
    path(
        "authorizations/new/orders/",
        views.authorization_order_options,
        name="authorization-order-options",
    ),
    path(
        "authorizations/<int:pk>/",
        views.authorization_detail,
        name="authorization-detail",
    ),
    path(
        "authorizations/<int:pk>/edit/",
        views.authorization_edit,
        name="authorization-edit",
    ),
    path(
        "authorizations/<int:pk>/submit/",
        views.authorization_submit,
        name="authorization-submit",
    ),
    path(
        "authorizations/<int:pk>/decision/",
        views.authorization_decision,
        name="authorization-decision",
    ),
    path(
        "authorizations/<int:pk>/appeal/",
        views.authorization_appeal,
        name="authorization-appeal",
    ),
    path(
        "authorizations/<int:pk>/expire/",
        views.authorization_expire,
        name="authorization-expire",
    ),
    path(
        "authorizations/<int:pk>/renew/",
        views.authorization_renew,
        name="authorization-renew",
    ),
    path(
        "authorizations/<int:pk>/documents/",
        views.authorization_document_add,
        name="authorization-document-add",
    ),
    path("<int:pk>/coverage/", views.order_coverage_page, name="order-coverage"),
]
