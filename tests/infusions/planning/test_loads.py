"""The nurses' load minute by minute (``nurses_on_duty``, ``loads``), counted from each span's
start and end, says at every minute what counting the minutes one by one says: on generated
days with sessions past midnight or before it, and shifts with breaks that overlap, reach past
the shift or lie outside it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from infusions.planning.solver import (
    MINUTES_PER_DAY,
    NurseShift,
    Placement,
    PlanProblem,
    SessionToPlace,
    loads,
    nurses_on_duty,
)

minutes = st.integers(min_value=-120, max_value=MINUTES_PER_DAY + 120)


def _by_minute(spans, minute: int) -> int:
    return sum(1 for start, end in spans if start <= minute < end)


def _nurses_minute_by_minute(shifts, day_index: int) -> list[int]:
    return [
        sum(
            1
            for shift in shifts
            if shift.day_index == day_index
            and shift.start_min <= minute < shift.end_min
            and not any(start <= minute < end for start, end in shift.breaks)
        )
        for minute in range(MINUTES_PER_DAY)
    ]


shifts = st.lists(
    st.builds(
        NurseShift,
        nurse_id=st.integers(1, 5),
        day_index=st.integers(0, 1),
        start_min=minutes,
        end_min=minutes,
        breaks=st.lists(st.tuples(minutes, minutes), max_size=3).map(tuple),
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(shifts)
def test_nurses_on_duty_counts_each_minute_on_shift_and_off_break(generated):
    for day in (0, 1):
        assert nurses_on_duty(generated, day) == _nurses_minute_by_minute(generated, day)


sessions = st.lists(
    st.tuples(
        minutes,  # start
        st.integers(0, 600),  # duration
        st.integers(-60, 300),  # titration offset
        st.integers(0, 300),  # titration minutes
        st.integers(0, 1),  # day
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(sessions)
def test_loads_count_patients_and_titrations_each_minute(generated):
    problem_sessions = []
    placements = []
    for sid, (start, duration, offset, titration, day) in enumerate(generated, start=1):
        problem_sessions.append(
            SessionToPlace(
                sid, sid, day, duration, titration_offset_min=offset, titration_min=titration
            )
        )
        placements.append(Placement(sid, 1, day, start, start + duration))
    problem = PlanProblem(days=2, sessions=tuple(problem_sessions), chairs=(), shifts=())
    by_id = {s.session_id: s for s in problem_sessions}
    for day in (0, 1):
        on_day = [p for p in placements if p.day_index == day]
        chairs = [(p.start_min, p.end_min) for p in on_day]
        titrations = [by_id[p.session_id].titration_span(p.start_min) for p in on_day]
        expected = (
            [_by_minute(chairs, minute) for minute in range(MINUTES_PER_DAY)],
            [_by_minute(titrations, minute) for minute in range(MINUTES_PER_DAY)],
        )
        assert loads(problem, placements, day) == expected
