from django.urls import include, path

from . import lot_views, reaction_views, views

app_name = "infusions"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("orders/<int:order_pk>/cycles/<int:cycle>/book/", views.book, name="book"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/record/", views.session_record, name="session-record"),
    path("sessions/<int:pk>/reason/", views.session_reason, name="session-reason"),
    path("sessions/<int:pk>/move/", views.session_move, name="session-move"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session-cancel"),
    path("sessions/<int:pk>/confirm/", views.session_confirm, name="session-confirm"),
    path("reactions/<int:entry_pk>/plan/", reaction_views.reaction_plan, name="reaction-plan"),
    path("lots/", lot_views.lot_recall, name="lot-recall"),
    path("lots.csv", lot_views.lot_recall_csv, name="lot-recall-csv"),
    path("lots/notify/", lot_views.lot_recall_notify, name="lot-recall-notify"),
    path("chairs/", views.chair_list, name="chairs"),
    path("chairs/new/", views.chair_edit, name="chair-add"),
    path("chairs/<int:pk>/", views.chair_edit, name="chair-edit"),
    path("calendar/", views.calendar_feeds, name="calendar"),
    path("planner/", include("infusions.planning.urls")),
    path("calendar/<str:token>/unit.ics", views.feed_unit, name="feed-unit"),
    path("calendar/<str:token>/chairs/<int:chair_pk>.ics", views.feed_chair, name="feed-chair"),
]
