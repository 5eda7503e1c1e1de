"""The booking proposal ranked with the planner's model (docs/planner.md, "The booking
proposal"): the nurses' ratio kept, the patient's window (hard) and preferences (soft),
continuity with their last cycle; first fit as before when no nurse is on shift."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from infusions.booking import services as booking
from infusions.booking.session_plan import runnable_plan
from infusions.errors import InfusionError
from infusions.models import SessionStatus
from infusions.planning.services import policy_save, preference_save
from orders.models import Order
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.infusions.planning.test_api import one_nurse

pytestmark = pytest.mark.django_db

OPEN_8_TO_6 = [(weekday, "08:00", "18:00") for weekday in range(7)]


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=3)


@pytest.fixture
def chairs():
    return [ChairFactory.create(name=f"{letter} chair", hours=OPEN_8_TO_6) for letter in "ABCDE"]


def one_day_order(day, **overrides):
    return verified_order(
        start_date=day, days_per_cycle=1, total_dose_g_per_kg=Decimal("0.4"), **overrides
    )


def four_at_eight(nurse, day, chairs):
    """Chairs A to D hold a booked session from 08:00 to 12:00: one nurse's four patients."""
    for chair in chairs[:4]:
        session_for(one_day_order(day), chair, local(day, "08:00"), by=nurse, minutes=240)


def start_of(proposal) -> tuple[str, str]:
    (slot,) = proposal.slots
    return slot.chair.name, timezone.localtime(slot.start).strftime("%H:%M")


def test_no_nurse_on_shift_is_first_fit_as_before(nurse, day, chairs):
    four_at_eight(nurse, day, chairs)
    proposal = booking.booking_proposal(one_day_order(day), 1)
    assert start_of(proposal) == ("E chair", "08:00")
    assert proposal.why == booking.FIRST_FIT_WHY
    assert not proposal.over_ratio


def test_a_slot_that_breaks_the_nurse_ratio_is_passed_over_for_a_later_free_one(nurse, day, chairs):
    four_at_eight(nurse, day, chairs)
    one_nurse(nurse, day)
    proposal = booking.booking_proposal(one_day_order(day), 1)
    # E is free at 08:00, but a fifth patient under one nurse breaks the ratio of 4.
    assert start_of(proposal) == ("A chair", "12:00")
    assert proposal.why.startswith("Ranked by the planner: keeps the nurses' ratio")
    assert not proposal.over_ratio


def test_a_day_with_no_slot_within_the_ratio_is_passed_over(nurse, day, chairs):
    for chair in chairs[:4]:
        session_for(one_day_order(day), chair, local(day, "08:00"), by=nurse, minutes=600)
    one_nurse(nurse, day)
    (slot,) = booking.booking_propose(one_day_order(day), 1)
    # The day's nurse holds four patients all day: the next day, with no shift, is first fit.
    assert slot.day == day + timedelta(days=1)


def test_every_slot_over_the_ratio_is_still_proposed_with_a_warning(nurse, day):
    chairs = [
        ChairFactory.create(name=f"{n} chair", hours=[(day.weekday(), "08:00", "18:00")])
        for n in "AB"
    ]
    policy_save(by=nurse, patients_per_nurse=1, titrations_per_nurse=1)
    for week in range(8):
        on = day + timedelta(weeks=week)
        session_for(one_day_order(on), chairs[0], local(on, "08:00"), by=nurse, minutes=600)
        one_nurse(nurse, on)
    order = one_day_order(day)
    proposal = booking.booking_proposal(order, 1, requested_date=day)
    assert (proposal.over_ratio, proposal.over_ratio_day) == (True, day)
    assert "breaks the nurses' ratio" in proposal.why
    assert proposal.slots[0].day == day
    assert start_of(proposal) == ("B chair", "08:00")
    # The session it would add, for the booking page's nurse load on that day.
    assert proposal.session is not None
    assert proposal.session.duration_min == runnable_plan(order).chair_minutes


def test_continuity_with_the_last_cycle_is_preferred(nurse, day, chairs):
    one_nurse(nurse, day)
    earlier = one_day_order(day - timedelta(days=1))
    session_for(earlier, chairs[1], local(day - timedelta(days=1), "10:00"), by=nurse)
    proposal = booking.booking_proposal(one_day_order(day, patient=earlier.patient), 1)
    assert start_of(proposal) == ("B chair", "10:00")
    assert "the same chair and time as the last cycle" in proposal.why


def test_continuity_follows_this_patients_last_cycle_not_anothers(nurse, day, chairs):
    """The last cycle is the patient's own: another patient's later session, before this one's
    first day, is not theirs to continue."""
    one_nurse(nurse, day)
    earlier = one_day_order(day - timedelta(days=2))
    session_for(earlier, chairs[1], local(day - timedelta(days=2), "10:00"), by=nurse)
    someone_else = one_day_order(day - timedelta(days=1))
    session_for(someone_else, chairs[2], local(day - timedelta(days=1), "14:00"), by=nurse)
    proposal = booking.booking_proposal(one_day_order(day, patient=earlier.patient), 1)
    assert start_of(proposal) == ("B chair", "10:00")


