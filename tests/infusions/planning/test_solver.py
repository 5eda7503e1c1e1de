"""The chair planner's model (docs/planner.md): each rule, and every constraint of any answer
checked independently (``check``) on generated days."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infusions.planning.solver import (
    ChairToUse,
    ChairWindow,
    NurseShift,
    PlannerPolicy,
    PlanProblem,
    SessionToPlace,
    check,
    measure,
    solve,
)

OPEN, CLOSE = 7 * 60, 19 * 60


def chairs(n: int, opens: int = OPEN, closes: int = CLOSE, days: int = 1) -> tuple[ChairToUse, ...]:
    return tuple(
        ChairToUse(c, tuple(ChairWindow(d, opens, closes) for d in range(days)))
        for c in range(1, n + 1)
    )


def nurses(n: int, days: int = 1, start: int = OPEN, end: int = CLOSE) -> tuple[NurseShift, ...]:
    return tuple(NurseShift(i, d, start, end) for i in range(1, n + 1) for d in range(days))


def session(sid: int, minutes: int = 240, **kwargs: object) -> SessionToPlace:
    kwargs.setdefault("titration_offset_min", 30)
    kwargs.setdefault("titration_min", 60)
    return SessionToPlace(sid, sid, kwargs.pop("day_index", 0), minutes, **kwargs)  # type: ignore[arg-type]


def problem(sessions, chair_count=4, nurse_count=1, **kwargs) -> PlanProblem:
    days = kwargs.pop("days", 1)
    return PlanProblem(
        days,
        tuple(sessions),
        kwargs.pop("chairs", chairs(chair_count, days=days)),
        kwargs.pop("shifts", nurses(nurse_count, days)),
        kwargs.pop("policy", PlannerPolicy()),
        time_limit_s=2,
    )


def test_every_session_placed_when_room():
    p = problem([session(i) for i in range(1, 5)], chair_count=4, nurse_count=1)
    result = solve(p)
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert not result.unplaced and check(p, result) == []


def test_no_more_titrations_at_once_than_the_ratio():
    # Four sessions under one nurse: at most two in titration at once (default policy).
    p = problem([session(i) for i in range(1, 5)], chair_count=4, nurse_count=1)
    result = solve(p)
    assert result.measures.peak_titrations_per_nurse <= 2
    starts = sorted(pl.start_min for pl in result.placements)
    assert starts[2] >= starts[0] + 60  # the third titration waits for the first to end


def test_no_more_patients_than_the_ratio_allows():
    p = problem([session(i, 600) for i in range(1, 7)], chair_count=6, nurse_count=1)
    result = solve(p)
    assert len(result.placements) == 4  # 12 hours, 10-hour sessions: only 4 patients at once
    assert result.measures.minutes_over_ratio == 0
    assert all("patients" in u.reason or "ratio" in u.reason for u in result.unplaced)


def test_fixed_sessions_never_move():
    fixed = session(1, fixed_chair_id=1, fixed_start_min=OPEN, current_chair_id=1)
    p = problem([fixed, session(2)], chair_count=1)
    result = solve(p)
    where = {pl.session_id: pl for pl in result.placements}
    assert (where[1].chair_id, where[1].start_min) == (1, OPEN)
    assert where[2].start_min >= OPEN + 240
    assert check(p, result) == []


def test_chair_opening_hours_and_reason():
    p = problem([session(1, 800)], chair_count=2)
    result = solve(p)
    assert not result.placements
    assert result.unplaced[0].reason.startswith("No chair is open for the session's 800 minutes")


def test_no_nurse_on_shift_is_a_reason():
    p = problem([session(1)], shifts=())
    result = solve(p)
    assert result.unplaced[0].reason == "No nurse is on shift for the whole session that day."


def test_nurse_breaks_lower_the_capacity():
    shifts = (NurseShift(1, 0, OPEN, CLOSE, breaks=((OPEN, OPEN + 60),)),)
    p = problem([session(1)], chair_count=1, shifts=shifts)
    result = solve(p)
    assert result.placements[0].start_min >= OPEN + 60


def test_patient_window_is_hard_and_preference_kept():
    p = problem(
        [
            session(1, earliest_start_min=9 * 60, latest_end_min=15 * 60),
            session(2, preferred_start_from_min=12 * 60, preferred_start_to_min=12 * 60),
        ]
    )
    result = solve(p)
    where = {pl.session_id: pl for pl in result.placements}
    assert where[1].start_min >= 9 * 60 and where[1].end_min <= 15 * 60
    assert where[2].start_min == 12 * 60
    assert result.measures.preference_misses == 0


def test_overtime_only_to_place_a_session():
    policy = PlannerPolicy(overtime_allowed_min=60)
    p = problem(
        [session(1, 600), session(2, 180)],
        chair_count=1,
        policy=policy,
        nurse_count=1,
        shifts=nurses(1, end=CLOSE + 60),
    )
    result = solve(p)
    assert len(result.placements) == 2
    assert result.measures.overtime_min == 60
    assert check(p, result) == []


def test_cycle_days_keep_chair_and_time():
    p = problem(
        [
            session(
                1, continuity_group="c", day_index=0, fixed_chair_id=3, fixed_start_min=10 * 60
            ),
            SessionToPlace(2, 1, 1, 240, 30, 60, continuity_group="c"),
        ],
        days=2,
    )
    result = solve(p)
    where = {pl.session_id: pl for pl in result.placements}
    assert (where[2].chair_id, where[2].start_min) == (3, 10 * 60)
    assert result.measures.continuity_breaks == 0


def test_checker_finds_a_broken_plan():
    p = problem([session(1), session(2)], chair_count=1)
    result = solve(p)
    broken = type(result)(
        result.status,
        None,
        None,
        0,
        tuple(type(pl)(pl.session_id, 1, 0, OPEN, OPEN + 240) for pl in result.placements),
        (),
        result.measures,
    )
    assert any("at once" in error for error in check(p, broken))


def test_measures_count_minutes_over_the_ratio():
    from infusions.planning.solver import Placement

    p = problem([session(i) for i in range(1, 4)], chair_count=3)
    placements = [Placement(i, i, 0, OPEN, OPEN + 240) for i in range(1, 4)]
    assert measure(p, placements).minutes_over_ratio == 60  # three titrations for one nurse


day_sessions = st.lists(
    st.tuples(
        st.sampled_from([120, 180, 240, 300, 360]),
        st.sampled_from([0, 30, 60, 90]),
        st.booleans(),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day_sessions,
    st.integers(1, 3),
    st.integers(0, 3),
    st.integers(2, 4),
    st.integers(1, 2),
)
def test_any_day_keeps_every_constraint(rows, nurse_count, chair_count_extra, ratio, titr):
    sessions = []
    for sid, (minutes, titration, fixed, chair) in enumerate(rows, 1):
        extra = (
            {"fixed_chair_id": chair + 1, "fixed_start_min": OPEN + 60 * sid % 360}
            if fixed and sid % 3 == 0
            else {}
        )
        sessions.append(session(sid, minutes, titration_min=titration, **extra))
    p = problem(
        sessions,
        chair_count=4 + chair_count_extra,
        nurse_count=nurse_count,
        policy=PlannerPolicy(patients_per_nurse=ratio, titrations_per_nurse=titr),
    )
    p = PlanProblem(p.days, p.sessions, p.chairs, p.shifts, p.policy, time_limit_s=0.5)
    result = solve(p)
    assert check(p, result) == []
    assert result.measures.sessions_placed + len(result.unplaced) == len(sessions)


def test_overrun_margin_keeps_long_sessions_from_closing_time():
    # Two chairs; one session would fit to closing, but with a 25 % margin it ends earlier.
    policy = PlannerPolicy(overrun_margin_pct=25)
    p = problem(
        [session(1, 400, preferred_start_from_min=CLOSE - 400, preferred_start_to_min=CLOSE - 400)],
        chair_count=1,
        policy=policy,
    )
    result = solve(p)
    assert result.placements[0].end_min <= CLOSE - 100  # overtime (with margin) outranks preference
    assert check(p, result) == []


def test_overlapping_fixed_sessions_leave_the_model_feasible():
    late = session(1, 300, fixed_chair_id=1, fixed_start_min=OPEN)
    next_one = session(2, 240, fixed_chair_id=1, fixed_start_min=OPEN + 240)
    p = problem([late, next_one, session(3)], chair_count=2, nurse_count=2)
    result = solve(p)
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert {pl.session_id for pl in result.placements} == {1, 2, 3}
    assert check(p, result) == []


@st.composite
def weeks(draw):
    """Several days: chairs with different hours, nurses with breaks, cycles over consecutive
    days, fixed sessions, patient windows and preferences, overtime allowed or not."""
    days = draw(st.integers(1, 3))
    chairs_ = tuple(
        ChairToUse(
            c,
            tuple(
                ChairWindow(
                    d,
                    draw(st.sampled_from([420, 480, 540])),
                    draw(st.sampled_from([960, 1080, 1140])),
                )
                for d in range(days)
                if draw(st.booleans()) or c == 1
            ),
        )
        for c in range(1, draw(st.integers(2, 5)) + 1)
    )
    shifts = []
    for d in range(days):
        for n in range(1, draw(st.integers(0, 3)) + 1):
            start = draw(st.sampled_from([420, 450, 540]))
            end = draw(st.sampled_from([900, 1020, 1140]))
            pause = draw(st.sampled_from([None, 720, 750]))
            shifts.append(NurseShift(n, d, start, end, ((pause, pause + 30),) if pause else ()))
    sessions = []
    sid = 0
    for patient in range(1, draw(st.integers(1, 10)) + 1):
        first = draw(st.integers(0, days - 1))
        span = draw(st.integers(1, days - first))
        minutes = draw(st.sampled_from([120, 210, 300, 420]))
        window = draw(st.sampled_from([None, (540, 1020), (420, 780)]))
        prefer = draw(st.sampled_from([None, (480, 600), (720, 840)]))
        for d in range(first, first + span):
            sid += 1
            fixed = draw(st.integers(0, 5)) == 0
            sessions.append(
                SessionToPlace(
                    sid,
                    patient,
                    d,
                    minutes,
                    30,
                    draw(st.sampled_from([0, 45, 90])),
                    fixed_chair_id=draw(st.integers(1, len(chairs_))) if fixed else None,
                    fixed_start_min=draw(st.sampled_from([420, 600, 780])) if fixed else None,
                    earliest_start_min=window[0] if window else None,
                    latest_end_min=window[1] if window else None,
                    preferred_start_from_min=prefer[0] if prefer else None,
                    preferred_start_to_min=prefer[1] if prefer else None,
                    preferred_chair_id=draw(st.sampled_from([None, 1, 2])),
                    continuity_group=f"c{patient}",
                )
            )
    policy = PlannerPolicy(
        patients_per_nurse=draw(st.integers(1, 4)),
        titrations_per_nurse=1,
        overtime_allowed_min=draw(st.sampled_from([0, 30, 60])),
        overrun_margin_pct=draw(st.sampled_from([0, 25])),
    )
    return PlanProblem(days, tuple(sessions), chairs_, tuple(shifts), policy, time_limit_s=0.5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks())
def test_any_days_keep_every_constraint(p):
    result = solve(p)
    assert check(p, result) == []
    placed = {pl.session_id for pl in result.placements}
    assert placed.isdisjoint(u.session_id for u in result.unplaced)
    assert all(u.reason for u in result.unplaced)
    assert result.measures == measure(p, list(result.placements))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks(), st.integers(-240, 240))
def test_the_checker_catches_a_moved_movable_session(p, shift_min):
    """Any movable session pushed off its place so that it overlaps another in its chair, or
    off the grid, is caught."""
    from dataclasses import replace

    result = solve(p)
    movable = [pl for pl in result.placements if not pl.fixed]
    if not movable or shift_min % 15 == 0:
        return
    victim = movable[0]
    broken = replace(
        result,
        placements=tuple(
            replace(pl, start_min=pl.start_min + shift_min, end_min=pl.end_min + shift_min)
            if pl is victim
            else pl
            for pl in result.placements
        ),
    )
    assert any("grid" in error for error in check(p, broken))
