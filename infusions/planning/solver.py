"""The chair planner's model (docs/planner.md): pure Python and OR-Tools CP-SAT, no Django.

Times are whole minutes from the local midnight of the session's day (``start_min``), days are
counted from the first day of the plan (``day_index``). A session holds its chair for
``duration_min`` (premedication lead + infusion + observation, docs/clinical-rules.md 3.5); it is
"in titration" from ``titration_offset_min`` after its start (the infusion's start) for
``titration_min`` (until the plan's top rate is reached).

Hard constraints (a placed, movable session): one chair, within one of that chair's opening
windows (ending at most ``overtime_allowed_min`` after it closes), on the start grid, within the
patient's window; a chair holds one session at a time; a patient is in one chair at a time; at
every minute the patients in chairs are at most ``patients_per_nurse`` times the nurses on duty
and those in titration at most ``titrations_per_nurse`` times them (where fixed sessions alone
already exceed that, nothing is added). Fixed sessions are never moved.

Objective, lexicographic through weights: sessions placed, then overtime minutes (with the
policy's overrun margin: past closing were the session to run that much longer), then the peak
of titrations at once (titration starts spread), then preferences missed, then continuity (a
cycle's days in the same chair at the same time).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise

from ortools.sat.python import cp_model

MINUTES_PER_DAY = 1440
# docs/planner.md: a day solves within 5 s, a week within 30 s, building the model included.
DAY_TIME_LIMIT_S = 4.0
WEEK_TIME_LIMIT_S = 25.0


@dataclass(frozen=True)
class ChairWindow:
    """A chair open on a day of the plan, minutes from that day's midnight."""

    day_index: int
    opens_min: int
    closes_min: int


@dataclass(frozen=True)
class ChairToUse:
    chair_id: int
    windows: tuple[ChairWindow, ...]


@dataclass(frozen=True)
class NurseShift:
    """One nurse on shift on a day of the plan; off the ward during ``breaks`` (start, end)."""

    nurse_id: int
    day_index: int
    start_min: int
    end_min: int
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class PlannerPolicy:
    """The unit's policy (docs/planner.md)."""

    patients_per_nurse: int = 4
    titrations_per_nurse: int = 2
    overtime_allowed_min: int = 0
    # Room for sessions that run long (reactions, slower rates): a session counts as running
    # over when it would end past closing at this much more than its planned length, and its
    # titration holds a nurse's titration place this much longer.
    overrun_margin_pct: int = 0
    grid_min: int = 15


@dataclass(frozen=True)
class SessionToPlace:
    """A session of the plan. With ``fixed_chair_id`` and ``fixed_start_min`` it is fixed (in
    progress, confirmed or started): it stays where it is and only loads the nurses and its
    chair. ``current_*`` is where a movable session is now (to say what moved). The patient's
    window (``earliest_start_min``, ``latest_end_min``) is hard; the preferred start range and
    chair are kept when possible. Sessions sharing a ``continuity_group`` (a cycle's days)
    prefer the same chair and time on consecutive days."""

    session_id: int
    patient_id: int
    day_index: int
    duration_min: int
    titration_offset_min: int = 0
    titration_min: int = 0
    fixed_chair_id: int | None = None
    fixed_start_min: int | None = None
    current_chair_id: int | None = None
    current_start_min: int | None = None
    earliest_start_min: int | None = None
    latest_end_min: int | None = None
    preferred_start_from_min: int | None = None
    preferred_start_to_min: int | None = None
    preferred_chair_id: int | None = None
    continuity_group: str | None = None

    @property
    def fixed(self) -> bool:
        return self.fixed_chair_id is not None and self.fixed_start_min is not None

    def titration_span(self, start_min: int) -> tuple[int, int]:
        begin = start_min + self.titration_offset_min
        return begin, begin + self.titration_min


@dataclass(frozen=True)
class PlanProblem:
    days: int
    sessions: tuple[SessionToPlace, ...]
    chairs: tuple[ChairToUse, ...]
    shifts: tuple[NurseShift, ...]
    policy: PlannerPolicy = field(default_factory=PlannerPolicy)
    time_limit_s: float | None = None


