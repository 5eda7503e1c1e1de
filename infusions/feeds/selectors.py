"""What the calendar feeds read: the token's holder, the sessions as plain rows, and the
schedule's version."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from infusions.booking.selectors import sessions_for_range
from infusions.chairs.models import Chair
from infusions.feeds.ical import FEED_DAYS_AFTER, FEED_DAYS_BEFORE, FeedEvent
from infusions.feeds.models import CalendarFeedToken, ScheduleChange, token_digest
from ivig.accounts.roles import roles_of


def feed_token(token: str) -> CalendarFeedToken | None:
    """The feed token ``token`` is, with its user, when that user is active and holds a role;
    else None."""
    feed = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_sha256=token_digest(token))
        .first()
    )
    if feed is None or not feed.user.is_active or not roles_of(feed.user):
        return None
    return feed


EVENT_FIELDS = (
    "pk",
    "order__patient_id",
    "planned_start",
    "planned_end",
    "status",
    "partial_dose",
    "version",
    "cycle_number",
    "day_number",
    "order__patient__given_name",
    "order__patient__family_name",
    "order__patient__mrn",
    "order__product__brand_name",
    "chair__name",
)


def feed_window_start(today: date | None = None) -> date:
    """The first day a feed shows: ``FEED_DAYS_BEFORE`` days before today (local)."""
    return (today or timezone.localdate()) - timedelta(days=FEED_DAYS_BEFORE)


def feed_events(window_start: date, chair: Chair | None = None) -> list[FeedEvent]:
    """The sessions starting in the feed's window (``FEED_DAYS_BEFORE`` days before today to
    ``FEED_DAYS_AFTER`` after), every status, in the schedule's order; one query of the columns
    the events show."""
    start = timezone.make_aware(datetime.combine(window_start, time.min))
    sessions = sessions_for_range(
        start, start + timedelta(days=FEED_DAYS_BEFORE + FEED_DAYS_AFTER), chair=chair
    )
    return [FeedEvent._make(row) for row in sessions.values_list(*EVENT_FIELDS)]


def schedule_version_expression() -> Coalesce:
    """The version (as ``schedule_version`` reads it) inside another query."""
    total = (
        ScheduleChange.objects.order_by()
        .annotate(whole=Value(1))
        .values("whole")
        .annotate(total=Sum("weight"))
        .values("total")
    )
    return Coalesce(Subquery(total), Value(0))


def schedule_version() -> tuple[int, int]:
    """(the feeds' version, how many change rows make it): one query. The version is the total
    weight of the committed ``ScheduleChange`` rows, so a change that commits moves it."""
    totals = ScheduleChange.objects.aggregate(version=Sum("weight"), rows=Count("pk"))
    return int(totals["version"] or 0), int(totals["rows"])
