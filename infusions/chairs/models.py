"""Chairs and their opening hours (docs/clinical-rules.md 6): data, no workflows; changes go
through ``infusions.chairs.services``.
"""

from datetime import time

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from ivig.validators import no_control_characters


class Chair(models.Model):
    name = models.CharField(max_length=60, unique=True, validators=[no_control_characters])
    location = models.CharField(max_length=120, blank=True, validators=[no_control_characters])
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def hours_text(weekday: int, opens_at: time, closes_at: time) -> str:
    """Opening hours as people read them: "Monday 07:00 to 21:00" (the choice's label read
    directly: ``get_weekday_display`` flattens the choices at every call)."""
    return f"{Weekday(weekday).label} {opens_at:%H:%M} to {closes_at:%H:%M}"


class ChairOpeningHours(models.Model):
    """When a chair can be booked on a weekday, in local time (``TIME_ZONE``)."""

    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["chair", "weekday", "opens_at"]
        verbose_name_plural = "chair opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="chair_opening_hours_close_after_open",
                violation_error_message="A chair closes after it opens.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="chair_opening_hours_weekday"
            ),
            models.UniqueConstraint(
                fields=["chair", "weekday", "opens_at"], name="chair_opening_hours_unique"
            ),
        ]

    def __str__(self) -> str:
        return hours_text(self.weekday, self.opens_at, self.closes_at)
