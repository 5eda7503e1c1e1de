"""Formulary routes under /api/v1/ (included by ivig/api/urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("products", api.ProductViewSet, basename="formulary-product")
router.register("vial-sizes", api.VialSizeViewSet, basename="formulary-vial-size")

urlpatterns = [
    *router.urls,
    path("dosing-policy/", api.DosingPolicyView.as_view(), name="formulary-dosing-policy"),
]