@dataclass(frozen=True)
class Placement:
    session_id: int
    chair_id: int
    day_index: int
    start_min: int
    end_min: int
    fixed: bool = False
    moved: bool = False


@dataclass(frozen=True)
class Unplaced:
    session_id: int
    reason: str


@dataclass(frozen=True)
class Measures:
    """What a schedule does, for the current schedule and the proposal alike (docs/planner.md)."""

    sessions_placed: int
    sessions_unplaced: int
    overtime_min: int
    chair_utilisation_pct: float
    peak_patients_per_nurse: float
    peak_titrations_per_nurse: float
    minutes_over_ratio: int
    preference_misses: int
    continuity_breaks: int


@dataclass(frozen=True)
class PlanResult:
    status: str
    objective: float | None
    best_bound: float | None
    solve_time_s: float
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]
    measures: Measures


# --- the load of nurses, minute by minute ---------------------------------------------------


def _counted(spans: Iterable[tuple[int, int]]) -> list[int]:
    """How many of ``spans`` (start, end: minutes, end excluded) hold each minute of the day:
    +1 where each starts and -1 where it ends, summed once over the day (the cost grows with
    the spans, not with their minutes: a busy day's load was a Python step per minute held)."""
    change = [0] * (MINUTES_PER_DAY + 1)
    for start, end in spans:
        start, end = max(start, 0), min(end, MINUTES_PER_DAY)
        if start < end:
            change[start] += 1
            change[end] -= 1
    return list(accumulate(change[:MINUTES_PER_DAY]))


def _on_duty_spans(shift: NurseShift) -> list[tuple[int, int]]:
    """The stretches of ``shift`` off its breaks."""
    spans, at = [], shift.start_min
    for start, end in _merged([(s, e) for s, e in shift.breaks if s < e]):
        if start > at:
            spans.append((at, min(start, shift.end_min)))
        at = max(at, end)
    spans.append((at, shift.end_min))
    return [(start, end) for start, end in spans if start < end]


def nurses_on_duty(shifts: Iterable[NurseShift], day_index: int) -> list[int]:
    """Nurses on the ward at each minute of the day (on shift, not on a break)."""
    return _counted(
        span for shift in shifts if shift.day_index == day_index for span in _on_duty_spans(shift)
    )


def loads(
    problem: PlanProblem, placements: Iterable[Placement], day_index: int
) -> tuple[list[int], list[int]]:
    """Patients in chairs and patients in titration at each minute of the day."""
    by_id = {session.session_id: session for session in problem.sessions}
    on_day = [placement for placement in placements if placement.day_index == day_index]
    return (
        _counted((placement.start_min, placement.end_min) for placement in on_day),
        _counted(
            by_id[placement.session_id].titration_span(placement.start_min) for placement in on_day
        ),
    )


def fixed_placements(problem: PlanProblem) -> list[Placement]:
    return [
        Placement(
            session.session_id,
            session.fixed_chair_id,
            session.day_index,
            session.fixed_start_min,
            session.fixed_start_min + session.duration_min,
            fixed=True,
        )
        for session in problem.sessions
        if session.fixed_chair_id is not None and session.fixed_start_min is not None
    ]


def capacities(problem: PlanProblem, day_index: int) -> tuple[list[int], list[int]]:
    """The most patients, and patients in titration, allowed at each minute: the policy's ratio
    times the nurses on duty, or what fixed sessions alone already hold where that is more
    (a plan never adds to a broken ratio, and cannot undo a fixed one)."""
    nurses = nurses_on_duty(problem.shifts, day_index)
    fixed_patients, fixed_titrations = loads(problem, fixed_placements(problem), day_index)
    policy = problem.policy
    return (
        [
            max(policy.patients_per_nurse * n, f)
            for n, f in zip(nurses, fixed_patients, strict=True)
        ],
        [
            max(policy.titrations_per_nurse * n, f)
            for n, f in zip(nurses, fixed_titrations, strict=True)
        ],
    )


# --- measures and the checker ---------------------------------------------------------------


def _peak_per_nurse(load: Sequence[int], nurses: Sequence[int]) -> float:
    return round(max((p / n for p, n in zip(load, nurses, strict=True) if n), default=0.0), 2)


