from django.urls import path

from . import views
from .premedication import views as premedication

app_name = "formulary"

urlpatterns = [
    path("", views.product_list, name="product-list"),
    path("new/", views.product_create, name="product-create"),
    path("policy/", views.policy, name="policy"),
    # Under policy/ (a reserved product slug), so that no product's page can shadow them.
    path("policy/premedication/", premedication.catalogue, name="premedication"),
    path("policy/premedication/new/", premedication.drug_create, name="premedication-create"),
    path("policy/premedication/<slug:slug>/", premedication.drug_edit, name="premedication-edit"),
    path(
        "policy/premedication/<slug:slug>/active/",
        premedication.drug_set_active,
        name="premedication-set-active",
    ),
    path("<slug:slug>/", views.product_detail, name="product-detail"),
    path("<slug:slug>/edit/", views.product_edit, name="product-edit"),
    path("<slug:slug>/deactivate/", views.product_deactivate, name="product-deactivate"),
    path("<slug:slug>/reactivate/", views.product_reactivate, name="product-reactivate"),
    path("<slug:slug>/price/", views.product_price, name="product-price"),
]
