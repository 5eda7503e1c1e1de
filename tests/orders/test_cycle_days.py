"""A cycle's day on the patient's calendar (docs/clinical-rules.md 3.6, 6):
``cycle_day_after_booked`` counts the interval from the latest cycle booked before it."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from orders.models import Order, cycle_day_after_booked, cycle_due_day

START = date(2027, 1, 4)


def _order(interval_days: int, cycles: int = 12) -> Order:
    return Order(start_date=START, cycle_interval_days=interval_days, cycles=cycles)


def _planned(order: Order, number: int) -> date:
    """Cycle ``number``'s planned day, counted here on its own (3.6)."""
    return START + timedelta(days=(number - 1) * order.cycle_interval_days)


def test_with_nothing_booked_before_it_a_cycle_is_due_on_its_planned_day():
    order = _order(28)
    assert cycle_day_after_booked(order, 3, {}) == date(2027, 3, 1) == cycle_due_day(order, 3)
    # A cycle booked after it (re-offered before it) does not move it.
    assert cycle_day_after_booked(order, 3, {4: date(2027, 4, 1)}) == date(2027, 3, 1)


def test_the_interval_counts_from_the_latest_cycle_booked_before_it():
    order = _order(21)
    booked = {1: date(2027, 1, 5), 2: date(2027, 1, 28)}  # cycle 2 two days late
    assert cycle_day_after_booked(order, 3, booked) == date(2027, 2, 18)
    assert cycle_day_after_booked(order, 5, booked) == date(2027, 4, 1)  # 3 intervals on


@given(
    interval_days=st.integers(min_value=7, max_value=90),
    cycle_number=st.integers(min_value=2, max_value=12),
    moves=st.lists(st.integers(min_value=-5, max_value=10), min_size=1, max_size=11),
)
def test_a_cycle_follows_the_latest_booked_one_by_whole_intervals(
    interval_days, cycle_number, moves
):
    order = _order(interval_days)
    booked = {
        number: _planned(order, number) + timedelta(days=move)
        for number, move in enumerate(moves, start=1)
        if number != cycle_number
    }
    day = cycle_day_after_booked(order, cycle_number, booked)
    earlier = [number for number in booked if number < cycle_number]
    if not earlier:
        assert day == _planned(order, cycle_number) == cycle_due_day(order, cycle_number)
    else:
        latest = max(earlier)
        assert day - booked[latest] == timedelta(days=(cycle_number - latest) * interval_days)
        # Moved by exactly as much as the latest booked cycle was.
        assert day - _planned(order, cycle_number) == booked[latest] - _planned(order, latest)