def test_continuity_follows_the_cycle_before_not_one_booked_after(nurse, day, chairs):
    """The last cycle is the latest before the first day: the patient's session booked later
    (here by another order, five days on) is not the one to continue."""
    one_nurse(nurse, day)
    earlier = one_day_order(day - timedelta(days=1))
    session_for(earlier, chairs[1], local(day - timedelta(days=1), "10:00"), by=nurse)
    later = one_day_order(day + timedelta(days=5), patient=earlier.patient)
    session_for(later, chairs[2], local(day + timedelta(days=5), "14:00"), by=nurse)
    proposal = booking.booking_proposal(one_day_order(day, patient=earlier.patient), 1)
    assert start_of(proposal) == ("B chair", "10:00")


@pytest.mark.parametrize(("busy_days", "first_free_offset"), [(42, 42), (43, None)])
def test_the_horizon_ends_42_days_after_the_first_day(nurse, day, busy_days, first_free_offset):
    """Day 1 may start on the first day or any of the 42 days after it, and no later
    (docs/clinical-rules.md 6): the only chair is held by another patient until then."""
    (chair,) = [ChairFactory.create(name="Only chair", hours=OPEN_8_TO_6)]
    holder = one_day_order(day)
    session_for(holder, chair, local(day, "00:00"), by=nurse, minutes=busy_days * 24 * 60)
    order = one_day_order(day)
    if first_free_offset is None:
        with pytest.raises(InfusionError) as error:
            booking.booking_proposal(order, 1)
        assert error.value.code == InfusionError.NO_SLOT
    else:
        (slot,) = booking.booking_proposal(order, 1).slots
        assert slot.day == day + timedelta(days=first_free_offset)


def test_without_shifts_the_last_cycle_does_not_change_first_fit(nurse, day, chairs):
    earlier = one_day_order(day - timedelta(days=1))
    session_for(earlier, chairs[1], local(day - timedelta(days=1), "10:00"), by=nurse)
    proposal = booking.booking_proposal(one_day_order(day, patient=earlier.patient), 1)
    assert start_of(proposal) == ("A chair", "08:00")


def test_the_patients_window_is_hard_even_in_first_fit(nurse, day, chairs):
    order = one_day_order(day)
    preference_save(
        order.patient,
        by=nurse,
        earliest_start=local(day, "13:00").time(),
        latest_end=local(day, "18:00").time(),
    )
    assert start_of(booking.booking_proposal(order, 1)) == ("A chair", "13:00")


@pytest.mark.parametrize(
    ("earliest", "latest"), [("17:00", "18:00"), ("17:00", None), (None, "09:00")]
)
def test_no_slot_within_the_window_says_so(nurse, day, chairs, earliest, latest):
    """Either end of the window alone is a window: a 221-minute infusion starting at 17:00 or
    over by 09:00 fits no chair's day."""
    order = one_day_order(day)
    preference_save(
        order.patient,
        by=nurse,
        earliest_start=local(day, earliest).time() if earliest else None,
        latest_end=local(day, latest).time() if latest else None,
    )
    with pytest.raises(booking.InfusionError, match="within the patient's time window"):
        booking.booking_proposal(order, 1)


def test_the_patients_preference_is_kept_when_nurses_are_on_shift(nurse, day, chairs):
    one_nurse(nurse, day)
    order = one_day_order(day)
    preference_save(
        order.patient,
        by=nurse,
        preferred_start_from=local(day, "09:00").time(),
        preferred_start_to=local(day, "09:30").time(),
        preferred_chair=chairs[2],
    )
    proposal = booking.booking_proposal(order, 1)
    assert start_of(proposal) == ("C chair", "09:00")
    assert "the patient's preference kept" in proposal.why


def titrating(order, minutes=120):
    Order.objects.filter(pk=order.pk).update(
        plan_at_signing={"premedication_min_before": 0, "target_rate_reached_min": minutes}
    )
    order.refresh_from_db()
    return order


def test_titration_starts_are_spread(nurse, day, chairs):
    """A titration runs from 08:00 to 10:00 (chair A): the proposal's own titration begins
    when that one is over rather than beside it."""
    one_nurse(nurse, day)
    session_for(titrating(one_day_order(day)), chairs[0], local(day, "08:00"), by=nurse)
    proposal = booking.booking_proposal(titrating(one_day_order(day)), 1)
    # Its own titration begins after its 30-minute premedication lead: at 10:00.
    assert start_of(proposal) == ("B chair", "09:30")
    assert "1 in titration at once at most" in proposal.why


def test_tentative_and_booked_sessions_both_load_the_nurses(nurse, day, chairs):
    for chair, status in zip(
        chairs[:4], [SessionStatus.TENTATIVE, SessionStatus.BOOKED] * 2, strict=True
    ):
        session_for(
            one_day_order(day), chair, local(day, "08:00"), by=nurse, minutes=240, status=status
        )
    one_nurse(nurse, day)
    assert start_of(booking.booking_proposal(one_day_order(day), 1)) == ("A chair", "12:00")


def test_the_ranked_proposal_costs_the_same_queries_with_more_sessions(nurse, day, chairs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one_nurse(nurse, day)
    order = titrating(one_day_order(day))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            booking.booking_proposal(order, 1)
        return len(captured)

    session_for(titrating(one_day_order(day)), chairs[0], local(day, "08:00"), by=nurse)
    queries()  # the order's patient, product and indication are read once
    few = queries()
    for chair in chairs[1:3]:
        session_for(titrating(one_day_order(day)), chair, local(day, "13:00"), by=nurse)
    assert queries() == few