def _prefers(session: SessionToPlace, placement: Placement) -> int:
    misses = 0
    low, high = session.preferred_start_from_min, session.preferred_start_to_min
    if low is not None and high is not None and not low <= placement.start_min <= high:
        misses += 1
    if session.preferred_chair_id is not None and placement.chair_id != session.preferred_chair_id:
        misses += 1
    return misses


def _continuity_pairs(
    sessions: Iterable[SessionToPlace],
) -> list[tuple[SessionToPlace, SessionToPlace]]:
    groups: dict[str, list[SessionToPlace]] = defaultdict(list)
    for session in sessions:
        if session.continuity_group is not None:
            groups[session.continuity_group].append(session)
    pairs = []
    for members in groups.values():
        members.sort(key=lambda s: s.day_index)
        for first, second in pairwise(members):
            if second.day_index == first.day_index + 1:
                pairs.append((first, second))
    return pairs


def _window_of(problem: PlanProblem, placement: Placement) -> ChairWindow | None:
    overtime = problem.policy.overtime_allowed_min
    for chair in problem.chairs:
        if chair.chair_id != placement.chair_id:
            continue
        for window in chair.windows:
            if (
                window.day_index == placement.day_index
                and window.opens_min <= placement.start_min
                and placement.end_min <= window.closes_min + overtime
            ):
                return window
    return None


def _overtime_min(problem: PlanProblem, placements: Sequence[Placement]) -> int:
    """Minutes past closing of the latest window each placement started in."""
    overtime = 0
    for placement in placements:
        closes = [
            window.closes_min
            for chair in problem.chairs
            if chair.chair_id == placement.chair_id
            for window in chair.windows
            if window.day_index == placement.day_index and window.opens_min <= placement.start_min
        ]
        if closes:
            overtime += max(0, placement.end_min - max(closes))
    return overtime


def _utilisation_pct(problem: PlanProblem, placements: Sequence[Placement]) -> float:
    open_min = sum(w.closes_min - w.opens_min for chair in problem.chairs for w in chair.windows)
    busy_min = sum(p.end_min - p.start_min for p in placements)
    return round(100 * busy_min / open_min, 1) if open_min else 0.0


def _nurse_loads(problem: PlanProblem, placements: Sequence[Placement]) -> tuple[float, float, int]:
    """The peak patients and titrations per nurse, and the minutes over the policy's ratio."""
    peak_patients = peak_titrations = 0.0
    over = 0
    policy = problem.policy
    for day in range(problem.days):
        nurses = nurses_on_duty(problem.shifts, day)
        patients, titrations = loads(problem, placements, day)
        peak_patients = max(peak_patients, _peak_per_nurse(patients, nurses))
        peak_titrations = max(peak_titrations, _peak_per_nurse(titrations, nurses))
        over += sum(
            1
            for p, t, n in zip(patients, titrations, nurses, strict=True)
            if p > policy.patients_per_nurse * n or t > policy.titrations_per_nurse * n
        )
    return peak_patients, peak_titrations, over


def _continuity_breaks(problem: PlanProblem, placements: Sequence[Placement]) -> int:
    where = {p.session_id: p for p in placements}
    breaks = 0
    for first, second in _continuity_pairs(problem.sessions):
        a, b = where.get(first.session_id), where.get(second.session_id)
        if a and b and (a.chair_id != b.chair_id or a.start_min != b.start_min):
            breaks += 1
    return breaks


def measure(problem: PlanProblem, placements: Sequence[Placement]) -> Measures:
    """The measures of a schedule (``placements``) of ``problem``'s sessions."""
    by_id = {session.session_id: session for session in problem.sessions}
    placed_ids = {p.session_id for p in placements}
    peak_patients, peak_titrations, over = _nurse_loads(problem, placements)
    return Measures(
        sessions_placed=len(placed_ids),
        sessions_unplaced=len(set(by_id) - placed_ids),
        overtime_min=_overtime_min(problem, placements),
        chair_utilisation_pct=_utilisation_pct(problem, placements),
        peak_patients_per_nurse=peak_patients,
        peak_titrations_per_nurse=peak_titrations,
        minutes_over_ratio=over,
        preference_misses=sum(_prefers(by_id[p.session_id], p) for p in placements),
        continuity_breaks=_continuity_breaks(problem, placements),
    )


