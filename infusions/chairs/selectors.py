"""Reading chairs with their opening hours (STYLE: selectors)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, tzinfo

from django.db.models import (
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from infusions.chairs.models import Chair, ChairOpeningHours, hours_text
from infusions.common import local


def chairs_and_hours_text() -> list[tuple[Chair, list[str]]]:
    """Every chair, in use first then by name, with its opening hours as people read them
    (``hours_text``), read as plain values: two queries, no model row per hour (the chairs
    page shows seven a chair)."""
    lines: dict[int, list[str]] = defaultdict(list)
    hours = ChairOpeningHours.objects.order_by("chair", "weekday", "opens_at")
    for chair_id, weekday, opens_at, closes_at in hours.values_list(
        "chair_id", "weekday", "opens_at", "closes_at"
    ):
        lines[chair_id].append(hours_text(weekday, opens_at, closes_at))
    return [(chair, lines[chair.pk]) for chair in Chair.objects.order_by("-active", "name")]


def chairs_with_hours() -> QuerySet[Chair]:
    return Chair.objects.filter(active=True).prefetch_related("opening_hours")


def with_hours(chairs: list[Chair]) -> list[Chair]:
    """``chairs`` with their opening hours (one query)."""
    prefetch_related_objects(chairs, "opening_hours")
    return chairs


def opening_windows(chair: Chair, day: date) -> list[tuple[datetime, datetime]]:
    """When ``chair`` is open on ``day`` (its prefetched hours), as local datetimes."""
    return windows_on(chair.opening_hours.all(), day, timezone.get_current_timezone())


def windows_on(
    hours: Iterable[ChairOpeningHours], day: date, zone: tzinfo
) -> list[tuple[datetime, datetime]]:
    """The opening ``hours`` of ``day``'s weekday as datetimes of that day in ``zone`` (the
    local time zone: ``infusions.common.at``)."""
    return [
        (
            datetime.combine(day, row.opens_at, tzinfo=zone),
            datetime.combine(day, row.closes_at, tzinfo=zone),
        )
        for row in hours
        if row.weekday == day.weekday()
    ]


def within_opening_hours(chair: Chair, start: datetime, end: datetime) -> bool:
    return any(
        opens <= start and end <= closes
        for opens, closes in opening_windows(chair, local(start).date())
    )
