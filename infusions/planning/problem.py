"""A day or week of the schedule as the planner's problem (docs/planner.md): chairs and their
opening windows, nurses on shift, the unit's policy, and every session that holds a chair, with
the patient's stored time window and preferences. Reads only (a fixed number of queries however
many sessions); below the booking service, which ranks its proposals with it."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from ..booking.models import ACTIVE_STATUSES, InfusionSession, SessionStatus
from ..chairs.models import Chair, ChairOpeningHours
from ..common import at, local
from . import solver
from .models import NurseShift, PatientPreference, StaffingPolicy


def staffing_policy() -> StaffingPolicy:
    """The unit's policy: the saved row, or the defaults (4 patients, 2 in titration)."""
    return StaffingPolicy.objects.order_by("pk").first() or StaffingPolicy()


# Sessions that hold a chair and a nurse on the schedule's days.
PLANNED_STATUSES = (*ACTIVE_STATUSES, SessionStatus.COMPLETED)


@dataclass(frozen=True)
class SessionRow:
    """A session of the plan as pages and the API show it."""

    pk: int
    version: int
    order_id: int
    patient_id: int
    cycle_number: int
    day_number: int
    chair_id: int
    chair_name: str
    start: datetime
    end: datetime
    status: str
    patient_name: str
    mrn: str
    movable: bool


@dataclass(frozen=True)
class PlanContext:
    days: list[date]
    problem: solver.PlanProblem
    rows: dict[int, SessionRow]
    chair_names: dict[int, str]

    def moment(self, day_index: int, minute: int) -> datetime:
        return at(self.days[day_index], datetime.min.time()) + timedelta(minutes=minute)


def minute_of(moment: datetime) -> int:
    clock = local(moment)
    return clock.hour * 60 + clock.minute