def _fixed_errors(session: SessionToPlace, placement: Placement) -> list[str]:
    if (placement.chair_id, placement.start_min) != (
        session.fixed_chair_id,
        session.fixed_start_min,
    ):
        return [f"fixed session {session.session_id} was moved"]
    return []


def _movable_errors(
    problem: PlanProblem, session: SessionToPlace, placement: Placement
) -> list[str]:
    """A movable session's chair, grid and patient's window."""
    errors = []
    if _window_of(problem, placement) is None:
        errors.append(f"session {session.session_id} is outside its chair's opening hours")
    if placement.start_min % problem.policy.grid_min:
        errors.append(f"session {session.session_id} does not start on the grid")
    if session.earliest_start_min is not None and placement.start_min < (
        session.earliest_start_min
    ):
        errors.append(f"session {session.session_id} starts before the patient's window")
    if session.latest_end_min is not None and placement.end_min > session.latest_end_min:
        errors.append(f"session {session.session_id} ends after the patient's window")
    return errors


def _placement_errors(
    problem: PlanProblem, session: SessionToPlace, placement: Placement
) -> list[str]:
    """One placement of a known session: its length, its day, and where it may be."""
    errors = []
    if placement.end_min - placement.start_min != session.duration_min:
        errors.append(f"session {session.session_id} does not last its {session.duration_min}")
    if placement.day_index != session.day_index:
        errors.append(f"session {session.session_id} is moved to another day")
    if session.fixed:
        return errors + _fixed_errors(session, placement)
    return errors + _movable_errors(problem, session, placement)


def _each_placement_errors(
    problem: PlanProblem, result: PlanResult, by_id: dict[int, SessionToPlace]
) -> tuple[list[str], set[int]]:
    """Every placement on its own; and the sessions placed."""
    errors: list[str] = []
    seen: set[int] = set()
    for placement in result.placements:
        session = by_id.get(placement.session_id)
        if session is None:
            errors.append(f"session {placement.session_id} is not in the problem")
            continue
        if placement.session_id in seen:
            errors.append(f"session {placement.session_id} is placed twice")
        seen.add(placement.session_id)
        errors.extend(_placement_errors(problem, session, placement))
    return errors, seen


def _accounting_errors(problem: PlanProblem, result: PlanResult, seen: set[int]) -> list[str]:
    """Every fixed session placed; every movable one either placed or unplaced."""
    errors = []
    unplaced = {u.session_id for u in result.unplaced}
    for session in problem.sessions:
        if session.fixed and session.session_id not in seen:
            errors.append(f"fixed session {session.session_id} is missing")
        if not session.fixed and (session.session_id in seen) == (session.session_id in unplaced):
            errors.append(f"session {session.session_id} must be either placed or unplaced")
    return errors


def _overlap_errors(
    placements: Sequence[Placement], by_id: dict[int, SessionToPlace], key: str
) -> list[str]:
    """Sessions at once in one chair (``key`` "chair_id") or of one patient ("patient")."""
    errors = []
    groups: dict[tuple[int, int], list[Placement]] = defaultdict(list)
    for p in placements:
        owner = p.chair_id if key == "chair_id" else by_id[p.session_id].patient_id
        groups[(p.day_index, owner)].append(p)
    for (_, owner), members in groups.items():
        members.sort(key=lambda p: p.start_min)
        for first, second in pairwise(members):
            if second.start_min < first.end_min and not (first.fixed and second.fixed):
                what = "chair" if key == "chair_id" else "patient"
                errors.append(
                    f"{what} {owner} holds sessions {first.session_id} and "
                    f"{second.session_id} at once"
                )
    return errors


def _first_minute_over(load: Sequence[int], cap: Sequence[int]) -> int | None:
    for minute in range(MINUTES_PER_DAY):
        if load[minute] > cap[minute]:
            return minute
    return None


