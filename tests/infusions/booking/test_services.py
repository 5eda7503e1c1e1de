"""Booking, moving and cancelling sessions (docs/clinical-rules.md 6) through
``infusions.booking``.

The order is docs/api.md's worked example: 5 days a cycle, 221 minutes of chair time a day
(rules v3: 30 minutes premedication + 161 minutes infusion + 30 minutes observation).
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from infusions.booking import services as booking
from infusions.booking.services import Slot
from infusions.errors import InfusionError
from infusions.models import InfusionSession, SessionStatus
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db

WEEKDAYS_8_TO_6 = [(day, "08:00", "18:00") for day in range(5)]


def next_monday(weeks: int = 1) -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 * weeks - today.weekday())


@pytest.fixture
def order():
    return verified_order(start_date=next_monday())


@pytest.fixture
def chair_a():
    return ChairFactory.create(name="A chair", hours=WEEKDAYS_8_TO_6)


@pytest.fixture
def chair_b():
    return ChairFactory.create(name="B chair", hours=WEEKDAYS_8_TO_6)


def clocks(slots: list[Slot]) -> list[tuple[int, str, str, str]]:
    return [
        (
            slot.day_number,
            slot.chair.name,
            timezone.localtime(slot.start).strftime("%a %H:%M"),
            timezone.localtime(slot.end).strftime("%H:%M") if slot.end else "",
        )
        for slot in slots
    ]


def test_proposal_same_chair_and_time_on_consecutive_days(order, chair_a, chair_b) -> None:
    slots = booking.booking_propose(order, 1)
    # 08:00 + 221 minutes = 11:41, Monday to Friday, the first chair by name.
    assert clocks(slots) == [
        (1, "A chair", "Mon 08:00", "11:41"),
        (2, "A chair", "Tue 08:00", "11:41"),
        (3, "A chair", "Wed 08:00", "11:41"),
        (4, "A chair", "Thu 08:00", "11:41"),
        (5, "A chair", "Fri 08:00", "11:41"),
    ]
    assert slots[0].day == next_monday()


def test_proposal_shifts_day_one_to_fit_the_opening_days(order, chair_a) -> None:
    # Asked for a Wednesday: five consecutive open days only start on a Monday.
    slots = booking.booking_propose(order, 1, requested_date=next_monday() + timedelta(days=2))
    assert slots[0].day == next_monday(2)


def test_proposal_uses_a_weekend_opening_when_it_fits(order) -> None:
    chair = ChairFactory.create(name="Weekend", hours=[*WEEKDAYS_8_TO_6, (5, "09:00", "13:30")])
    wednesday = next_monday() + timedelta(days=2)
    slots = booking.booking_propose(order, 1, requested_date=wednesday)
    # Wed, Thu, Fri, Sat fit at 09:00 (Saturday opens 09:00-13:30, 221 min end 12:41), Sun not.
    assert slots[0].day == next_monday(2)
    # Four days of 0.5 g/kg (34.4 g, 344 mL: a longer infusion; rules v3: 218 mL by 150 min,
    # 184 and 199 mL/h for 15 min each, 30.25 mL at 200 -> 190 min; 250 minutes of chair time,
    # end 13:10) fit Wed to Sat.
    order.days_per_cycle = 4
    order.save()
    slots = booking.booking_propose(order, 1, requested_date=wednesday, chair=chair)
    assert clocks(slots)[0] == (1, "Weekend", "Wed 09:00", "13:10")
    assert clocks(slots)[3] == (4, "Weekend", "Sat 09:00", "13:10")


def test_proposal_skips_a_chair_open_too_briefly(order, chair_b) -> None:
    ChairFactory.create(name="A short", hours=[(day, "08:00", "11:00") for day in range(5)])
    assert {slot.chair for slot in booking.booking_propose(order, 1)} == {chair_b}


def test_proposal_goes_around_existing_sessions(order, chair_a, chair_b, nurse) -> None:
    tuesday = next_monday() + timedelta(days=1)
    other = verified_order()
    session_for(other, chair_a, local(tuesday, "08:00"), by=nurse)
    # another patient: one session per patient per day (docs/clinical-rules.md 6.1)
    session_for(verified_order(), chair_b, local(tuesday, "09:00"), by=nurse)
    # Chair A is taken 08:00-11:29 on Tuesday, chair B 09:00-12:29: the earliest common start
    # is A at 11:30 (the 15-minute grid), before B's 12:30; 221 minutes end 15:11.
    assert clocks(booking.booking_propose(order, 1))[1] == (2, "A chair", "Tue 11:30", "15:11")
    # A cancelled session frees its chair.
    InfusionSession.objects.filter(chair=chair_a).update(status=SessionStatus.CANCELLED)
    assert clocks(booking.booking_propose(order, 1))[1] == (2, "A chair", "Tue 08:00", "11:41")


def test_proposal_with_a_chosen_chair(order, chair_a, chair_b) -> None:
    assert {slot.chair for slot in booking.booking_propose(order, 1, chair=chair_b)} == {chair_b}


def test_proposal_never_in_the_past(chair_a) -> None:
    order = verified_order(start_date=timezone.localdate() - timedelta(days=10))
    slots = booking.booking_propose(order, 1)
    assert all(slot.start > timezone.now() for slot in slots)


def test_no_slot_within_the_horizon(order) -> None:
    ChairFactory.create(name="Mondays only", hours=[(0, "08:00", "18:00")])
    with pytest.raises(InfusionError) as error:
        booking.booking_propose(order, 1)
    assert error.value.code == InfusionError.NO_SLOT


@pytest.mark.parametrize(
    "status", [OrderStatus.DRAFT, OrderStatus.SIGNED, OrderStatus.DISCONTINUED]
)
def test_only_verified_or_active_orders_are_booked(chair_a, nurse, status) -> None:
    order = verified_order(status=status, start_date=next_monday())
    with pytest.raises(InfusionError) as error:
        booking.booking_propose(order, 1)
    assert error.value.code == InfusionError.ORDER_NOT_BOOKABLE
    slots = [Slot(1, chair_a, local(next_monday(), "08:00"))]
    with pytest.raises(InfusionError) as error:
        booking.booking_confirm(order, 1, slots, nurse)
    assert error.value.code == InfusionError.ORDER_NOT_BOOKABLE


def test_cycle_number_in_range(order, chair_a) -> None:
    with pytest.raises(InfusionError) as error:
        booking.booking_propose(order, 7)
    assert error.value.field == "cycle_number"


def test_confirm_books_the_cycle_and_activates_the_order(order, chair_a, nurse) -> None:
    sessions = booking.booking_confirm(order, 1, booking.booking_propose(order, 1), nurse)
    assert [(s.day_number, s.status) for s in sessions] == [(n, "booked") for n in range(1, 6)]
    assert all(s.planned_end - s.planned_start == timedelta(minutes=221) for s in sessions)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE
    assert order.history.first().history_user == nurse
    assert sessions[0].history.first().history_user == nurse
    # The next cycle books too; the order stays active.
    booking.booking_confirm(order, 2, booking.booking_propose(order, 2), nurse)
    assert order.sessions.count() == 10


def test_confirm_tentative(order, chair_a, nurse) -> None:
    sessions = booking.booking_confirm(
        order, 1, booking.booking_propose(order, 1), nurse, tentative=True
    )
    assert {session.status for session in sessions} == {"tentative"}


def test_a_cycle_is_booked_once(order, chair_a, nurse) -> None:
    slots = booking.booking_propose(order, 1)
    booking.booking_confirm(order, 1, slots, nurse)
    with pytest.raises(InfusionError) as error:
        booking.booking_confirm(order, 1, booking.booking_propose(order, 1), nurse)
    assert error.value.code == InfusionError.CYCLE_BOOKED
    assert error.value.is_conflict


def test_confirm_refuses_an_overlap(order, chair_a, nurse) -> None:
    slots = booking.booking_propose(order, 1)
    session_for(verified_order(), chair_a, slots[2].start + timedelta(hours=3), by=nurse)
    with pytest.raises(InfusionError) as error:
        booking.booking_confirm(order, 1, slots, nurse)
    assert error.value.code == InfusionError.SLOT_TAKEN
    assert "Day 3" in error.value.message
    assert not order.sessions.exists()  # nothing half-booked


def test_back_to_back_sessions_do_not_overlap(order, chair_a, nurse) -> None:
    slots = booking.booking_propose(order, 1)
    for slot in slots:
        session_for(verified_order(), chair_a, slot.start - timedelta(minutes=221), by=nurse)
    booking.booking_confirm(order, 1, [Slot(s.day_number, chair_a, s.start) for s in slots], nurse)


def test_confirm_refuses_outside_opening_hours(order, chair_a, nurse) -> None:
    monday = next_monday()
    slots = [Slot(n, chair_a, local(monday + timedelta(days=n - 1), "15:00")) for n in range(1, 6)]
    with pytest.raises(InfusionError) as error:  # 15:00 + 221 min = 18:41, after 18:00
        booking.booking_confirm(order, 1, slots, nurse)
    assert error.value.code == InfusionError.OUTSIDE_OPENING_HOURS
    assert "18:41" in error.value.message


def test_confirm_needs_one_slot_per_consecutive_day(order, chair_a, nurse) -> None:
    slots = booking.booking_propose(order, 1)
    with pytest.raises(InfusionError) as error:
        booking.booking_confirm(order, 1, slots[:4], nurse)
    assert error.value.field == "slots"
    gap = [*slots[:4], Slot(5, chair_a, slots[4].start + timedelta(days=3))]
    with pytest.raises(InfusionError) as error:
        booking.booking_confirm(order, 1, gap, nurse)
    assert "next calendar day" in error.value.message


def test_confirm_refuses_the_past(chair_a, nurse) -> None:
    order = verified_order(days_per_cycle=1)
    with pytest.raises(InfusionError) as error:
        booking.booking_confirm(
            order, 1, [Slot(1, chair_a, timezone.now() - timedelta(hours=2))], nurse
        )
    assert "has passed" in error.value.message


def test_confirm_refuses_an_inactive_chair(order, chair_a, nurse) -> None:
    slots = booking.booking_propose(order, 1)
    chair_a.active = False
    chair_a.save()
    with pytest.raises(InfusionError) as error:
        booking.booking_confirm(order, 1, slots, nurse)
    assert error.value.field == "chair"


# --- move and cancel -------------------------------------------------------------------------


@pytest.fixture
def booked(order, chair_a, chair_b, nurse):
    return booking.booking_confirm(order, 1, booking.booking_propose(order, 1), nurse)


def test_move_to_another_chair_and_time(booked, chair_b, nurse) -> None:
    session = booked[0]
    new_start = session.planned_start + timedelta(hours=2)
    moved = booking.session_move(
        session, chair=chair_b, start=new_start, by=nurse, reason="Patient asked", version=1
    )
    assert (moved.chair, moved.planned_start, moved.version) == (chair_b, new_start, 2)
    assert moved.planned_end - moved.planned_start == timedelta(minutes=221)
    assert moved.status_reason == "Patient asked"
    assert moved.history.first().history_change_reason == "Moved: Patient asked"


def test_move_needs_a_reason_a_free_open_slot_and_a_fresh_version(
    booked, chair_a, chair_b, nurse
) -> None:
    session, other_day = booked[0], booked[1]
    start = session.planned_start
    cases = [
        ({"chair": chair_b, "start": start, "reason": " "}, "invalid"),
        (
            {"chair": chair_b, "start": start.replace(hour=17), "reason": "x"},
            "outside_opening_hours",
        ),
        ({"chair": chair_b, "start": start, "reason": "x", "version": 9}, "stale_version"),
        # Day 2 of the same order is on Tuesday: one infusion a day.
        (
            {
                "chair": chair_b,
                "start": other_day.planned_start + timedelta(hours=4),
                "reason": "x",
            },
            "invalid",
        ),
    ]
    for kwargs, code in cases:
        with pytest.raises(InfusionError) as error:
            booking.session_move(session, by=nurse, **kwargs)
        assert error.value.code == code, kwargs
    # Chair B taken at that time by another order's session.
    session_for(verified_order(), chair_b, start, by=nurse)
    with pytest.raises(InfusionError) as error:
        booking.session_move(session, chair=chair_b, start=start, by=nurse, reason="x")
    assert error.value.code == InfusionError.SLOT_TAKEN
    # Moving within its own chair, overlapping only itself, is fine.
    booking.session_move(
        session, chair=chair_a, start=start + timedelta(minutes=30), by=nurse, reason="x"
    )


def test_move_and_cancel_only_before_the_start(booked, chair_b, nurse) -> None:
    session = booked[0]
    InfusionSession.objects.filter(pk=session.pk).update(status=SessionStatus.IN_PROGRESS)
    with pytest.raises(InfusionError) as error:
        booking.session_move(
            session, chair=chair_b, start=session.planned_start, by=nurse, reason="x"
        )
    assert error.value.code == InfusionError.NOT_CHANGEABLE
    with pytest.raises(InfusionError) as error:
        booking.session_cancel(session, by=nurse, reason="x")
    assert error.value.code == InfusionError.NOT_CHANGEABLE


def test_cancel_with_a_reason_frees_the_chair(booked, order, nurse) -> None:
    with pytest.raises(InfusionError):
        booking.session_cancel(booked[0], by=nurse, reason="")
    cancelled = booking.session_cancel(booked[0], by=nurse, reason="Patient unwell", version=1)
    assert (cancelled.status, cancelled.status_reason) == ("cancelled", "Patient unwell")
    with pytest.raises(InfusionError) as error:
        booking.session_cancel(booked[0], by=nurse, reason="again", version=1)
    assert error.value.code == InfusionError.STALE_VERSION


def test_cancel_future_sessions(booked, order, nurse, clinician) -> None:
    InfusionSession.objects.filter(pk=booked[0].pk).update(status=SessionStatus.COMPLETED)
    InfusionSession.objects.filter(pk=booked[1].pk).update(status=SessionStatus.IN_PROGRESS)
    InfusionSession.objects.filter(pk=booked[2].pk).update(status=SessionStatus.TENTATIVE)
    order.status = OrderStatus.DISCONTINUED
    order.discontinued_by = clinician
    order.discontinue_reason = "Remission"
    order.save()
    assert booking.cancel_future_sessions(order) == 3
    statuses = dict(order.sessions.values_list("day_number", "status"))
    assert statuses == {
        1: "completed",
        2: "in_progress",
        3: "cancelled",
        4: "cancelled",
        5: "cancelled",
    }
    last = order.sessions.get(day_number=4)
    assert last.status_reason == "Order discontinued: Remission"
    assert last.history.first().history_user == clinician
    assert booking.cancel_future_sessions(order, clinician, "again") == 0
