from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("stewardship/", views.stewardship_report, name="stewardship"),
    path("stewardship.csv", views.stewardship_csv, name="stewardship-csv"),
]