def _ratio_errors(problem: PlanProblem, placements: Sequence[Placement]) -> list[str]:
    """The first minute of each day with more patients (or titrations) than the nurses allow."""
    errors = []
    for day in range(problem.days):
        patients_cap, titrations_cap = capacities(problem, day)
        patients, titrations = loads(problem, placements, day)
        minute = _first_minute_over(patients, patients_cap)
        if minute is not None:
            errors.append(f"day {day} minute {minute}: more patients than the nurses allow")
        minute = _first_minute_over(titrations, titrations_cap)
        if minute is not None:
            errors.append(f"day {day} minute {minute}: more titrations than the nurses allow")
    return errors


def check(problem: PlanProblem, result: PlanResult) -> list[str]:
    """Every constraint of docs/planner.md checked on ``result`` independently of the solver;
    the violations in words (none: the plan keeps every rule). Used by the tests and the API."""
    by_id = {session.session_id: session for session in problem.sessions}
    errors, seen = _each_placement_errors(problem, result, by_id)
    errors += _accounting_errors(problem, result, seen)
    placements = [p for p in result.placements if p.session_id in by_id]
    for key in ("chair_id", "patient"):
        errors += _overlap_errors(placements, by_id, key)
    return errors + _ratio_errors(problem, placements)


# --- the model --------------------------------------------------------------------------------


def _runs(values: Sequence[int]) -> list[tuple[int, int, int]]:
    """(start, end, value) of the maximal runs of equal ``values``."""
    runs, start = [], 0
    for minute in range(1, len(values) + 1):
        if minute == len(values) or values[minute] != values[start]:
            runs.append((start, minute, values[start]))
            start = minute
    return runs


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _why_unplaced(problem: PlanProblem, session: SessionToPlace) -> str:
    """Why a session found no place, in words for the nurse in charge."""
    overtime = problem.policy.overtime_allowed_min
    windows = [
        w for chair in problem.chairs for w in chair.windows if w.day_index == session.day_index
    ]
    if not windows:
        return "No chair is open that day."
    if all(w.closes_min + overtime - w.opens_min < session.duration_min for w in windows):
        return f"No chair is open for the session's {session.duration_min} minutes that day."
    earliest = session.earliest_start_min or 0
    latest = session.latest_end_min or MINUTES_PER_DAY
    if all(
        min(w.closes_min + overtime, latest) - max(w.opens_min, earliest) < session.duration_min
        for w in windows
    ):
        return "No chair is open long enough within the patient's time window."
    nurses = nurses_on_duty(problem.shifts, session.day_index)
    if not any(
        all(nurses[m] for m in range(start, min(start + session.duration_min, MINUTES_PER_DAY)))
        for start in range(0, MINUTES_PER_DAY - session.duration_min + 1, problem.policy.grid_min)
    ):
        return "No nurse is on shift for the whole session that day."
    return (
        "Every chair and time that fits is taken, or would put more patients (or titrations) "
        "under the nurses on shift than the unit's ratio allows."
    )


