"""The free start times a booking proposal reads (infusions/booking/free_slots.py) are exactly
those the booking rule allows (open for the whole length, not before now, overlapping no
session: docs/clinical-rules.md 6), checked start time by start time as the proposal did before,
on random days of sessions, a day the clock changes included."""

import random
from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from infusions.booking.free_slots import FreeSlots
from infusions.chairs.selectors import opening_windows, within_opening_hours
from infusions.common import at
from tests.infusions.factories import ChairFactory

pytestmark = pytest.mark.django_db

GRID = 15


def _brute_force(chair, day, minutes, busy, not_before):
    """Every grid start time of ``day`` checked one by one (the proposal's former loop)."""
    length = timedelta(minutes=minutes)
    clocks = sorted(
        {
            (opens + timedelta(minutes=step)).time()
            for opens, closes in opening_windows(chair, day)
            for step in range(0, int((closes - opens).total_seconds() // 60), GRID)
        }
    )
    return [
        clock
        for clock in clocks
        if at(day, clock) >= not_before
        and within_opening_hours(chair, at(day, clock), at(day, clock) + length)
        and not any(at(day, clock) < end and start < at(day, clock) + length for start, end in busy)
    ]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
@pytest.mark.parametrize("seed", range(6))
def test_free_start_times_are_those_the_booking_rule_allows(settings, zone, seed) -> None:
    settings.TIME_ZONE = zone
    rng = random.Random(seed)
    timezone.activate(zone)
    try:
        chair = ChairFactory.create(
            hours=[(weekday, "00:00", "23:45") for weekday in range(7)]
            if seed % 2
            else [(weekday, "07:00", "12:00") for weekday in range(7)]
            + [(weekday, "13:00", "21:00") for weekday in range(7)]
        )
        chair = type(chair).objects.prefetch_related("opening_hours").get(pk=chair.pk)
        days = [date(2026, 3, 28) + timedelta(days=offset) for offset in range(4)]  # DST: 29th
        busy = []
        for day in days:
            for _ in range(rng.randint(0, 5)):
                start = at(day, time(rng.randint(0, 22), rng.choice((0, 10, 15, 40))))
                busy.append((start, start + timedelta(minutes=rng.randint(30, 300))))
        minutes = rng.choice((60, 209, 300))
        not_before = at(days[0], time(9, 7)) if seed % 3 == 0 else at(days[0], time(0))
        free = FreeSlots({chair.pk: busy}, minutes, not_before)
        for day in days:
            assert free.fitting_clocks(chair, day) == _brute_force(
                chair, day, minutes, busy, not_before
            ), (zone, seed, day)
    finally:
        timezone.deactivate()
