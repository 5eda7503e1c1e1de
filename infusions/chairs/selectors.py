"""Reading chairs with their opening hours (STYLE: selectors)."""

from datetime import date, datetime

from django.db.models import (
    QuerySet,
    prefetch_related_objects,
)

from infusions.chairs.models import Chair
from infusions.common import at, local


def chairs_with_hours() -> QuerySet[Chair]:
    return Chair.objects.filter(active=True).prefetch_related("opening_hours")


def with_hours(chairs: list[Chair]) -> list[Chair]:
    """``chairs`` with their opening hours (one query)."""
    prefetch_related_objects(chairs, "opening_hours")
    return chairs


def opening_windows(chair: Chair, day: date) -> list[tuple[datetime, datetime]]:
    """When ``chair`` is open on ``day`` (its prefetched hours), as local datetimes."""
    return [
        (at(day, hours.opens_at), at(day, hours.closes_at))
        for hours in chair.opening_hours.all()
        if hours.weekday == day.weekday()
    ]


def within_opening_hours(chair: Chair, start: datetime, end: datetime) -> bool:
    return any(
        opens <= start and end <= closes
        for opens, closes in opening_windows(chair, local(start).date())
    )
