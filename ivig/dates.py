"""Days typed into query strings, kept within a sane window (docs/api.md, Errors).

A day far in the past or future (``0001-01-01``, ``9999-12-31``) is no schedule anyone looks at,
and adding a day to it or making it a local midnight overflows Python's ``datetime``: refused
with 400 and a message naming the field instead of a 500.
"""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import BadRequest
from django.utils import timezone
from django_filters import rest_framework as django_filters

# Days more than this many years from today are refused.
WINDOW_YEARS = 10


def day_window(today: date | None = None) -> tuple[date, date]:
    """The first and last day accepted, ``WINDOW_YEARS`` either side of ``today``."""
    today = today or timezone.localdate()
    first = date(today.year - WINDOW_YEARS, 1, 1)
    last = date(today.year + WINDOW_YEARS, 12, 31)
    return first, last


def out_of_window_message(field: str) -> str:
    first, last = day_window()
    return f"{field}: a day from {first.isoformat()} to {last.isoformat()}."


def in_window(day: date) -> bool:
    first, last = day_window()
    return first <= day <= last


class InvalidDay(BadRequest):
    """A query-string day that is malformed or outside the window (HTTP 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_day(value: str | None, *, field: str, malformed_is_blank: bool = False) -> date | None:
    """``YYYY-MM-DD`` to a day; blank is ``None``. A malformed value raises ``InvalidDay``
    (or is ``None`` with ``malformed_is_blank``, for pages that fall back to today); a day
    outside the window always raises ``InvalidDay`` (a 400 answer)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        if malformed_is_blank:
            return None
        raise InvalidDay(field, f"{field}: write the day as YYYY-MM-DD.") from None
    if not in_window(day):
        raise InvalidDay(field, out_of_window_message(field))
    return day


class BoundedDateField(forms.DateField):
    """A form date field refusing days outside the window (a field error, so a 400)."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not in_window(value):
            raise forms.ValidationError(out_of_window_message(str(self.label or "date")))


class BoundedDateFilter(django_filters.DateFilter):
    """``DateFilter`` for API filter sets, with the day window (docs/api.md, Errors)."""

    field_class = BoundedDateField
