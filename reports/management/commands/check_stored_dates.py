"""``manage.py check_stored_dates``: list the stored rows whose dates fall outside the windows
the edge now enforces (ivig/dates.py), so that what was saved before the bounds can be
corrected. Exits 1 when there is any.

Stored rows are checked against the fixed ends of each window and a generous far end (a
course started years ago is no error): a date of birth, a lab result or a weight from 1900 to
today, a review from 2000 to today, a price from 2000 to 2 years ahead, an order's start and a
session's day from 2000 to 2 years ahead.
"""

from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

CHECKS = (
    ("orders.Patient", "date_of_birth", "1900", "today"),
    ("orders.LabResult", "taken_on", "1900", "today"),
    ("orders.PatientWeight", "measured_on", "1900", "today"),
    ("orders.ResponseReview", "reviewed_on", "2000", "today"),
    ("formulary.ProductPrice", "effective_from", "2000", "2y"),
    ("orders.Order", "start_date", "2000", "2y"),
    ("infusions.InfusionSession", "planned_day", "2000", "2y"),
)
SHOWN_PER_CHECK = 50


def _bound(text: str, today: date) -> date:
    if text == "today":
        return today
    if text == "2y":
        return today + timedelta(days=2 * 366)
    return date(int(text), 1, 1)


def stored_rows_outside(today: date | None = None) -> list[tuple[str, str, int, date]]:
    """``(model, field, pk, day)`` of each stored row outside its window."""
    today = today or timezone.localdate()
    found: list[tuple[str, str, int, date]] = []
    for label, field, first, last in CHECKS:
        model: Any = apps.get_model(label)
        low, high = _bound(first, today), _bound(last, today)
        rows = (
            model.objects.filter(**{f"{field}__lt": low})
            | model.objects.filter(**{f"{field}__gt": high})
        ).values_list("pk", field)[:SHOWN_PER_CHECK]
        found.extend((label, field, pk, day) for pk, day in rows)
    return found


class Command(BaseCommand):
    help = "List stored rows whose dates are outside the windows the edge enforces."

    def handle(self, *args: Any, **options: Any) -> None:
        found = stored_rows_outside()
        for label, field, pk, day in found:
            self.stdout.write(f"{label} {pk}: {field} {day.isoformat()}")
        if found:
            raise CommandError(f"{len(found)} stored rows outside their date window.")
        self.stdout.write("Every stored date is within its window.")
