"""docs/clinical-rules.md 6.1: at most one infusion session per patient per (local) day, across
orders and chairs; cancelled and missed sessions do not count. Booking, moving and confirming are
refused with a clear conflict (409) before the database's partial unique constraint would."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from infusions.booking import services as booking
from infusions.booking.services import Slot
from infusions.errors import InfusionError
from infusions.models import InfusionSession, SessionStatus
from orders.models import Order
from tests.infusions.factories import (
    ChairFactory,
    local,
    session_for,
    two_meant_orders_of_one_patient,
)

pytestmark = pytest.mark.django_db

WEEKDAYS_8_TO_6 = [(day, "08:00", "18:00") for day in range(5)]


def next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture
def chairs():
    return [ChairFactory.create(name=f"{n} chair", hours=WEEKDAYS_8_TO_6) for n in "AB"]


@pytest.fixture
def orders():
    """Two meant one-day orders of one patient within the dose caps (factories)."""
    return two_meant_orders_of_one_patient(start_date=next_monday())


def book(order: Order, chair, day: date, clock: str, nurse):
    return booking.booking_confirm(order, 1, [Slot(1, chair, local(day, clock))], nurse)[0]


def test_a_second_order_of_the_patient_cannot_be_booked_on_the_same_day(
    orders, chairs, nurse
) -> None:
    first, second = orders
    monday = next_monday()
    book(first, chairs[0], monday, "08:00", nurse)
    with pytest.raises(InfusionError) as refused:
        book(second, chairs[1], monday, "08:00", nurse)
    error = refused.value
    assert error.code == InfusionError.PATIENT_DAY_TAKEN
    assert error.code in InfusionError.CONFLICTS  # HTTP 409
    assert f"on {monday:%d %b %Y}" in error.message
    assert f"order {first.number}" in error.message and "A chair at 08:00" in error.message
    assert InfusionSession.objects.filter(order=second).count() == 0
    # Another day is fine.
    book(second, chairs[1], monday + timedelta(days=1), "08:00", nurse)


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.MISSED])
def test_cancelled_and_missed_sessions_do_not_take_the_day(orders, chairs, nurse, status) -> None:
    first, second = orders
    monday = next_monday()
    session = book(first, chairs[0], monday, "08:00", nurse)
    InfusionSession.objects.filter(pk=session.pk).update(status=status)
    assert book(second, chairs[1], monday, "08:00", nurse).planned_day == monday


def test_the_proposal_skips_the_patients_taken_days(orders, chairs, nurse) -> None:
    first, second = orders
    book(first, chairs[0], next_monday(), "08:00", nurse)
    (slot,) = booking.booking_propose(second, 1, requested_date=next_monday())
    assert slot.day == next_monday() + timedelta(days=1)


def test_moving_onto_a_day_the_patient_has_a_session_is_refused(orders, chairs, nurse) -> None:
    first, second = orders
    monday = next_monday()
    book(first, chairs[0], monday, "08:00", nurse)
    other = book(second, chairs[1], monday + timedelta(days=1), "08:00", nurse)
    with pytest.raises(InfusionError) as refused:
        booking.session_move(
            other, chair=chairs[1], start=local(monday, "08:00"), by=nurse, reason="Patient asks"
        )
    assert refused.value.code == InfusionError.PATIENT_DAY_TAKEN
    assert f"order {first.number}" in refused.value.message
    other.refresh_from_db()
    assert other.planned_day == monday + timedelta(days=1)
    # Moving within its own day is fine (the session does not clash with itself).
    moved = booking.session_move(
        other,
        chair=chairs[0],
        start=local(monday + timedelta(days=1), "08:15"),
        by=nurse,
        reason="Later",
    )
    assert (moved.planned_day, moved.chair) == (monday + timedelta(days=1), chairs[0])


def test_the_day_is_the_units_local_day(orders, chairs, nurse) -> None:
    first, _ = orders
    session = session_for(first, chairs[0], local(next_monday(), "00:30"), by=nurse)
    assert session.planned_day == next_monday()
    assert session.patient_id == first.patient_id


def test_the_database_refuses_a_second_live_session_on_the_day(orders, chairs, nurse) -> None:
    first, second = orders
    monday = next_monday()
    session_for(first, chairs[0], local(monday, "08:00"), by=nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Straight INSERT, bypassing every service check.
        session_for(second, chairs[1], local(monday, "08:00"), by=nurse)
    session_for(second, chairs[1], local(monday, "08:00"), by=nurse, status=SessionStatus.CANCELLED)
