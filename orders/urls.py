from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.home, name="home"),
    path("verification/", views.verification_queue, name="verification-queue"),
    path("authorizations/", views.authorizations, name="authorizations"),
]
