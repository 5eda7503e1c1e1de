"""One bounded date at the edge (docs/api.md, Errors): every day the app accepts — a form field,
an API field or a query parameter — is checked against a window named for that field.

A day far in the past or future (``0001-01-01``, ``9999-12-31``) is nothing anyone plans, and
adding a day to it or making it a local midnight overflows Python's ``datetime``: refused with a
field error (a 400) naming the field and its window instead of a 500 later.

The windows (relative to today, in the unit's time zone):

=================  ==========================================================================
order start        30 days ago to 2 years ahead (a new version of an active order: from today,
                   checked by ``orders.services``)
date of birth      1900-01-01 to today
lab taken on       1900-01-01 to today
measured on        1900-01-01 to today (a weight)
review             2000-01-01 to today (and within the order's life, checked by the service)
price              2000-01-01 to 2 years ahead
authorization      2000-01-01 to 5 years ahead
booking            yesterday to 2 years ahead (booking and move days, an infusion's times)
report             2000-01-01 to 1 year ahead (report ranges)
view               10 years either side (pages and lists browsed by day)
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.utils import timezone
from django_filters import rest_framework as django_filters
from rest_framework import serializers

# Days more than this many years from today are refused where a page is browsed by day.
WINDOW_YEARS = 10


def _years_after(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


@dataclass(frozen=True)
class DayWindow:
    """The days a field accepts: ``first(today)`` to ``last(today)``, both included."""

    name: str
    first: Callable[[date], date]
    last: Callable[[date], date]
    # Said of a day after the last one where the last one is today ("cannot be in the future").
    future: str = ""

    def bounds(self, today: date | None = None) -> tuple[date, date]:
        today = today or timezone.localdate()
        return self.first(today), self.last(today)

    def contains(self, day: date, today: date | None = None) -> bool:
        first, last = self.bounds(today)
        return first <= day <= last

    def message(self, field: str | None = None, day: date | None = None) -> str:
        first, last = self.bounds()
        if self.future and day is not None and day > last == timezone.localdate():
            return self.future
        return f"{field or self.name}: a day from {first.isoformat()} to {last.isoformat()}."


def _fixed(day: date) -> Callable[[date], date]:
    return lambda today: day


def _days(offset: int) -> Callable[[date], date]:
    return lambda today: today + timedelta(days=offset)


def _years(offset: int) -> Callable[[date], date]:
    return lambda today: _years_after(today, offset)


_1900 = date(1900, 1, 1)
_2000 = date(2000, 1, 1)

ORDER_START = DayWindow("Start date", _days(-30), _years(2))
DATE_OF_BIRTH = DayWindow(
    "Date of birth", _fixed(_1900), _days(0), "The date of birth cannot be in the future."
)
LAB_TAKEN_ON = DayWindow(
    "Taken on", _fixed(_1900), _days(0), "A result cannot be taken in the future."
)
MEASURED_ON = DayWindow(
    "Measured on", _fixed(_1900), _days(0), "A weight cannot be measured in the future."
)
REVIEW = DayWindow(
    "Reviewed on", _fixed(_2000), _days(0), "A review cannot be dated in the future."
)
PRICE = DayWindow("Effective from", _fixed(_2000), _years(2))
AUTHORIZATION = DayWindow("Date", _fixed(_2000), _years(5))
BOOKING = DayWindow("Day", _days(-1), _years(2))
REPORT = DayWindow("Date", _fixed(_2000), _years(1))
VIEW = DayWindow(
    "Date",
    lambda today: date(today.year - WINDOW_YEARS, 1, 1),
    lambda today: date(today.year + WINDOW_YEARS, 12, 31),
)

WINDOWS = (
    ORDER_START,
    DATE_OF_BIRTH,
    LAB_TAKEN_ON,
    MEASURED_ON,
    REVIEW,
    PRICE,
    AUTHORIZATION,
    BOOKING,
    REPORT,
    VIEW,
)


def day_window(today: date | None = None) -> tuple[date, date]:
    """The first and last day a page browsed by day accepts (``VIEW``)."""
    return VIEW.bounds(today)


def out_of_window_message(field: str, window: DayWindow = VIEW) -> str:
    return window.message(field)


def in_window(day: date, window: DayWindow = VIEW) -> bool:
    return window.contains(day)


class InvalidDay(BadRequest):
    """A query-string day that is malformed or outside the window (HTTP 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_day(
    value: str | None,
    *,
    field: str,
    malformed_is_blank: bool = False,
    window: DayWindow = VIEW,
) -> date | None:
    """``YYYY-MM-DD`` to a day; blank is ``None``. A malformed value raises ``InvalidDay``
    (or is ``None`` with ``malformed_is_blank``, for pages that fall back to today); a day
    outside ``window`` always raises ``InvalidDay`` (a 400 answer)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        if malformed_is_blank:
            return None
        raise InvalidDay(field, f"{field}: write the day as YYYY-MM-DD.") from None
    if not window.contains(day):
        raise InvalidDay(field, window.message(field))
    return day


def _local_day(value: datetime) -> date:
    if timezone.is_aware(value):
        try:
            return timezone.localtime(value).date()
        except OverflowError:
            return value.date()
    return value.date()


# --- form fields -----------------------------------------------------------------------------


class BoundedDateField(forms.DateField):
    """A form date field refusing days outside its window (a field error, so a 400)."""

    def __init__(self, *args: Any, window: DayWindow = VIEW, **kwargs: Any) -> None:
        self.window = window
        super().__init__(*args, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not self.window.contains(value):
            label = str(self.label or self.window.name)
            raise forms.ValidationError(self.window.message(label, value))


class BoundedDateTimeField(forms.DateTimeField):
    """A form date-and-time field whose local day must be within its window."""

    def __init__(self, *args: Any, window: DayWindow = BOOKING, **kwargs: Any) -> None:
        self.window = window
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except OverflowError:
            raise ValidationError(self.window.message(str(self.label or "date and time"))) from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not self.window.contains(_local_day(value)):
            raise forms.ValidationError(self.window.message(str(self.label or self.window.name)))


def date_formfield(window: DayWindow, **kwargs: Any) -> BoundedDateField:
    """A ``BoundedDateField`` with the date picker, as forms show days."""
    kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    return BoundedDateField(window=window, **kwargs)


class BoundedDateFilter(django_filters.DateFilter):
    """``DateFilter`` for API filter sets, with the day window (docs/api.md, Errors)."""

    field_class = BoundedDateField

    def __init__(self, *args: Any, window: DayWindow = VIEW, **kwargs: Any) -> None:
        kwargs.setdefault("window", window)
        super().__init__(*args, **kwargs)


# --- API fields ------------------------------------------------------------------------------


class BoundedDate(serializers.DateField):
    """An API date refusing days outside its window (400 on the field)."""

    def __init__(self, *args: Any, window: DayWindow, **kwargs: Any) -> None:
        self.window = window
        super().__init__(*args, **kwargs)

    def to_internal_value(self, value: Any) -> date:
        day = super().to_internal_value(value)
        if not self.window.contains(day):
            raise serializers.ValidationError(self.window.message(self.field_name or None, day))
        return day


class BoundedDateTime(serializers.DateTimeField):
    """An API date and time whose local day is within its window (400 on the field)."""

    def __init__(self, *args: Any, window: DayWindow, **kwargs: Any) -> None:
        self.window = window
        super().__init__(*args, **kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        try:
            moment = super().to_internal_value(value)
        except OverflowError:
            raise serializers.ValidationError(
                self.window.message(self.field_name or None)
            ) from None
        if not self.window.contains(_local_day(moment)):
            raise serializers.ValidationError(self.window.message(self.field_name or None))
        return moment
