"""The last cycle given (HEMOLYSIS_SUSPECTED, docs/clinical-rules.md 3.8.2), as the plan's facts
read it through orders' ``LastCycleSource``: the cycle of the latest session given on or before
the day asked, its first and last day and its dose per cycle as ordered, in one query whatever
the patient's history."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from infusions.booking.last_cycle import patient_last_cycle
from infusions.models import SessionStatus
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db

COMPLETED, IN_PROGRESS, BOOKED = (
    SessionStatus.COMPLETED,
    SessionStatus.IN_PROGRESS,
    SessionStatus.BOOKED,
)


def _given(order, chair, nurse, day: date, cycle: int, day_number: int, status=COMPLETED):
    return session_for(
        order,
        chair,
        local(day, "09:00"),
        by=nurse,
        status=status,
        cycle_number=cycle,
        day_number=day_number,
    )


def test_the_latest_cycle_given_on_or_before_the_day_in_one_query(nurse) -> None:
    start = date(2026, 3, 2)
    order = verified_order(
        start_date=start, days_per_cycle=2, total_dose_g_per_kg=Decimal("2"), cycles=4
    )
    chair = ChairFactory.create()
    for cycle, first_day in ((1, start), (2, start + timedelta(days=28))):
        _given(order, chair, nurse, first_day, cycle, 1)
        _given(order, chair, nurse, first_day + timedelta(days=1), cycle, 2)
    third = start + timedelta(days=56)
    _given(order, chair, nurse, third, 3, 1, status=IN_PROGRESS)
    _given(order, chair, nurse, third + timedelta(days=1), 3, 2, status=BOOKED)  # not given
    patient = order.patient

    with CaptureQueriesContext(connection) as queries:
        second = patient_last_cycle(patient, start + timedelta(days=40))
    assert len(queries) == 1
    assert second is not None
    assert (second.first_day, second.last_day) == (
        start + timedelta(days=28),
        start + timedelta(days=29),
    )
    assert second.dose_g_per_kg == Decimal("2")
    # The day a cycle's first day is given, that cycle is the last one given (its second day,
    # given since, counts too).
    first = patient_last_cycle(patient, start)
    assert first is not None and (first.first_day, first.last_day) == (
        start,
        start + timedelta(days=1),
    )
    # An infusion under way counts as given; a booked day does not.
    latest = patient_last_cycle(patient, third + timedelta(days=5))
    assert latest is not None and (latest.first_day, latest.last_day) == (third, third)
    assert patient_last_cycle(patient, start - timedelta(days=1)) is None


def test_nothing_given_is_no_last_cycle(nurse) -> None:
    order = verified_order()
    _given(order, ChairFactory.create(), nurse, order.start_date, 1, 1, status=BOOKED)
    assert patient_last_cycle(order.patient, order.start_date + timedelta(days=60)) is None