@dataclass
class _Model:
    """The CP-SAT model of a plan while it is built, and the variables read back from it."""

    problem: PlanProblem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    placed: dict[int, cp_model.IntVar] = field(default_factory=dict)
    start: dict[int, cp_model.IntVar] = field(default_factory=dict)
    on_chair: dict[tuple[int, int], list[cp_model.IntVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    overtime_terms: list[cp_model.IntVar] = field(default_factory=list)
    per_chair_day: dict[tuple[int, int], list[cp_model.IntervalVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    per_patient_day: dict[tuple[int, int], list[cp_model.IntervalVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    day_patients: dict[int, tuple[list[cp_model.IntervalVar], list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: ([], []))
    )
    day_titrations: dict[int, tuple[list[cp_model.IntervalVar], list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: ([], []))
    )
    impossible: set[int] = field(default_factory=set)


def _with_margin(minutes: int, policy: PlannerPolicy) -> int:
    """The policy's overrun margin on ``minutes``, rounded up."""
    return -(-minutes * policy.overrun_margin_pct // 100)


def _add_fixed_spans(
    m: _Model, fixed: Sequence[Placement], by_id: dict[int, SessionToPlace]
) -> None:
    """Fixed sessions hold their chairs and patients. They may overlap one another (a completed
    session that ran late beside the next one booked): their spans are merged, so that the
    model stays feasible."""
    spans: dict[tuple[str, int, int], list[tuple[int, int]]] = defaultdict(list)
    for p in fixed:
        spans[("chair", p.day_index, p.chair_id)].append((p.start_min, p.end_min))
        spans[("patient", p.day_index, by_id[p.session_id].patient_id)].append(
            (p.start_min, p.end_min)
        )
    for (kind, day, owner), members in spans.items():
        for span_start, span_end in _merged(members):
            interval = m.model.new_fixed_size_interval_var(span_start, span_end - span_start, "")
            target = m.per_chair_day if kind == "chair" else m.per_patient_day
            target[(day, owner)].append(interval)
    # Fixed load is part of the capacities (``capacities``): not added again.


def _options(
    problem: PlanProblem, session: SessionToPlace, low: int, high: int
) -> list[tuple[int, ChairWindow]]:
    """The chairs' windows on the session's day long enough for it within [low, high + length]."""
    overtime = problem.policy.overtime_allowed_min
    return [
        (chair.chair_id, window)
        for chair in problem.chairs
        for window in chair.windows
        if window.day_index == session.day_index
        and min(window.closes_min + overtime, high + session.duration_min)
        - max(window.opens_min, low)
        >= session.duration_min
    ]


def _add_chair_choice(
    m: _Model,
    session: SessionToPlace,
    options: list[tuple[int, ChairWindow]],
    s: cp_model.IntVar,
    is_placed: cp_model.IntVar,
) -> None:
    """One chair's window among ``options`` when placed, none otherwise; its overtime."""
    policy, sid = m.problem.policy, session.session_id
    end = s + session.duration_min
    lits = []
    margin = _with_margin(session.duration_min, policy)
    overtime = m.model.new_int_var(0, policy.overtime_allowed_min + margin, f"ot{sid}")
    for chair_id, window in options:
        lit = m.model.new_bool_var("")
        lits.append(lit)
        m.on_chair[(sid, chair_id)].append(lit)
        m.model.add(s >= window.opens_min).only_enforce_if(lit)
        m.model.add(end <= window.closes_min + policy.overtime_allowed_min).only_enforce_if(lit)
        m.model.add(overtime >= end + margin - window.closes_min).only_enforce_if(lit)
        m.per_chair_day[(session.day_index, chair_id)].append(
            m.model.new_optional_fixed_size_interval_var(s, session.duration_min, lit, "")
        )
    m.model.add(sum(lits) == is_placed)
    m.overtime_terms.append(overtime)


def _add_loads(
    m: _Model, session: SessionToPlace, s: cp_model.IntVar, is_placed: cp_model.IntVar
) -> None:
    """The placed session holds its patient, a place under the nurses, and in titration a
    titration place."""
    whole = m.model.new_optional_fixed_size_interval_var(s, session.duration_min, is_placed, "")
    m.per_patient_day[(session.day_index, session.patient_id)].append(whole)
    m.day_patients[session.day_index][0].append(whole)
    m.day_patients[session.day_index][1].append(1)
    if session.titration_min > 0:
        # The overrun margin keeps room for a titration that runs long too.
        titration_min = session.titration_min + _with_margin(
            session.titration_min, m.problem.policy
        )
        titration = m.model.new_optional_fixed_size_interval_var(
            s + session.titration_offset_min, titration_min, is_placed, ""
        )
        m.day_titrations[session.day_index][0].append(titration)
        m.day_titrations[session.day_index][1].append(1)


def _add_session(m: _Model, session: SessionToPlace) -> None:
    """A movable session: its start on the grid within the patient's window, its chair."""
    sid, grid = session.session_id, m.problem.policy.grid_min
    low = max(session.earliest_start_min or 0, 0)
    high = min(session.latest_end_min or MINUTES_PER_DAY, MINUTES_PER_DAY)
    high -= session.duration_min
    options = _options(m.problem, session, low, high)
    first_k, last_k = -(-low // grid), high // grid
    if not options or first_k > last_k:
        m.impossible.add(sid)
        return
    k = m.model.new_int_var(first_k, last_k, f"k{sid}")
    s = m.model.new_int_var(first_k * grid, last_k * grid, f"s{sid}")
    m.model.add(s == grid * k)
    is_placed = m.model.new_bool_var(f"placed{sid}")
    m.placed[sid], m.start[sid] = is_placed, s
    _add_chair_choice(m, session, options, s, is_placed)
    _add_loads(m, session, s, is_placed)


def _add_room(
    m: _Model,
    intervals: list[cp_model.IntervalVar],
    demands: list[int],
    cap: list[int],
    fixed_load: list[int],
) -> None:
    """At most ``cap`` at each minute, the fixed sessions' load included."""
    # Free room at each minute: capacity less the fixed sessions' load; a fixed
    # interval takes what is not free from the most free there is all day.
    room = [c - f for c, f in zip(cap, fixed_load, strict=True)]
    most = max(room)
    blocked, blocked_demands = [], []
    for run_start, run_end, value in _runs(room):
        if value < most:
            blocked.append(m.model.new_fixed_size_interval_var(run_start, run_end - run_start, ""))
            blocked_demands.append(most - value)
    m.model.add_cumulative([*intervals, *blocked], [*demands, *blocked_demands], most)


def _add_ratios(m: _Model, fixed: Sequence[Placement]) -> list[cp_model.IntVar]:
    """The nurses' ratios on each day; the peaks of titrations at once, to be kept low."""
    titration_peaks = []
    for day in range(m.problem.days):
        patients_cap, titrations_cap = capacities(m.problem, day)
        fixed_patients, fixed_titrations = loads(m.problem, fixed, day)
        for (intervals, demands), cap, fixed_load in (
            (m.day_patients[day], patients_cap, fixed_patients),
            (m.day_titrations[day], titrations_cap, fixed_titrations),
        ):
            if intervals:
                _add_room(m, intervals, demands, cap, fixed_load)
        intervals, demands = m.day_titrations[day]
        if intervals:
            peak = m.model.new_int_var(0, len(intervals), f"peak{day}")
            m.model.add_cumulative(intervals, demands, peak)
            titration_peaks.append(peak)
    return titration_peaks


def _preference_misses(m: _Model, movable: Sequence[SessionToPlace]) -> list[cp_model.LinearExpr]:
    """A term per preference (start range, chair) a placed session does not keep."""
    misses: list[cp_model.LinearExpr] = []
    for session in movable:
        sid = session.session_id
        if sid not in m.placed:
            continue
        if (
            session.preferred_start_from_min is not None
            and session.preferred_start_to_min is not None
        ):
            kept = m.model.new_bool_var("")
            m.model.add(m.start[sid] >= session.preferred_start_from_min).only_enforce_if(kept)
            m.model.add(m.start[sid] <= session.preferred_start_to_min).only_enforce_if(kept)
            misses.append(1 - kept)
        if session.preferred_chair_id is not None:
            on_preferred = m.on_chair.get((sid, session.preferred_chair_id), [])
            miss = m.model.new_bool_var("")
            m.model.add(miss >= m.placed[sid] - sum(on_preferred))
            misses.append(miss)
    return misses


def _chair_of(m: _Model, session: SessionToPlace, chair_id: int) -> cp_model.LinearExpr:
    if session.fixed:
        return cp_model.LinearExpr.constant(int(session.fixed_chair_id == chair_id))
    return cp_model.LinearExpr.sum(m.on_chair.get((session.session_id, chair_id), []))


def _start_of(m: _Model, session: SessionToPlace) -> cp_model.LinearExprT | None:
    if session.fixed:
        return session.fixed_start_min
    return m.start.get(session.session_id)


def _continuity_terms(m: _Model, chair_ids: Sequence[int]) -> list[cp_model.LinearExpr]:
    """A term per cycle's consecutive days at another time, and per those in another chair."""
    breaks: list[cp_model.LinearExpr] = []
    for first, second in _continuity_pairs(m.problem.sessions):
        if first.fixed and second.fixed:
            continue
        a, b = _start_of(m, first), _start_of(m, second)
        if a is None or b is None:
            continue
        same_time = m.model.new_bool_var("")
        m.model.add(a == b).only_enforce_if(same_time)
        breaks.append(1 - same_time)
        other_chair = m.model.new_bool_var("")
        for chair_id in chair_ids:
            m.model.add(
                other_chair >= _chair_of(m, first, chair_id) - _chair_of(m, second, chair_id)
            )
        breaks.append(other_chair)
    return breaks


def _minimize(
    m: _Model,
    movable: Sequence[SessionToPlace],
    titration_peaks: list[cp_model.IntVar],
    misses: list[cp_model.LinearExpr],
    breaks: list[cp_model.LinearExpr],
) -> None:
    """Lexicographic through weights: each level outweighs everything below it."""
    policy = m.problem.policy
    w_continuity = 1
    w_preference = w_continuity * (len(breaks) + 1)
    w_titration = w_preference * (len(misses) + 1)
    titrations = sum(len(m.day_titrations[d][0]) for d in range(m.problem.days))
    w_overtime = w_titration * (titrations + 1)
    most_overtime = sum(
        policy.overtime_allowed_min + _with_margin(s.duration_min, policy) for s in movable
    )
    w_placed = w_overtime * (most_overtime + 1)
    m.model.minimize(
        w_placed * sum(1 - lit for lit in m.placed.values())
        + w_overtime * sum(m.overtime_terms)
        + w_titration * sum(titration_peaks)
        + w_preference * sum(misses)
        + w_continuity * sum(breaks)
    )


def _run(m: _Model) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    solver = cp_model.CpSolver()
    limit = m.problem.time_limit_s
    if limit is None:
        limit = DAY_TIME_LIMIT_S if m.problem.days <= 1 else WEEK_TIME_LIMIT_S
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    return solver, solver.solve(m.model)


def _placement_of(
    m: _Model, solver: cp_model.CpSolver, session: SessionToPlace, chair_ids: Sequence[int]
) -> Placement:
    sid = session.session_id
    chair_id = next(
        c for c in chair_ids if any(solver.value(lit) for lit in m.on_chair.get((sid, c), []))
    )
    begin = solver.value(m.start[sid])
    return Placement(
        sid,
        chair_id,
        session.day_index,
        begin,
        begin + session.duration_min,
        moved=(chair_id, begin) != (session.current_chair_id, session.current_start_min),
    )


def _read_back(
    m: _Model,
    solver: cp_model.CpSolver,
    solved: bool,
    movable: Sequence[SessionToPlace],
    chair_ids: Sequence[int],
) -> tuple[list[Placement], list[Unplaced]]:
    """The movable sessions placed, and those not (the impossible ones first)."""
    placements = []
    unplaced = [
        Unplaced(sid, _why_unplaced(m.problem, s))
        for s in movable
        if (sid := s.session_id) in m.impossible
    ]
    for session in movable:
        sid = session.session_id
        if sid in m.impossible:
            continue
        if not solved or not solver.value(m.placed[sid]):
            unplaced.append(Unplaced(sid, _why_unplaced(m.problem, session)))
            continue
        placements.append(_placement_of(m, solver, session, chair_ids))
    return placements, unplaced


def solve(problem: PlanProblem) -> PlanResult:
    """Place ``problem``'s movable sessions (docs/planner.md); fixed sessions stay."""
    began = time.monotonic()
    m = _Model(problem)
    movable = [s for s in problem.sessions if not s.fixed]
    fixed = fixed_placements(problem)
    chair_ids = sorted({chair.chair_id for chair in problem.chairs})
    by_id = {session.session_id: session for session in problem.sessions}
    _add_fixed_spans(m, fixed, by_id)
    for session in movable:
        _add_session(m, session)
    for intervals in (*m.per_chair_day.values(), *m.per_patient_day.values()):
        if len(intervals) > 1:
            m.model.add_no_overlap(intervals)
    titration_peaks = _add_ratios(m, fixed)
    misses = _preference_misses(m, movable)
    breaks = _continuity_terms(m, chair_ids)
    _minimize(m, movable, titration_peaks, misses, breaks)
    solver, code = _run(m)
    solved = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    moved, unplaced = _read_back(m, solver, solved, movable, chair_ids)
    placements = [*fixed, *moved]
    return PlanResult(
        status=solver.status_name(code),
        objective=solver.objective_value if solved else None,
        best_bound=solver.best_objective_bound if solved else None,
        solve_time_s=round(time.monotonic() - began, 3),
        placements=tuple(placements),
        unplaced=tuple(unplaced),
        measures=measure(problem, placements),
    )
