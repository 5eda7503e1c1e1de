from django.urls import path

from . import views

app_name = "formulary"

urlpatterns = [
    path("", views.product_list, name="product-list"),
    path("new/", views.product_create, name="product-create"),
    path("policy/", views.policy, name="policy"),
    path("<slug:slug>/", views.product_detail, name="product-detail"),
    path("<slug:slug>/edit/", views.product_edit, name="product-edit"),
    path("<slug:slug>/deactivate/", views.product_deactivate, name="product-deactivate"),
    path("<slug:slug>/reactivate/", views.product_reactivate, name="product-reactivate"),
    path("<slug:slug>/price/", views.product_price, name="product-price"),
]
