"""Reads of the planner (docs/planner.md): a day or week of the schedule as the solver's
problem, a suggestion with the measures of the current schedule and of the proposal, and the
nurses' load per hour. A fixed number of queries however many sessions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from ..common import at, local
from ..models import (
    ACTIVE_STATUSES,
    Chair,
    InfusionSession,
    SessionStatus,
)
from . import solver
from .models import NurseShift
from .services import Move, staffing_policy

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


def _minute(moment: datetime) -> int:
    clock = local(moment)
    return clock.hour * 60 + clock.minute


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
    chairs = list(Chair.objects.filter(active=True).prefetch_related("opening_hours"))
    chair_windows = []
    for chair in chairs:
        windows = tuple(
            solver.ChairWindow(
                offset,
                hours.opens_at.hour * 60 + hours.opens_at.minute,
                hours.closes_at.hour * 60 + hours.closes_at.minute,
            )
            for offset, day in enumerate(dates)
            for hours in chair.opening_hours.all()
            if hours.weekday == day.weekday()
        )
        chair_windows.append(solver.ChairToUse(chair.pk, windows))
    shifts = [
        solver.NurseShift(
            shift.nurse_id,
            index[shift.day],
            shift.starts_at.hour * 60 + shift.starts_at.minute,
            shift.ends_at.hour * 60 + shift.ends_at.minute,
            tuple(
                (b.starts_at.hour * 60 + b.starts_at.minute, b.ends_at.hour * 60 + b.ends_at.minute)
                for b in shift.breaks.all()
            ),
        )
        for shift in NurseShift.objects.filter(day__in=dates).prefetch_related("breaks")
    ]
    policy = staffing_policy()
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
        )
    )
    rows: dict[int, SessionRow] = {}
    sessions = []
    chair_names = {chair.pk: chair.name for chair in chairs}
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
    ) in values:
        can_move = (
            status == SessionStatus.TENTATIVE
            and planned_start > now
            and chair_id in chair_names
            and (movable is None or pk in movable)
        )
        rows[pk] = SessionRow(
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
        begin = _minute(planned_start)
        duration = int((planned_end - planned_start).total_seconds() // 60)
        earliest = None
        if can_move and local(now).date() == dates[day_index]:
            earliest = _minute(now) + 1
        sessions.append(
            solver.SessionToPlace(
                session_id=pk,
                patient_id=patient_id,
                day_index=day_index,
                duration_min=duration,
                titration_offset_min=_as_minutes(premedication),
                titration_min=_as_minutes(top_rate),
                fixed_chair_id=None if can_move else chair_id,
                fixed_start_min=None if can_move else begin,
                current_chair_id=chair_id,
                current_start_min=begin,
                earliest_start_min=earliest,
                # The chair and time the patient was told are their preference.
                preferred_start_from_min=begin,
                preferred_start_to_min=begin,
                preferred_chair_id=chair_id,
                continuity_group=f"{order_id}-{cycle}",
            )
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
class ProposedMove:
    session: SessionRow
    chair_id: int
    chair_name: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Suggestion:
    context: PlanContext
    result: solver.PlanResult
    current: solver.Measures
    moves: list[ProposedMove]
    violations: list[str]


def suggest(first: date, days: int, *, now: datetime | None = None) -> Suggestion:
    """The planner's proposal for ``days`` days from ``first`` (docs/planner.md), the measures
    of the current schedule and of the proposal, the moves, and the checker's verdict (empty:
    every constraint holds)."""
    context = plan_context(first, days, now=now)
    result = solver.solve(context.problem)
    moves = []
    for placement in result.placements:
        if not placement.moved:
            continue
        row = context.rows[placement.session_id]
        begin = context.moment(placement.day_index, placement.start_min)
        moves.append(
            ProposedMove(
                row,
                placement.chair_id,
                context.chair_names.get(placement.chair_id, ""),
                begin,
                begin + (row.end - row.start),
            )
        )
    return Suggestion(
        context,
        result,
        solver.measure(context.problem, current_placements(context)),
        moves,
        solver.check(context.problem, result),
    )


def moves_violations(moves: Sequence[Move], *, now: datetime | None = None) -> list[str]:
    """What the schedule would break with ``moves`` made (the moved sessions movable, every
    other one fixed where it is): the checker's words, none when every rule holds."""
    if not moves:
        return []
    starts = {move.session_id: move for move in moves}
    days = sorted({local(move.start).date() for move in moves})
    context = plan_context(days[0], (days[-1] - days[0]).days + 1, now=now, movable=list(starts))
    placements = []
    unplaced = []
    for session in context.problem.sessions:
        move = starts.get(session.session_id)
        if session.fixed:
            placements.append(
                solver.Placement(
                    session.session_id,
                    session.fixed_chair_id or 0,
                    session.day_index,
                    session.fixed_start_min or 0,
                    (session.fixed_start_min or 0) + session.duration_min,
                    fixed=True,
                )
            )
        elif move is not None:
            minute = _minute(move.start)
            placements.append(
                solver.Placement(
                    session.session_id,
                    move.chair_id,
                    session.day_index,
                    minute,
                    minute + session.duration_min,
                )
            )
        else:
            unplaced.append(solver.Unplaced(session.session_id, ""))
    not_movable = [s for s in starts if s not in context.rows or not context.rows[s].movable]
    if not_movable:
        return [f"session {pk} is not a tentative session still to start" for pk in not_movable]
    result = solver.PlanResult(
        "CHECK",
        None,
        None,
        0.0,
        tuple(placements),
        tuple(unplaced),
        solver.measure(context.problem, placements),
    )
    return solver.check(context.problem, result)


@dataclass(frozen=True)
class HourLoad:
    hour: int
    nurses: int
    patients: int
    titrations: int
    over_ratio: bool


def nurse_load(day: date) -> tuple[list[HourLoad], solver.PlannerPolicy]:
    """The nurses' load per hour of ``day``: the fewest nurses on the ward, the most patients
    in chairs and in titration that hour, and whether the unit's ratio is broken in it."""
    context = plan_context(day, 1)
    problem = context.problem
    nurses = solver.nurses_on_duty(problem.shifts, 0)
    patients, titrations = solver.loads(problem, current_placements(context), 0)
    policy = problem.policy
    hours = []
    for hour in range(24):
        minutes = range(hour * 60, hour * 60 + 60)
        busiest = max(patients[m] for m in minutes)
        on_ward = min(nurses[m] for m in minutes)
        if not busiest and not max(nurses[m] for m in minutes):
            continue
        hours.append(
            HourLoad(
                hour,
                on_ward,
                busiest,
                max(titrations[m] for m in minutes),
                any(
                    patients[m] > policy.patients_per_nurse * nurses[m]
                    or titrations[m] > policy.titrations_per_nurse * nurses[m]
                    for m in minutes
                ),
            )
        )
    return hours, policy
