"""Reads of the planner (docs/planner.md): a suggestion with the measures of the current
schedule and of the proposal, and the nurses' load per hour (the problem itself is built by
``problem.plan_context``). A fixed number of queries however many sessions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ..common import local
from . import solver
from .problem import (
    Move,
    PlanContext,
    SessionRow,
    current_placements,
    minute_of,
    plan_context,
)


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
            minute = minute_of(move.start)
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


def _opening_hours(problem: solver.PlanProblem) -> set[int]:
    """The hours of the day any chair is open: always shown, so that the panel has the same
    columns however many sessions the day holds."""
    return {
        hour
        for chair in problem.chairs
        for window in chair.windows
        if window.day_index == 0
        for hour in range(window.opens_min // 60, -(-window.closes_min // 60))
    }


def nurse_load(
    day: date, *, adding: Sequence[tuple[int, int, int, int]] = ()
) -> tuple[list[HourLoad], solver.PlannerPolicy]:
    """The nurses' load per hour of ``day``: the fewest nurses on the ward, the most patients
    in chairs and in titration that hour, and whether the unit's ratio is broken in it.
    ``adding``: sessions not booked yet (a booking proposal), each (start, end, titration start,
    titration end) in minutes from midnight, counted as if booked."""
    context = plan_context(day, 1)
    problem = context.problem
    nurses = solver.nurses_on_duty(problem.shifts, 0)
    patients, titrations = solver.loads(problem, current_placements(context), 0)
    for start, end, titration_start, titration_end in adding:
        for minute in range(max(start, 0), min(end, solver.MINUTES_PER_DAY)):
            patients[minute] += 1
        for minute in range(max(titration_start, 0), min(titration_end, solver.MINUTES_PER_DAY)):
            titrations[minute] += 1
    policy = problem.policy
    staffed = any(nurses)
    shown = _opening_hours(problem)
    hours = []
    for hour in range(24):
        minutes = range(hour * 60, hour * 60 + 60)
        busiest = max(patients[m] for m in minutes)
        if hour not in shown and not busiest and not max(nurses[m] for m in minutes):
            continue
        hours.append(
            HourLoad(
                hour,
                min(nurses[m] for m in minutes),
                busiest,
                max(titrations[m] for m in minutes),
                # With no nurse recorded on shift the ratio is not judged (booking falls back to
                # first fit and says so): every hour would read "over".
                staffed
                and any(
                    patients[m] > policy.patients_per_nurse * nurses[m]
                    or titrations[m] > policy.titrations_per_nurse * nurses[m]
                    for m in minutes
                ),
            )
        )
    return hours, policy
