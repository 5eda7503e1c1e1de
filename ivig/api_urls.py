"""Everything under ``/api/v1/``: each app contributes its routes here."""

from django.urls import path

from . import api

urlpatterns = [
    path("me/", api.me, name="api-me"),
]
