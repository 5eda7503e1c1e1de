"""The nurse's demo journey from a fresh ``seed_demo``, through the services: book cycle 1 of
the nurse's demo order today, open today's session and start it (covered, verified)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from authorizations.coverage_rules import order_coverage
from demo.seeding.patients_and_orders import NURSE_DEMO_MRN
from infusions.administration import services as administration
from infusions.administration.start_coverage import session_coverage_blocker
from infusions.booking import services as booking
from infusions.booking.selectors import orders_to_book, sessions_for_day
from infusions.errors import InfusionError
from infusions.models import EntryKind, InfusionSession, SessionStatus
from ivig.accounts.models import User
from orders.models import Order, OrderStatus

from .test_chairs_and_sessions import at_clock

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("clock", ["07:00", "10:20", "16:45"])
def test_the_nurse_books_cycle_1_today_and_starts_it(settings, monkeypatch, clock) -> None:
    settings.DEBUG = True
    now = at_clock(monkeypatch, clock)
    call_command("seed_demo")
    call_command("seed_demo")
    nurse = User.objects.get(username="nurse")
    today = timezone.localdate()
    order = Order.objects.get(patient__mrn=NURSE_DEMO_MRN)
    assert order.status == OrderStatus.VERIFIED and order.plan_at_signing
    # Covered before anything is booked: every cycle, by the demo approval of the course.
    assert all(cycle.covered for cycle in order_coverage(order))
    item = next(item for item in orders_to_book() if item.order.pk == order.pk)
    assert (item.next_cycle, item.cycle_first_day) == (1, today)

    slots = booking.booking_propose(order, 1)
    assert slots[0].day == today and slots[0].start >= now
    sessions = booking.booking_confirm(order, 1, slots, nurse)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE
    first = sessions[0]
    assert first in sessions_for_day(today)
    assert administration.session_start_blockers(first) == []
    assert session_coverage_blocker(first) is None

    far = administration.start_far_from_booking(
        first, administration.session_runnable_plan(first), timezone.now()
    )
    # Booked later than now when the morning's chairs are taken: then a reason is needed.
    entry = administration.session_start(
        first, by=nurse, reason="Chair free earlier; the patient is here." if far else ""
    )
    assert entry.kind == EntryKind.STARTED
    first.refresh_from_db()
    assert first.status == SessionStatus.IN_PROGRESS


def test_a_session_starts_before_its_planned_time_on_its_day(settings, monkeypatch) -> None:
    """docs/clinical-rules.md does not forbid an early start on the planned day (not another
    day), but a start more than an hour from the booking needs a reason, kept in the session's
    history."""
    settings.DEBUG = True
    at_clock(monkeypatch, "07:00")
    call_command("seed_demo")
    nurse = User.objects.get(username="nurse")
    order = Order.objects.get(patient__mrn=NURSE_DEMO_MRN)
    later = booking.booking_propose(order, 1)
    later = [
        booking.Slot(slot.day_number, slot.chair, slot.start + timedelta(hours=6)) for slot in later
    ]
    first = booking.booking_confirm(order, 1, later, nurse)[0]
    assert timezone.localtime(first.planned_start).hour >= 13
    with pytest.raises(InfusionError) as no_reason:
        administration.session_start(first, by=nurse)  # now, hours before the planned start
    assert no_reason.value.code == InfusionError.START_FAR_FROM_BOOKING
    assert no_reason.value.field == "details"
    assert "before the booked start" in no_reason.value.message
    administration.session_start(first, by=nurse, reason="The patient came early.")
    first.refresh_from_db()
    assert first.status == SessionStatus.IN_PROGRESS
    assert "The patient came early." in first.history.latest().history_change_reason
    # Day 2 is tomorrow: not startable today.
    second = InfusionSession.objects.get(order=order, cycle_number=1, day_number=2)
    with pytest.raises(InfusionError) as refused:
        administration.session_start(second, by=nurse)
    assert refused.value.code == InfusionError.CANNOT_START
