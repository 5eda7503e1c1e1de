"""Order start dates for tests that post through a windowed edge (``ivig.dates.ORDER_START``:
30 days ago to 2 years ahead of today).

A fixed day (``2027-01-04``) falls out of that window a month after it passes, and the tests
would then fail for a reason unrelated to what they test. These days are relative to today.
"""

from datetime import date, timedelta

from django.utils import timezone


def next_monday(weeks_ahead: int = 4) -> date:
    """The Monday ``weeks_ahead`` weeks after this week's Monday (the worked example starts on a
    Monday): 22 to 28 days from today with the default, well inside the order start window."""
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


def born_on_this_day(year: int) -> date:
    """Today's month and day in ``year`` (a birthday today); 28 February when today is
    29 February and ``year`` is not a leap year (``date.replace`` would raise)."""
    today = timezone.localdate()
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)
