from django.urls import include, path

from infusions.administration import views as administration_views
from infusions.booking import views as booking_views
from infusions.chairs import views as chair_views
from infusions.feeds import views as feed_views
from infusions.reactions import views as reaction_views
from infusions.schedule import views as schedule_views

app_name = "infusions"

urlpatterns = [
    path("", schedule_views.schedule, name="schedule"),
    path("orders/<int:order_pk>/cycles/<int:cycle>/book/", booking_views.book, name="book"),
    path("sessions/<int:pk>/", schedule_views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/record/", schedule_views.session_record, name="session-record"),
    path("sessions/<int:pk>/reason/", schedule_views.session_reason, name="session-reason"),
    path(
        "sessions/<int:pk>/premedication/",
        schedule_views.session_premedication,
        name="session-premedication",
    ),
    path("sessions/<int:pk>/move/", schedule_views.session_move, name="session-move"),
    path("sessions/<int:pk>/cancel/", schedule_views.session_cancel, name="session-cancel"),
    path("sessions/<int:pk>/confirm/", schedule_views.session_confirm, name="session-confirm"),
    path("reactions/<int:entry_pk>/plan/", reaction_views.reaction_plan, name="reaction-plan"),
    path("lots/", administration_views.lot_recall, name="lot-recall"),
    path("lots.csv", administration_views.lot_recall_csv, name="lot-recall-csv"),
    path("lots/notify/", administration_views.lot_recall_notify, name="lot-recall-notify"),
    path("chairs/", chair_views.chair_list, name="chairs"),
    path("chairs/new/", chair_views.chair_edit, name="chair-add"),
    path("chairs/<int:pk>/", chair_views.chair_edit, name="chair-edit"),
    path("calendar/", feed_views.calendar_feeds, name="calendar"),
    path("planner/", include("infusions.planning.urls")),
    path("calendar/<str:token>/unit.ics", feed_views.feed_unit, name="feed-unit"),
    path(
        "calendar/<str:token>/chairs/<int:chair_pk>.ics", feed_views.feed_chair, name="feed-chair"
    ),
]
