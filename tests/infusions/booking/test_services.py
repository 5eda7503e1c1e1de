"""Booking, moving and cancelling sessions (docs/clinical-rules.md 6) through
``infusions.booking``.

The order is docs/api.md's worked example: 5 days a cycle, 221 minutes of chair time a day
(rules v3: 30 minutes premedication + 161 minutes infusion + 30 minutes observation).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from infusions.booking import selectors
from infusions.booking import services as booking
from infusions.booking.next_cycles import refresh_next_cycle
from infusions.booking.services import Slot
from infusions.booking.session_plan import runnable_plan
from infusions.errors import InfusionError
from infusions.models import Chair, InfusionSession, SessionStatus
from orders.models import Order, OrderStatus, Patient
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.locks import locked_by_another_connection

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


# --- what each refusal says, what each change records (docs/clinical-rules.md 6) -------------
# Written for the survivors of the services mutation run (docs/mutation-testing.md): a refusal
# is read by the nurse, so its words, its field and its code are the rule as much as the refusal.


def refusal(call, *args, **kwargs) -> InfusionError:
    with pytest.raises(InfusionError) as error:
        call(*args, **kwargs)
    return error.value


def said(error: InfusionError) -> tuple[str, str, str | None]:
    return error.code, error.message, error.field


def test_a_cycle_outside_the_order_is_refused_naming_its_range(order, chair_a) -> None:
    for number in (0, 7):
        assert said(refusal(booking.booking_propose, order, number)) == (
            "invalid",
            f"Order {order.number} has cycles 1 to 6, not {number}.",
            "cycle_number",
        )
    # The last cycle is in range: what refuses it is the response review due before it, said
    # in words (the booking page shows the message as it is: no document reference).
    assert said(refusal(booking.booking_propose, order, 6)) == (
        "review_due",
        f"A response review is due before cycle 6 of order {order.number} (cycle 6 of the "
        "course): reviews are due every 3 cycles and no review is recorded yet. A clinician "
        "records it on the order's review page.",
        None,
    )


def test_an_order_not_in_force_is_refused_with_its_status(chair_a) -> None:
    order = verified_order(status=OrderStatus.DISCONTINUED, start_date=next_monday())
    assert said(refusal(booking.booking_propose, order, 1)) == (
        "order_not_bookable",
        f"Order {order.number} (version 1) is discontinued: only a verified or active version "
        "is booked.",
        None,
    )


def test_an_inactive_chair_asked_for_is_refused_by_name(order, chair_a) -> None:
    chair_a.active = False
    chair_a.save()
    assert said(refusal(booking.booking_propose, order, 1, chair=chair_a)) == (
        "invalid",
        "A chair is not in use.",
        "chair",
    )


def test_no_slot_names_the_chair_the_days_and_the_minutes(order) -> None:
    mondays = ChairFactory.create(name="Mondays only", hours=[(0, "08:00", "18:00")])
    horizon = f"within 42 days of {next_monday():%d %b %Y}."
    assert said(refusal(booking.booking_propose, order, 1)) == (
        "no_slot",
        f"No chair has 5 consecutive days free for 221 minutes {horizon}",
        None,
    )
    assert refusal(booking.booking_propose, order, 1, chair=mondays).message == (
        f"Mondays only has 5 consecutive days free for 221 minutes {horizon}"
    )


def test_confirm_refusals_say_which_slot_and_why(order, chair_a, nurse) -> None:
    slots = booking.booking_propose(order, 1)
    assert said(refusal(booking.booking_confirm, order, 1, slots[:4], nurse)) == (
        "invalid",
        "Cycle 1 has 5 days: give one slot for each.",
        "slots",
    )
    gap = [*slots[:4], Slot(5, chair_a, slots[4].start + timedelta(days=1))]
    assert said(refusal(booking.booking_confirm, order, 1, gap, nurse)) == (
        "invalid",
        "Day 5 must follow day 4 on the next calendar day (a cycle's days are consecutive).",
        "slots",
    )
    monday = next_monday()
    late = [Slot(n, chair_a, local(monday + timedelta(days=n - 1), "15:00")) for n in range(1, 6)]
    assert said(refusal(booking.booking_confirm, order, 1, late, nurse)) == (
        "outside_opening_hours",
        f"Day 1: A chair is not open from 15:00 to 18:41 on {monday:%A %d %b}.",
        "start",
    )
    wednesday = monday + timedelta(days=2)
    session_for(verified_order(), chair_a, local(wednesday, "11:00"), by=nurse)
    assert said(refusal(booking.booking_confirm, order, 1, slots, nurse)) == (
        "slot_taken",
        f"Day 3: A chair already holds a session between 08:00 and 11:41 on {wednesday:%d %b}.",
        "start",
    )


def test_a_slot_that_has_passed_is_refused_with_its_time(chair_a, nurse) -> None:
    order = verified_order(days_per_cycle=1)
    start = timezone.localtime() - timedelta(hours=2)
    assert said(refusal(booking.booking_confirm, order, 1, [Slot(1, chair_a, start)], nurse)) == (
        "invalid",
        f"Day 1: {start:%d %b %H:%M} has passed.",
        "start",
    )


def test_a_booked_cycle_is_refused_and_booking_records_who_and_why(order, chair_a, nurse) -> None:
    sessions = booking.booking_confirm(order, 1, booking.booking_propose(order, 1), nurse)
    first = sessions[0].history.first()
    assert (first.history_change_reason, first.history_user) == ("Cycle 1 booked", nurse)
    order.refresh_from_db()
    assert order.version == 2  # verified -> active is a change of the order
    activated = order.history.first()
    assert activated.history_change_reason == "Active: cycle 1 booked"
    assert said(
        refusal(booking.booking_confirm, order, 1, booking.booking_propose(order, 2), nurse)
    ) == (
        "cycle_booked",
        f"Cycle 1 of order {order.number} is already booked: move or cancel its sessions instead.",
        None,
    )
    # An active order stays at its version when its next cycle is booked.
    booking.booking_confirm(order, 2, booking.booking_propose(order, 2), nurse)
    order.refresh_from_db()
    assert (order.status, order.version) == (OrderStatus.ACTIVE, 2)


def test_move_and_cancel_refusals_say_what_is_missing(booked, chair_b, nurse) -> None:
    session, tuesday_session = booked[0], booked[1]
    for call, doing in ((booking.session_move, "move"), (booking.session_cancel, "cancel")):
        extra = {"chair": chair_b, "start": session.planned_start} if doing == "move" else {}
        assert said(refusal(call, session, by=nurse, reason="  ", **extra)) == (
            "invalid",
            f"Give a reason to {doing} the session.",
            "reason",
        )
    assert said(refusal(booking.session_cancel, session, by=nurse, reason="x", version=5)) == (
        "stale_version",
        "Someone changed this session while you were looking at it: reload and try again.",
        None,
    )
    tuesday = local(tuesday_session.planned_start.date(), "13:00")
    assert said(
        refusal(booking.session_move, session, chair=chair_b, start=tuesday, by=nurse, reason="x")
    ) == (
        "invalid",
        f"Order {session.order.number} already has day 2 of cycle 1 on {tuesday:%d %b}: one "
        "infusion a day.",
        "start",
    )
    InfusionSession.objects.filter(pk=session.pk).update(status=SessionStatus.IN_PROGRESS)
    start = session.planned_start
    assert said(
        refusal(booking.session_move, session, chair=chair_b, start=start, by=nurse, reason="x")
    ) == ("not_changeable", "A in progress session cannot be moved.", None)
    assert refusal(booking.session_cancel, session, by=nurse, reason="x").message == (
        "A in progress session cannot be cancelled."
    )


def test_a_cancelled_session_keeps_the_reason_and_who_in_its_history(booked, nurse) -> None:
    cancelled = booking.session_cancel(booked[0], by=nurse, reason=" Patient unwell ", version=1)
    assert (cancelled.status_reason, cancelled.version) == ("Patient unwell", 2)
    latest = cancelled.history.first()
    assert (latest.history_change_reason, latest.history_user) == (
        "Cancelled: Patient unwell",
        nurse,
    )


def test_discontinuing_a_version_cancels_its_lineage_up_to_it_and_no_other_order(
    nurse, clinician, chair_a
) -> None:
    first = verified_order(status=OrderStatus.SUPERSEDED, start_date=next_monday())
    second = verified_order(patient=first.patient, start_date=next_monday())
    Order.objects.filter(pk=second.pk).update(lineage=first, revision=2)
    second.refresh_from_db()
    third = verified_order(patient=first.patient, start_date=next_monday(3))
    Order.objects.filter(pk=third.pk).update(lineage=first, revision=3)
    monday = next_monday()
    by_version = {
        order.pk: session_for(
            order, chair_a, local(monday + timedelta(days=day), "08:00"), by=nurse
        )
        for day, order in enumerate((first, second, third))
    }
    unrelated = session_for(verified_order(), chair_a, local(monday, "13:00"), by=nurse)

    assert booking.cancel_future_sessions(second, clinician) == 2
    status = dict(InfusionSession.objects.values_list("pk", "status"))
    assert status[by_version[first.pk].pk] == status[by_version[second.pk].pk] == "cancelled"
    assert status[by_version[third.pk].pk] == status[unrelated.pk] == "booked"  # later, other
    cancelled = InfusionSession.objects.get(pk=by_version[first.pk].pk)
    # No reason given and none on the order: it says the order was discontinued.
    assert (cancelled.status_reason, cancelled.version) == ("Order discontinued", 2)
    assert cancelled.history.first().history_change_reason == "Cancelled: Order discontinued"


def test_cancelling_future_sessions_needs_someone(order) -> None:
    assert said(refusal(booking.cancel_future_sessions, order)) == (
        "invalid",
        "Say who cancels the sessions.",
        None,
    )


def test_the_row_locks_are_taken_on_the_session_order_patient_and_chair(booked, chair_b, nurse):
    """docs/clinical-rules.md 6, 6.1 (the module docstring's lock order): the order's row, then
    the patient's, the session's and the chair's, each lock's query selecting the row it is
    meant to hold (run again: a lock on no row holds nothing)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update:
        pytest.skip("SQLite has no row locks")
    session = booked[0]
    with CaptureQueriesContext(connection) as captured:
        booking.session_move(
            session, chair=chair_b, start=session.planned_start, by=nurse, reason="x"
        )
    locked: list[tuple[str, set[int]]] = []
    for query in captured.captured_queries:
        if "FOR UPDATE" in query["sql"]:
            table = query["sql"].split(" FROM ", 1)[1].split()[0].strip('"')
            with connection.cursor() as cursor:
                cursor.execute(query["sql"])
                locked.append((table, {row[0] for row in cursor.fetchall()}))
    # Each table's first lock, in the order taken (the session's lock takes its order's again,
    # held already: locked_session).
    first_locks = [
        (table, rows)
        for index, (table, rows) in enumerate(locked)
        if table not in {earlier for earlier, _ in locked[:index]}
    ]
    assert first_locks[:4] == [
        (Order._meta.db_table, {session.order_id}),
        (Patient._meta.db_table, {session.order.patient_id}),
        (InfusionSession._meta.db_table, {session.pk}),
        (Chair._meta.db_table, {chair_b.pk}),
    ]


def test_a_replaced_versions_cycle_must_end_before_the_new_versions_first_day(
    chair_a, nurse
) -> None:
    """docs/clinical-rules.md 4, 10.2: a version superseded by a verified one books only days
    before the new version's first day (here the Friday of its cycle's week)."""
    monday = next_monday()
    first = verified_order(
        status=OrderStatus.SUPERSEDED, verified_at=timezone.now(), start_date=monday
    )
    second = verified_order(
        patient=first.patient, start_date=monday + timedelta(days=4), supersedes=first
    )
    Order.objects.filter(pk=second.pk).update(lineage=first, revision=2)
    slots = [Slot(n, chair_a, local(monday + timedelta(days=n - 1), "08:00")) for n in range(1, 6)]
    assert said(refusal(booking.booking_confirm, first, 1, slots, nurse)) == (
        "invalid",
        f"Version 1 of order {first.number} is replaced from "
        f"{monday + timedelta(days=4):%d %b %Y}: its cycle's days must all fall before then.",
        "slots",
    )


def test_a_slot_may_start_up_to_a_minute_ago_for_the_clocks_skew(chair_a, monkeypatch) -> None:
    """docs/clinical-rules.md 6: a slot that has passed is refused, allowing one minute of clock
    skew between the nurse's device and the server."""
    from infusions.common import CLOCK_SKEW

    now = local(next_monday(), "10:00")
    monkeypatch.setattr(timezone, "now", lambda: now)
    hour = timedelta(hours=1)
    for start in (now - CLOCK_SKEW, now, now + timedelta(seconds=30)):
        booking._check_slot(chair_a, start, start + hour, what="Day 1")  # no refusal
    late = now - CLOCK_SKEW - timedelta(seconds=1)
    assert said(refusal(booking._check_slot, chair_a, late, late + hour, what="Day 1")) == (
        "invalid",
        f"Day 1: {late:%d %b %H:%M} has passed.",
        "start",
    )


def test_an_inactive_chair_is_refused_at_booking_by_name(order, chair_a, nurse) -> None:
    slots = booking.booking_propose(order, 1)
    chair_a.active = False
    chair_a.save()
    assert said(refusal(booking.booking_confirm, order, 1, slots, nurse)) == (
        "invalid",
        "A chair is not in use.",
        "chair",
    )


def test_a_patients_second_session_that_day_is_refused_naming_the_first(chair_a, chair_b, nurse):
    """docs/clinical-rules.md 6.1: one infusion session a patient a day, whatever the order."""
    from tests.infusions.factories import two_meant_orders_of_one_patient

    monday = next_monday()
    first, second = two_meant_orders_of_one_patient(start_date=monday)
    session_for(first, chair_a, local(monday, "08:00"), by=nurse)
    slots = [Slot(1, chair_b, local(monday, "13:00"))]
    assert said(refusal(booking.booking_confirm, second, 1, slots, nurse)) == (
        "patient_day_taken",
        f"Day 1: the patient already has a session on {monday:%d %b %Y} (order {first.number}, "
        "cycle 1 day 1, A chair at 08:00): one infusion session a day.",
        "start",
    )


def test_a_cycle_before_one_given_is_past_and_not_booked(order, chair_a, nurse) -> None:
    given = booking.booking_confirm(order, 2, booking.booking_propose(order, 2), nurse)
    InfusionSession.objects.filter(pk=given[0].pk).update(status=SessionStatus.COMPLETED)
    assert said(refusal(booking.booking_propose, order, 1)) == (
        "invalid",
        f"Cycle 2 of order {order.number} has already been given: cycle 1, before it, is past "
        "and is not booked now.",
        "cycle_number",
    )
    assert booking.booking_propose(order, 3)[0].day_number == 1  # after it: booked as usual


def test_the_cycle_given_last_is_refused_as_booked_not_as_past(order, chair_a, nurse) -> None:
    """Only a cycle before the latest one given is past: the latest one itself, with a day
    given, is refused because it is booked (its sessions are moved or cancelled instead)."""
    given = booking.booking_confirm(order, 2, booking.booking_propose(order, 2), nurse)
    InfusionSession.objects.filter(pk=given[0].pk).update(status=SessionStatus.COMPLETED)
    slots = [Slot(session.day_number, chair_a, session.planned_start) for session in given]
    assert refusal(booking.booking_confirm, order, 2, slots, nurse).code == "cycle_booked"


def test_another_orders_given_cycles_do_not_make_a_cycle_past(order, chair_a, nurse) -> None:
    """Cycles are past by the order's own cycles given: another patient's cycle 3 under way
    leaves this order's cycle 1 bookable."""
    other = verified_order(start_date=next_monday(2))
    (started, *_) = booking.booking_confirm(other, 3, booking.booking_propose(other, 3), nurse)
    InfusionSession.objects.filter(pk=started.pk).update(status=SessionStatus.IN_PROGRESS)
    assert booking.booking_propose(order, 1)[0].day_number == 1


def test_a_replaced_versions_cycle_from_the_new_first_day_is_the_new_versions(
    chair_a, nurse
) -> None:
    monday = next_monday()
    first = verified_order(
        status=OrderStatus.SUPERSEDED, verified_at=timezone.now(), start_date=monday
    )
    new_start = monday + timedelta(days=28)  # cycle 2's planned first day
    second = verified_order(patient=first.patient, start_date=new_start, supersedes=first)
    Order.objects.filter(pk=second.pk).update(lineage=first, revision=2)
    assert said(refusal(booking.booking_propose, first, 2)) == (
        "order_not_bookable",
        f"Cycle 2 of order {first.number} belongs to version 1, which a newer version replaces "
        f"from {new_start:%d %b %Y}: book the newer version's cycles instead.",
        None,
    )
    assert booking.booking_propose(first, 1)[-1].day < new_start  # cycle 1 still books


def test_an_unstaffed_proposal_is_first_fit_and_says_so(order, chair_a) -> None:
    """docs/planner.md: no nurse on shift on the cycle's days, so the earliest free slot; the
    proposal carries the session as the planner sees it (chair minutes, premedication lead, the
    minute the plan's top rate is reached) and no nurses' ratio broken."""
    from infusions.planning.ranking import NewSession

    proposal = booking.booking_proposal(order, 1)
    assert proposal.why == booking.FIRST_FIT_WHY
    assert (proposal.over_ratio, proposal.over_ratio_day) == (False, None)
    # 221 chair minutes, 30 of premedication; the worked example never reaches its target rate
    # (runnable_plan: target_rate_reached_min None), so no minutes at a top rate.
    assert runnable_plan(order).target_rate_reached_min is None
    assert proposal.session == NewSession(221, 30, 0)


def test_a_proposal_is_refused_by_a_stop_in_words(order, chair_a) -> None:
    order.patient.iga_status = "deficient_with_antibodies"
    order.patient.save()
    error = refusal(booking.booking_propose, order, 1)
    assert error.message.startswith("Cannot propose a booking: ")
    assert error.message.endswith("A clinician must revise the order (new version).")


def test_the_patients_time_window_holds_to_the_minute(order, chair_a, nurse) -> None:
    """docs/planner.md: a stored window is hard: the start not before its earliest minute, the
    end not after its latest (221 minutes from 13:15 end at 16:56)."""
    from infusions.planning.services import preference_save

    monday = next_monday()

    def window(earliest: str, latest: str) -> None:
        preference_save(
            order.patient,
            by=nurse,
            earliest_start=local(monday, earliest).time(),
            latest_end=local(monday, latest).time(),
        )

    window("13:15", "16:56")
    assert clocks(booking.booking_propose(order, 1))[0] == (1, "A chair", "Mon 13:15", "16:56")
    window("08:00", "11:41")  # 08:00 + 221 minutes ends at 11:41 exactly
    assert clocks(booking.booking_propose(order, 1))[0] == (1, "A chair", "Mon 08:00", "11:41")
    window("08:00", "11:40")  # a minute short: no start that day fits before 11:40
    assert refusal(booking.booking_propose, order, 1).code == "no_slot"
    window("17:00", "18:00")
    assert refusal(booking.booking_propose, order, 1).message == (
        "No chair has 5 consecutive days free for 221 minutes within the patient's time window "
        f"within 42 days of {monday:%d %b %Y}."
    )


def test_the_planners_session_falls_back_on_the_signed_plans_minutes(order) -> None:
    """docs/planner.md: the minutes the runnable plan does not give are read from the plan at
    signing, as the planner reads the booked sessions; none, or not a whole number, is 0."""
    from infusions.planning.ranking import NewSession

    plan = runnable_plan(order)
    order.plan_at_signing = {"premedication_min_before": 45, "target_rate_reached_min": 150}
    assert booking._new_session(order, 221, plan) == NewSession(221, 30, 150)
    order.plan_at_signing = {"target_rate_reached_min": -5}
    assert booking._new_session(order, 221, plan) == NewSession(221, 30, 0)
    order.plan_at_signing = {"target_rate_reached_min": "150"}
    assert booking._new_session(order, 221, plan) == NewSession(221, 30, 0)
    order.plan_at_signing = None
    assert booking._new_session(order, 221, plan) == NewSession(221, 30, 0)


# --- ranked proposals (docs/planner.md): a nurse on shift ------------------------------------


def one_day_order(day: date, **overrides):
    return verified_order(
        start_date=day, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"), **overrides
    )


def test_a_staffed_proposal_keeps_the_chair_and_time_of_the_last_cycle(nurse) -> None:
    from tests.infusions.planning.test_api import one_nurse

    day = timezone.localdate() + timedelta(days=3)
    every_day = [(weekday, "08:00", "18:00") for weekday in range(7)]
    chairs = [ChairFactory.create(name=f"{letter} chair", hours=every_day) for letter in "AB"]
    one_nurse(nurse, day)
    earlier = one_day_order(day - timedelta(days=1))
    session_for(earlier, chairs[1], local(day - timedelta(days=1), "10:00"), by=nurse)
    proposal = booking.booking_proposal(one_day_order(day, patient=earlier.patient), 1)
    assert clocks(proposal.slots)[0][1:3] == ("B chair", f"{day:%a} 10:00")
    assert "the same chair and time as the last cycle" in proposal.why


def test_a_proposal_is_checked_with_its_own_days_on_the_patients_calendar(chair_a, nurse):
    """docs/clinical-rules.md 3.9: the plan is checked with the proposed days on the calendar:
    a cycle planned five weeks after another order's day keeps the 28-day maximum, the same
    cycle asked for a week after it does not."""
    monday = next_monday()
    order = verified_order(start_date=monday + timedelta(days=35))
    other = verified_order(
        patient=order.patient, start_date=monday, days_per_cycle=1, cycles=1,
        total_dose_g_per_kg=Decimal("0.4"),
    )  # fmt: skip
    session_for(other, chair_a, local(monday, "08:00"), by=nurse)
    assert booking.booking_propose(order, 1)[0].day == monday + timedelta(days=35)
    early = refusal(booking.booking_propose, order, 1, requested_date=monday + timedelta(days=7))
    assert early.code == "stop_findings"
    assert early.message.startswith("Cannot propose a booking: Above the 28-day maximum dose")


@pytest.mark.parametrize("days_late", [1, 3])
def test_a_cycle_given_late_carries_the_next_cycles_proposal_with_it(nurse, days_late, client_for):
    """The interval counts from the cycle given (docs/clinical-rules.md 3.9, 6): cycle 2 given
    ``days_late`` days after its planned day, cycle 3 is proposed ``days_late`` days after its
    own, never on its planned day, which would put six infusion days in 28 (here above the
    28-day maximum: a refusal telling a clinician to revise an order that is right). The
    schedule's "Cycles to book" shows the day the proposal starts from."""
    order = verified_order(cycles=3, start_date=timezone.localdate() - timedelta(days=50))
    every_day = ChairFactory.create(name="Open every day")
    for cycle, first in ((1, order.start_date), (2, order.start_date + timedelta(28 + days_late))):
        for day in range(5):
            session_for(
                order,
                every_day,
                local(first + timedelta(days=day), "09:00"),
                by=nurse,
                cycle_number=cycle,
                day_number=day + 1,
                status=SessionStatus.COMPLETED,
            )
    refresh_next_cycle(order)
    slots = booking.booking_propose(order, 3)
    cycle_3 = order.start_date + timedelta(days=56 + days_late)
    assert [slot.start.date() for slot in slots] == [
        cycle_3 + timedelta(days=day) for day in range(5)
    ]
    rows = {row.order.pk: row for row in selectors.orders_to_book()}
    assert (rows[order.pk].next_cycle, rows[order.pk].cycle_first_day) == (3, cycle_3)
    schedule = client_for(nurse).get(reverse("infusions:schedule") + "?view=week")
    assert f"<td>{cycle_3:%a} {cycle_3.day} {cycle_3:%b %Y}</td>" in schedule.content.decode()
    asked = cycle_3 + timedelta(days=7)  # a day the nurse asks for still wins
    assert booking.booking_propose(order, 3, requested_date=asked)[0].start.date() == asked


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sessions_lock_holds_its_order_and_not_its_chair(nurse):
    """A session changed under its lock (a move, a cancel, a confirm, an entry) holds its order's
    lock and its own, never its chair's (module docstring of infusions.booking.services): a move
    locks the chair it goes to by id, so two moves in opposite directions between two chairs
    cannot each hold the chair the other waits for."""
    chair = ChairFactory.create()
    session = session_for(verified_order(), chair, local(timezone.localdate(), "09:00"), by=nurse)
    with transaction.atomic():
        current = booking.locked_session(session, None)
        assert current.chair == chair
        assert locked_by_another_connection(InfusionSession, session.pk)
        assert locked_by_another_connection(Order, session.order_id)
        assert not locked_by_another_connection(Chair, chair.pk)
