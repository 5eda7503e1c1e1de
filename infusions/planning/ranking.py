"""Ranking a new cycle's candidate slots with the planner's model (docs/planner.md, "The booking
proposal"): every other session stays where it is and loads its chair and the nurses; a
candidate (a chair and a clock time, the same on each of the cycle's days) is scored by the
solver's levels in their order: the nurses' ratio kept (hard: a candidate that breaks it is
proposed only when no free slot keeps it), titration starts spread (the most patients in
titration at once while it titrates), the patient's preferences kept, continuity with their
earlier cycle (the same chair and time). Overtime is no level here: a candidate lies within its
chair's opening hours. Ties go to the earliest time, then the first chair by name, as first
fit. Days with no nurse on shift are not scored (the booking falls back to first fit when none
of the cycle's days has one)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from . import solver
from .problem import NO_TIMES, PatientTimes, PlanContext


@dataclass(frozen=True)
class NewSession:
    """The session to book, each day: its chair minutes and its titration (from the start, after
    the premedication lead, until the top rate)."""

    duration_min: int
    titration_offset_min: int = 0
    titration_min: int = 0


@dataclass(frozen=True)
class Candidate:
    chair_id: int
    chair_name: str
    start_min: int


@dataclass(frozen=True)
class Score:
    """A candidate's cost at each level (lower is better); ``over_ratio_day`` is the first day
    whose ratio it breaks (None: kept on every day)."""

    over_ratio_day: date | None
    titrations_at_once: int
    preference_misses: int
    continuity_misses: int

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (
            int(self.over_ratio_day is not None),
            self.titrations_at_once,
            self.preference_misses,
            self.continuity_misses,
        )


@dataclass(frozen=True)
class DayLoad:
    """One day of the ward: the most patients and patients in titration allowed at each minute
    (``solver.capacities``), and those already in chairs."""

    staffed: bool
    patients_cap: list[int]
    titrations_cap: list[int]
    patients: list[int]
    titrations: list[int]
    # Running counts of the minutes with no room for one more patient (in titration): a
    # candidate's span is checked in constant time.
    full_patients: list[int]
    full_titrations: list[int]

    def breaks(self, minutes: range, titrating: range) -> bool:
        """One more patient over ``minutes``, in titration over ``titrating``, breaks the ratio."""
        return bool(
            (minutes and self.full_patients[minutes.stop] - self.full_patients[minutes.start])
            or (
                titrating
                and self.full_titrations[titrating.stop] - self.full_titrations[titrating.start]
            )
        )


def _running(flags: Iterable[bool]) -> list[int]:
    counts = [0]
    for flag in flags:
        counts.append(counts[-1] + int(flag))
    return counts


class Ward:
    """The ward over the context's days, each day's load worked out once when first asked."""

    def __init__(self, context: PlanContext) -> None:
        self.context = context
        self._days: dict[int, DayLoad] = {}
        self._fixed = solver.fixed_placements(context.problem)

    def index(self, day: date) -> int:
        return self.context.days.index(day)

    def day(self, index: int) -> DayLoad:
        if index not in self._days:
            problem = self.context.problem
            nurses = solver.nurses_on_duty(problem.shifts, index)
            patients_cap, titrations_cap = solver.capacities(problem, index)
            patients, titrations = solver.loads(problem, self._fixed, index)
            self._days[index] = DayLoad(
                any(nurses),
                patients_cap,
                titrations_cap,
                patients,
                titrations,
                _running(p + 1 > c for p, c in zip(patients, patients_cap, strict=True)),
                _running(t + 1 > c for t, c in zip(titrations, titrations_cap, strict=True)),
            )
        return self._days[index]

    def staffed(self, days: Sequence[date]) -> bool:
        """Whether any of ``days`` has a nurse on shift (the model ranks only then)."""
        return any(self.day(self.index(day)).staffed for day in days)


def score(
    ward: Ward,
    days: Sequence[date],
    session: NewSession,
    candidate: Candidate,
    *,
    times: PatientTimes = NO_TIMES,
    earlier: tuple[int, int] | None = None,
) -> Score:
    """``candidate``'s cost on ``days`` (docstring of the module); ``earlier`` is the chair and
    start minute of the patient's last cycle."""
    start, end = candidate.start_min, candidate.start_min + session.duration_min
    titration_start = start + session.titration_offset_min
    titration_end = titration_start + session.titration_min
    over_day = None
    titrations_at_once = 0
    for day in days:
        load = ward.day(ward.index(day))
        if not load.staffed:
            continue
        minutes = range(max(start, 0), min(end, solver.MINUTES_PER_DAY))
        titrating = range(max(titration_start, 0), min(titration_end, solver.MINUTES_PER_DAY))
        if over_day is None and load.breaks(minutes, titrating):
            over_day = day
        if titrating:
            titrations_at_once = max(
                titrations_at_once, max(load.titrations[m] + 1 for m in titrating)
            )
    misses = 0
    low, high = times.preferred_start_from_min, times.preferred_start_to_min
    if low is not None and high is not None and not low <= start <= high:
        misses += 1
    if times.preferred_chair_id is not None and candidate.chair_id != times.preferred_chair_id:
        misses += 1
    continuity = 0
    if earlier is not None:
        continuity = int(earlier[0] != candidate.chair_id) + int(earlier[1] != start)
    return Score(over_day, titrations_at_once, misses, continuity)


def rank(
    ward: Ward,
    days: Sequence[date],
    session: NewSession,
    candidates: Sequence[Candidate],
    *,
    times: PatientTimes = NO_TIMES,
    earlier: tuple[int, int] | None = None,
) -> list[tuple[Score, Candidate]]:
    """``candidates`` best first (docstring of the module)."""
    scored = [(score(ward, days, session, c, times=times, earlier=earlier), c) for c in candidates]
    scored.sort(key=lambda pair: (pair[0].key, pair[1].start_min, pair[1].chair_name))
    return scored


def why(chosen: Score, *, times: PatientTimes = NO_TIMES, earlier: bool = False) -> str:
    """Why the slot was chosen, in one short line for the booking page."""
    if chosen.over_ratio_day is not None:
        return (
            "Every free chair and time breaks the nurses' ratio: this one does on "
            f"{chosen.over_ratio_day:%a %d %b} (see the nurse load on the schedule)."
        )
    parts = ["keeps the nurses' ratio"]
    if chosen.titrations_at_once:
        parts.append(f"{chosen.titrations_at_once} in titration at once at most")
    has_preference = (
        times.preferred_start_from_min is not None or times.preferred_chair_id is not None
    )
    if has_preference:
        parts.append(
            "the patient's preference kept"
            if not chosen.preference_misses
            else "the patient's preference partly missed"
        )
    if earlier:
        parts.append(
            "the same chair and time as the last cycle"
            if not chosen.continuity_misses
            else "the same chair or time as the last cycle"
            if chosen.continuity_misses == 1
            else "not the last cycle's chair or time"
        )
    return "Ranked by the planner: " + ", ".join(parts) + "."
