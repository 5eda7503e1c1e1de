"""The patient's IVIg calendar (docs/clinical-rules.md 3.9): the dose maxima on every order's
grams, CONCURRENT_IVIG_ORDER and WEIGHT_CHANGED, each at its boundaries.

The default request of ``plan_request``: 70 kg, psoriasis (1 g/kg a day = 70 g, 2 g/kg per 28
days = 140 g), Privigen, 2 g/kg over 5 days from 2027-01-04: 28 g a day on 4-8 Jan, 140 g.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ivig.engine import (
    CalendarDay,
    PatientCalendar,
    PlanRequest,
    SessionDay,
    compute_plan,
)
from ivig.engine.calendar import (
    OwnDay,
    concurrent_order_ids,
    grams_by_day,
    heaviest_own_day,
    heaviest_window,
    own_days,
)
from tests.engine.factories import plan_request
from tests.engine.strategies import valid_requests

D = Decimal
JAN_4 = date(2027, 1, 4)
CALENDAR_SETTINGS = settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def other(day: date, dose_g: str | int, order_id: int = 12, order_open: bool = True) -> CalendarDay:
    return CalendarDay(day=day, dose_g=D(dose_g), order_id=order_id, order_open=order_open)


def with_calendar(
    other_days: list[CalendarDay] = (),  # type: ignore[assignment]
    own_sessions: list[SessionDay] = (),  # type: ignore[assignment]
    **overrides: Any,
) -> PlanRequest:
    request = plan_request(**overrides)
    calendar = PatientCalendar(other_days=list(other_days), own_sessions=list(own_sessions))
    return request.model_copy(update={"calendar": calendar})


def findings(request: PlanRequest) -> dict[str, str]:
    return {finding.code: finding.message for finding in compute_plan(request).findings}


# --- the 28-day maximum on the calendar -------------------------------------------------------


def test_two_orders_over_the_same_weeks_stop() -> None:
    found = findings(with_calendar([other(date(2027, 1, 11), 10)]))
    # 4-8 Jan 5 * 28 = 140 g plus 10 g on 11 Jan: 150 g > 140 g
    assert found["MAX_DOSE_PER_28_DAYS"] == (
        "From 2027-01-04 to 2027-01-31 the patient's IVIg calendar holds 150 g (2 orders, this "
        "one included), above this order's 28-day maximum of 140 g (2 g/kg \u00d7 70 kg)."
    )
    assert "order 12" in found["CONCURRENT_IVIG_ORDER"]
    assert "reason" in found["CONCURRENT_IVIG_ORDER"]


def test_this_order_alone_at_the_cap_on_an_empty_calendar_is_fine() -> None:
    assert findings(with_calendar()) == {}


@pytest.mark.parametrize(
    ("day", "stops"),
    [
        (date(2026, 12, 8), True),  # 4 Jan - 27: window 8 Dec - 4 Jan holds 120 + 28 = 148 g
        (date(2026, 12, 7), False),  # 4 Jan - 28: no 28 days hold both
        (date(2027, 2, 4), True),  # 8 Jan + 27: window 8 Jan - 4 Feb holds 28 + 120 g
        (date(2027, 2, 5), False),  # 8 Jan + 28
    ],
)
def test_window_boundaries_are_28_days_start_day_inclusive(day: date, stops: bool) -> None:
    found = findings(with_calendar([other(day, 120)]))
    assert ("MAX_DOSE_PER_28_DAYS" in found) is stops
    assert ("CONCURRENT_IVIG_ORDER" in found) is stops


def test_a_window_without_a_day_of_this_order_is_not_this_orders_stop() -> None:
    # the other order alone puts 200 g in December: not a window of this order
    days = [other(date(2026, 12, 1) + timedelta(days=n), 40) for n in range(5)]
    assert "MAX_DOSE_PER_28_DAYS" not in findings(with_calendar(days))


def test_a_completed_order_counts_its_grams_but_is_not_concurrent() -> None:
    found = findings(with_calendar([other(date(2026, 12, 25), 30, order_open=False)]))
    assert "MAX_DOSE_PER_28_DAYS" in found  # 30 + 140 = 170 g from 25 Dec
    assert "From 2026-12-25 to 2027-01-21" in found["MAX_DOSE_PER_28_DAYS"]
    assert "CONCURRENT_IVIG_ORDER" not in found


def test_given_grams_replace_the_planned_dose() -> None:
    sessions = [SessionDay(cycle_number=1, day=JAN_4 + timedelta(days=n)) for n in range(5)]
    assert findings(with_calendar(own_sessions=sessions)) == {}
    over = [sessions[0].model_copy(update={"given_g": D("28.5")}), *sessions[1:]]
    found = findings(with_calendar(own_sessions=over))
    assert "holds 140.5 g (this order alone)" in found["MAX_DOSE_PER_28_DAYS"]
    # 20 g given on 4 Jan leaves room for 8 g of another order: 20 + 4 * 28 + 8 = 140 g
    under = [sessions[0].model_copy(update={"given_g": D(20)}), *sessions[1:]]
    on_cap = findings(with_calendar([other(date(2027, 1, 20), 8)], own_sessions=under))
    assert "MAX_DOSE_PER_28_DAYS" not in on_cap
    over_cap = findings(with_calendar([other(date(2027, 1, 20), "8.1")], own_sessions=under))
    assert "holds 140.1 g (2 orders, this one included)" in over_cap["MAX_DOSE_PER_28_DAYS"]


def test_a_moved_session_moves_the_cycle_on_the_calendar() -> None:
    # cycles every 28 days at the cap: cycle 2 moved 2 days earlier makes 7 Jan-3 Feb hold
    # days 7, 8 Jan of cycle 1 and 30 Jan-3 Feb of cycle 2: 7 * 28 = 196 g > 140 g
    moved = [
        SessionDay(cycle_number=2, day=date(2027, 1, 30) + timedelta(days=n)) for n in range(5)
    ]
    found = findings(with_calendar(own_sessions=moved, cycles=2, cycle_interval_days=28))
    assert "holds 196 g (this order alone)" in found["MAX_DOSE_PER_28_DAYS"]
    # without the move: at the cap, nothing
    assert findings(with_calendar(cycles=2, cycle_interval_days=28)) == {}


def test_sessions_of_a_cycle_the_regimen_does_not_have_are_not_this_orders_days() -> None:
    stray = [SessionDay(cycle_number=2, day=date(2027, 1, 10), given_g=D(50))]
    assert findings(with_calendar(own_sessions=stray, cycles=1)) == {}


# --- the daily maximum on the calendar ----------------------------------------------------


def test_two_orders_on_one_day_above_the_daily_maximum_stop() -> None:
    found = findings(with_calendar([other(date(2027, 1, 5), 42, order_open=False)]))
    # 28 + 42 = 70 g: at the daily maximum; the window holds 182 g though
    assert "MAX_DAILY_DOSE" not in found
    found = findings(with_calendar([other(date(2027, 1, 5), "42.1", order_open=False)]))
    assert found["MAX_DAILY_DOSE"] == (
        "On 2027-01-05 the patient's IVIg calendar holds 70.1 g (2 orders, this one "
        "included), above this order's daily maximum of 70 g (1 g/kg \u00d7 70 kg)."
    )


def test_another_orders_heavy_day_that_is_not_a_day_of_this_order_is_not_its_daily_stop() -> None:
    found = findings(with_calendar([other(date(2027, 1, 9), 100, order_open=False)]))
    assert "MAX_DAILY_DOSE" not in found
    assert "MAX_DOSE_PER_28_DAYS" in found  # 240 g in the window


def test_without_a_calendar_the_plan_judges_the_course_alone() -> None:
    request = plan_request(total_dose_g_per_kg="1", cycles=2, cycle_interval_days=14)
    assert compute_plan(request).findings == []
    assert (
        compute_plan(request).model_dump()
        == compute_plan(request.model_copy(update={"calendar": None})).model_dump()
    )


# --- CONCURRENT_IVIG_ORDER ------------------------------------------------------------------


def test_concurrent_orders_are_named_once_each_in_order() -> None:
    days = [other(date(2027, 1, 20), 1, 15), other(date(2027, 1, 21), 1, 9), other(JAN_4, 1, 15)]
    found = findings(with_calendar(days, daily_dose_mg_per_kg="100"))
    assert found["CONCURRENT_IVIG_ORDER"] == (
        "Another open IVIg order of the patient (orders 9 and 15) has infusion days within 28 "
        "days of this order's: signing needs a reason why both are meant (e.g. a loading "
        "order)."
    )


def test_concurrent_order_ids_brute_force_agreement() -> None:
    own = [JAN_4, date(2027, 3, 1)]
    others = [other(JAN_4 + timedelta(days=n), 1, order_id=n) for n in range(-40, 100)]
    expected = sorted(
        o.order_id for o in others if any(abs((o.day - day).days) <= 27 for day in own)
    )
    assert concurrent_order_ids(own, others) == expected


# --- WEIGHT_CHANGED -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight_kg", "raised"),
    [("63", True), ("63.1", False), ("77", True), ("76.9", False), ("70", False)],
)
def test_weight_changed_by_10_percent_of_the_signed_weight(weight_kg: str, raised: bool) -> None:
    request = plan_request(weight_kg=weight_kg).model_copy(update={"signed_weight_kg": D(70)})
    assert ("WEIGHT_CHANGED" in findings(request)) is raised


def test_weight_changed_message_names_both_weights_and_the_change() -> None:
    request = plan_request(weight_kg="61.6").model_copy(update={"signed_weight_kg": D(70)})
    finding = next(f for f in compute_plan(request).findings if f.code == "WEIGHT_CHANGED")
    assert finding.severity == "override"
    assert finding.message == (
        "The latest weight, 61.6 kg, is 12 % less than the 70 kg the signed plan used: the "
        "order must be revised (new version) before the next session."
    )


def test_no_weight_changed_without_a_signed_weight_or_with_an_invalid_weight() -> None:
    assert "WEIGHT_CHANGED" not in findings(plan_request(weight_kg="40"))
    invalid = plan_request(weight_kg="400").model_copy(update={"signed_weight_kg": D(70)})
    assert "WEIGHT_CHANGED" not in findings(invalid)


# --- properties -------------------------------------------------------------------------------

calendar_days = st.lists(
    st.builds(
        CalendarDay,
        day=st.dates(date(2026, 11, 1), date(2027, 6, 30)),
        dose_g=st.integers(0, 800).map(lambda n: D(n) / 10),
        order_id=st.integers(1, 6),
        order_open=st.booleans(),
    ),
    max_size=40,
)


@st.composite
def own_calendars(draw: st.DrawFn) -> tuple[list[list[date]], Decimal, list[SessionDay]]:
    cycles = draw(st.integers(1, 6))
    interval = draw(st.integers(7, 40))
    days_per_cycle = draw(st.integers(1, 5))
    start = draw(st.dates(date(2027, 1, 1), date(2027, 3, 1)))
    cycle_dates = [
        [start + timedelta(days=c * interval + n) for n in range(days_per_cycle)]
        for c in range(cycles)
    ]
    sessions = draw(
        st.lists(
            st.builds(
                SessionDay,
                cycle_number=st.integers(1, cycles + 1),
                day=st.dates(date(2026, 12, 1), date(2027, 12, 1)),
                given_g=st.one_of(st.none(), st.integers(0, 900).map(lambda n: D(n) / 10)),
            ),
            max_size=8,
        )
    )
    return cycle_dates, draw(st.integers(1, 900).map(lambda n: D(n) / 10)), sessions


@CALENDAR_SETTINGS
@given(own_calendars(), calendar_days)
def test_grams_per_day_add_up_to_every_session_and_planned_day(
    own: tuple[list[list[date]], Decimal, list[SessionDay]], others: list[CalendarDay]
) -> None:
    cycle_dates, daily_g, sessions = own
    days = own_days(cycle_dates, daily_g, sessions)
    expected_g = sum((o.dose_g for o in others), D(0))
    for number, planned in enumerate(cycle_dates, start=1):
        booked = [s for s in sessions if s.cycle_number == number]
        if booked:
            expected_g += sum((daily_g if s.given_g is None else s.given_g for s in booked), D(0))
        else:
            expected_g += daily_g * len(planned)
    assert sum((g for g, _ in grams_by_day(days, others).values()), D(0)) == expected_g
    assert (
        sum((d.dose_g or D(0) for d in days), D(0)) + sum((o.dose_g for o in others), D(0))
        == expected_g
    )


@CALENDAR_SETTINGS
@given(own_calendars(), calendar_days)
def test_heaviest_window_and_day_agree_with_brute_force(
    own: tuple[list[list[date]], Decimal, list[SessionDay]], others: list[CalendarDay]
) -> None:
    cycle_dates, daily_g, sessions = own
    days = own_days(cycle_dates, daily_g, sessions)
    assume(days)
    by_day = grams_by_day(days, others)
    own_set = {d.day for d in days}
    low = min(by_day) - timedelta(days=27)
    best_g = max(
        sum(
            (g for day, (g, _) in by_day.items() if start <= day <= start + timedelta(days=27)),
            D(0),
        )
        for start in (low + timedelta(days=n) for n in range((max(by_day) - low).days + 1))
        if any(start <= day <= start + timedelta(days=27) for day in own_set)
    )
    window = heaviest_window(days, others)
    assert window is not None and window.dose_g == best_g
    assert (window.last_day - window.first_day).days == 27
    assert any(window.first_day <= day <= window.last_day for day in own_set)
    heaviest = heaviest_own_day(days, others)
    assert heaviest is not None
    assert heaviest.dose_g == max(by_day[day][0] for day in own_set)


def _stops(request: PlanRequest) -> set[str]:
    return {f.code for f in compute_plan(request).findings if f.severity == "stop"}


@CALENDAR_SETTINGS
@given(valid_requests(), calendar_days, calendar_days)
def test_adding_another_orders_days_never_removes_a_stop(
    request: PlanRequest, first: list[CalendarDay], more: list[CalendarDay]
) -> None:
    fewer = request.model_copy(update={"calendar": PatientCalendar(other_days=first)})
    added = request.model_copy(update={"calendar": PatientCalendar(other_days=first + more)})
    assert _stops(fewer) <= _stops(added)
    assert _stops(request) <= _stops(fewer)  # the course's own calendar is part of it


@CALENDAR_SETTINGS
@given(valid_requests(), st.booleans())
def test_an_empty_calendar_gives_the_findings_of_no_calendar(
    request: PlanRequest, booked: bool
) -> None:
    plan = compute_plan(request)
    sessions = [
        SessionDay(cycle_number=cycle.number, day=day)
        for cycle in plan.cycles or []
        for day in cycle.days
        if booked
    ]
    calendar = PatientCalendar(own_sessions=sessions)
    on_calendar = compute_plan(request.model_copy(update={"calendar": calendar}))
    assert [(f.code, f.severity) for f in on_calendar.findings] == [
        (f.code, f.severity) for f in plan.findings
    ]
    assert on_calendar.model_dump(exclude={"findings"}) == plan.model_dump(exclude={"findings"})


def test_own_days_use_sessions_per_cycle() -> None:
    planned = [[JAN_4, JAN_4 + timedelta(days=1)], [date(2027, 2, 1), date(2027, 2, 2)]]
    sessions = [SessionDay(cycle_number=2, day=date(2027, 2, 3), given_g=D(5))]
    assert own_days(planned, D(10), sessions) == [
        OwnDay(JAN_4, D(10)),
        OwnDay(JAN_4 + timedelta(days=1), D(10)),
        OwnDay(date(2027, 2, 3), D(5)),
    ]


def test_calendar_days_at_the_ends_of_the_calendar_do_not_crash() -> None:
    request = with_calendar(
        [other(date.max, 500), other(date.min, 500)],
        [SessionDay(cycle_number=1, day=date.max, given_g=D(100))],
        start_date=date(9999, 12, 20),
    )
    found = findings(request)
    assert "to 9999-12-31 the patient's IVIg calendar holds" in found["MAX_DOSE_PER_28_DAYS"]
    assert "MAX_DAILY_DOSE" in found  # 100 + 500 g on 31 Dec 9999
