from django.urls import path

from . import views

app_name = "infusions"

urlpatterns = [
    path("", views.schedule, name="schedule"),
]
