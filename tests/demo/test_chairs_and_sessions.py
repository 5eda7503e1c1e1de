"""``seed_demo`` makes the demo chairs (open every day 07:00-21:00), books the booked demo
order's first cycle from the seed time (today when the day has room), leaves the nurse's demo
order to book, once."""

from datetime import datetime, time

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.seeding import chairs_and_sessions
from demo.seeding.patients_and_orders import (
    BOOKED_DEMO_MRN,
    NURSE_DEMO_MRN,
    PLANNED_COURSE_MRN,
    PLANNED_COURSE_NOTES,
    course_order,
)
from infusions.booking.selectors import orders_to_book, sessions_for_day
from infusions.models import Chair, InfusionSession, SessionStatus
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def at_clock(monkeypatch: pytest.MonkeyPatch, clock: str) -> datetime:
    """Make "now" today at ``clock`` (local), so that a test does not depend on the hour."""
    moment = timezone.make_aware(datetime.combine(timezone.localdate(), time.fromisoformat(clock)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def seeded(settings, monkeypatch):
    settings.DEBUG = True
    at_clock(monkeypatch, "08:00")
    call_command("seed_demo")


def test_seed_demo_is_idempotent(seeded) -> None:
    assert sorted(Chair.objects.values_list("name", flat=True)) == ["Chair 1", "Chair 2", "Chair 3"]
    sessions = InfusionSession.objects.count()
    assert sessions > 0
    call_command("seed_demo")
    assert Chair.objects.count() == 3
    assert InfusionSession.objects.count() == sessions
    lines = chairs_and_sessions.seed()
    assert lines == [
        "demo chairs: 3 (0 new)",
        "demo booking: already booked",
        f"demo course history of {course_order().number}: already there",  # type: ignore[union-attr]
        f"demo course history of "
        f"{course_order(PLANNED_COURSE_MRN, PLANNED_COURSE_NOTES).number}: already there",  # type: ignore[union-attr]
    ]


def test_the_demo_chairs_are_open_every_day_from_7_to_21(seeded) -> None:
    for chair in Chair.objects.prefetch_related("opening_hours"):
        hours = [(h.weekday, h.opens_at, h.closes_at) for h in chair.opening_hours.all()]
        assert hours == [(day, time(7), time(21)) for day in range(7)], chair.name


def test_the_booked_demo_order_has_a_session_today(seeded) -> None:
    booked = Order.objects.get(patient__mrn=BOOKED_DEMO_MRN)
    assert booked.status == OrderStatus.ACTIVE
    today = [s for s in sessions_for_day(timezone.localdate()) if s.order_id == booked.pk]
    assert len(today) == 1
    assert today[0].status == SessionStatus.BOOKED and today[0].day_number == 1
    assert timezone.localtime(today[0].planned_start).time() == time(8)


def test_the_nurses_demo_order_waits_to_be_booked_from_today(seeded) -> None:
    order = Order.objects.get(patient__mrn=NURSE_DEMO_MRN)
    assert order.status == OrderStatus.VERIFIED
    assert order.start_date == timezone.localdate()
    assert not InfusionSession.objects.filter(order=order).exists()
    waiting = {item.order.pk: item for item in orders_to_book()}
    assert waiting[order.pk].next_cycle == 1
    assert waiting[order.pk].cycle_first_day == timezone.localdate()


def test_late_in_the_day_the_booking_moves_to_tomorrow(settings, monkeypatch) -> None:
    """After the chairs close nothing fits today: the demo still books (tomorrow)."""
    settings.DEBUG = True
    at_clock(monkeypatch, "22:30")
    call_command("seed_demo")
    first = (
        InfusionSession.objects.filter(status=SessionStatus.BOOKED)
        .order_by("planned_start")
        .first()
    )
    assert first is not None
    assert timezone.localtime(first.planned_start).date() > timezone.localdate()


def test_seed_skipped_without_debug(settings) -> None:
    settings.DEBUG = False
    assert chairs_and_sessions.seed() == ["demo chairs skipped: DEBUG is off"]