def _clock_minute(value: time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


@dataclass(frozen=True)
class PatientTimes:
    """A patient's stored window and preferences (``PatientPreference``) in minutes from
    midnight; None where not set."""

    earliest_start_min: int | None = None
    latest_end_min: int | None = None
    preferred_start_from_min: int | None = None
    preferred_start_to_min: int | None = None
    preferred_chair_id: int | None = None


NO_TIMES = PatientTimes()


def _patient_times(
    earliest_start: time | None,
    latest_end: time | None,
    preferred_start_from: time | None,
    preferred_start_to: time | None,
    preferred_chair_id: int | None,
) -> PatientTimes:
    """A ``PatientPreference``'s values (None for a patient without one) in minutes."""
    return PatientTimes(
        _clock_minute(earliest_start),
        _clock_minute(latest_end),
        _clock_minute(preferred_start_from),
        _clock_minute(preferred_start_to),
        preferred_chair_id,
    )


def patient_times(patient_ids: Iterable[int]) -> dict[int, PatientTimes]:
    """The stored windows and preferences of ``patient_ids`` (one query)."""
    return {
        row.patient_id: _patient_times(
            row.earliest_start,
            row.latest_end,
            row.preferred_start_from,
            row.preferred_start_to,
            row.preferred_chair_id,
        )
        for row in PatientPreference.objects.filter(patient_id__in=set(patient_ids))
    }


def any_shift(first: date, last: date) -> bool:
    """Whether any nurse is on shift from ``first`` to before ``last``."""
    return NurseShift.objects.filter(day__gte=first, day__lt=last).exists()


def _window_min(opens: time, closes: time) -> tuple[int, int]:
    return opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute


def _chair_windows(dates: Sequence[date]) -> tuple[dict[int, str], list[solver.ChairToUse]]:
    """Each active chair's name, and the chair with its opening windows on the plan's days (two
    queries of plain values: the hours of the plan's weekdays only)."""
    names = dict(Chair.objects.filter(active=True).values_list("pk", "name"))
    hours: dict[int, list[tuple[int, time, time]]] = {pk: [] for pk in names}
    for chair_id, weekday, opens, closes in ChairOpeningHours.objects.filter(
        chair_id__in=list(names), weekday__in={day.weekday() for day in dates}
    ).values_list("chair_id", "weekday", "opens_at", "closes_at"):
        hours[chair_id].append((weekday, opens, closes))
    chair_windows = [
        solver.ChairToUse(
            pk,
            tuple(
                solver.ChairWindow(offset, *_window_min(opens, closes))
                for offset, day in enumerate(dates)
                for weekday, opens, closes in hours[pk]
                if weekday == day.weekday()
            ),
        )
        for pk in names
    ]
    return names, chair_windows


def _nurse_shifts(dates: Sequence[date], index: dict[date, int]) -> list[solver.NurseShift]:
    """The nurses on shift on the plan's days, with their breaks (two queries)."""
    return [
        solver.NurseShift(
            shift.nurse_id,
            index[shift.day],
            *_window_min(shift.starts_at, shift.ends_at),
            tuple(_window_min(b.starts_at, b.ends_at) for b in shift.breaks.all()),
        )
        for shift in NurseShift.objects.filter(day__in=dates).prefetch_related("breaks")
    ]


def _planned_session_values(start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """The sessions holding a chair from ``start`` to before ``end`` as value tuples (one
    query), in the order ``_plan_sessions`` unpacks them."""
    values = (
        InfusionSession.objects.filter(
            planned_start__gte=start, planned_start__lt=end, status__in=PLANNED_STATUSES
        )
        .annotate(
            premedication=F("order__plan_at_signing__premedication_min_before"),
            top_rate=F("order__plan_at_signing__target_rate_reached_min"),
        )
        .order_by("planned_start", "pk")
        .values_list(
            "pk",
            "version",
            "order_id",
            "order__patient_id",
            "cycle_number",
            "day_number",
            "chair_id",
            "chair__name",
            "planned_start",
            "planned_end",
            "status",
            "order__patient__family_name",
            "order__patient__given_name",
            "order__patient__mrn",
            "premedication",
            "top_rate",
            # The patient's stored window and preferences, joined here (at most one row a
            # patient): not a second query with every patient's id in an IN list, whose
            # parameters Django resolved one by one (1-2 ms of the planner's ~27 ms for the
            # 175 sessions of a day at 10,000 patients).
            "order__patient__planning_preference__earliest_start",
            "order__patient__planning_preference__latest_end",
            "order__patient__planning_preference__preferred_start_from",
            "order__patient__planning_preference__preferred_start_to",
            "order__patient__planning_preference__preferred_chair_id",
        )
    )
    return list(values)


def _session_to_place(
    row: SessionRow,
    *,
    day_index: int,
    earliest: int | None,
    wanted: PatientTimes,
    premedication: Any,
    top_rate: Any,
) -> solver.SessionToPlace:
    """A session as the solver places it: fixed unless movable, preferring the patient's
    stored window and chair where set."""
    can_move = row.movable
    chair_id = row.chair_id
    begin = minute_of(row.start)
    return solver.SessionToPlace(
        session_id=row.pk,
        patient_id=row.patient_id,
        day_index=day_index,
        duration_min=int((row.end - row.start).total_seconds() // 60),
        titration_offset_min=_as_minutes(premedication),
        titration_min=_as_minutes(top_rate),
        fixed_chair_id=None if can_move else chair_id,
        fixed_start_min=None if can_move else begin,
        current_chair_id=chair_id,
        current_start_min=begin,
        earliest_start_min=earliest,
        latest_end_min=wanted.latest_end_min,
        # The patient's stored preference where set, else the chair and time they
        # were told (the planner moves only what it must).
        preferred_start_from_min=(
            begin if wanted.preferred_start_from_min is None else wanted.preferred_start_from_min
        ),
        preferred_start_to_min=(
            begin if wanted.preferred_start_to_min is None else wanted.preferred_start_to_min
        ),
        preferred_chair_id=wanted.preferred_chair_id or chair_id,
        continuity_group=f"{row.order_id}-{row.cycle_number}",
    )


def _plan_sessions(
    found: list[tuple[Any, ...]],
    *,
    now: datetime,
    movable: Sequence[int] | None,
    dates: list[date],
    index: dict[date, int],
    chair_names: dict[int, str],
) -> tuple[dict[int, SessionRow], list[solver.SessionToPlace]]:
    """The rows and the solver's sessions of ``found``, in order; adds each session's chair to
    ``chair_names`` as it goes (an inactive chair is named from then on)."""
    rows: dict[int, SessionRow] = {}
    sessions = []
    for (
        pk,
        version,
        order_id,
        patient_id,
        cycle,
        day_number,
        chair_id,
        chair_name,
        planned_start,
        planned_end,
        status,
        family,
        given,
        mrn,
        premedication,
        top_rate,
        earliest_start,
        latest_end,
        preferred_start_from,
        preferred_start_to,
        preferred_chair_id,
    ) in found:
        can_move = (
            status == SessionStatus.TENTATIVE
            and planned_start > now
            and chair_id in chair_names
            and (movable is None or pk in movable)
        )
        row = rows[pk] = SessionRow(
            pk,
            version,
            order_id,
            patient_id,
            cycle,
            day_number,
            chair_id,
            chair_name,
            planned_start,
            planned_end,
            status,
            f"{family}, {given}",
            mrn,
            can_move,
        )
        chair_names.setdefault(chair_id, chair_name)
        day_index = index[local(planned_start).date()]
        wanted = _patient_times(
            earliest_start, latest_end, preferred_start_from, preferred_start_to, preferred_chair_id
        )
        earliest = wanted.earliest_start_min
        if can_move and local(now).date() == dates[day_index]:
            earliest = max(earliest or 0, minute_of(now) + 1)
        sessions.append(
            _session_to_place(
                row,
                day_index=day_index,
                earliest=earliest,
                wanted=wanted,
                premedication=premedication,
                top_rate=top_rate,
            )
        )
    return rows, sessions


def plan_context(
    first: date, days: int, *, now: datetime | None = None, movable: Sequence[int] | None = None
) -> PlanContext:
    """The schedule of ``days`` days from ``first`` as the solver's problem: tentative sessions
    not yet begun are movable (``movable``: only these), every other session (booked, in
    progress, completed) is fixed. A session's titration runs from its infusion's start (after
    the premedication lead) until the plan at signing reaches its top rate."""
    now = now or timezone.now()
    dates = [first + timedelta(days=offset) for offset in range(days)]
    index = {day: offset for offset, day in enumerate(dates)}
    start, end = (
        at(first, datetime.min.time()),
        at(first + timedelta(days=days), datetime.min.time()),
    )
    chair_names, chair_windows = _chair_windows(dates)
    shifts = _nurse_shifts(dates, index)
    policy = staffing_policy()
    found = _planned_session_values(start, end)
    rows, sessions = _plan_sessions(
        found, now=now, movable=movable, dates=dates, index=index, chair_names=chair_names
    )
    problem = solver.PlanProblem(
        days=days,
        sessions=tuple(sessions),
        chairs=tuple(chair_windows),
        shifts=tuple(shifts),
        policy=solver.PlannerPolicy(
            patients_per_nurse=policy.patients_per_nurse,
            titrations_per_nurse=policy.titrations_per_nurse,
        ),
    )
    return PlanContext(dates, problem, rows, chair_names)


def _as_minutes(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def current_placements(context: PlanContext) -> list[solver.Placement]:
    return [
        solver.Placement(
            s.session_id,
            s.current_chair_id or 0,
            s.day_index,
            s.current_start_min or 0,
            (s.current_start_min or 0) + s.duration_min,
            fixed=s.fixed,
        )
        for s in context.problem.sessions
    ]


@dataclass(frozen=True)
class Move:
    """A move chosen from a suggestion: the session, its new chair and start, and the version
    the suggestion was made on (a session changed since is refused)."""

    session_id: int
    chair_id: int
    start: datetime
    version: int | None = None
