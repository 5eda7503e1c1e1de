"""The chair planner against first fit on a simulated month (docs/planner.md, issue 25).

Run: ``.venv/bin/python bench/planner.py [--days 28] [--seed 1] [--per-day 20] [--margin 25]``.

A 12-chair unit open 08:00 to 18:00 every day, 4 nurses (two 07:30 to 16:00, two 09:30 to
18:00, each with a 30-minute break), the default ratios (4 patients, 2 in titration per nurse).
Demand like ``seed_scale``'s: patients on courses of 1 to 5 consecutive days a cycle, chair time
from premedication lead (30) + infusion (120 to 330) + observation (30) minutes, titration 60 to
150 minutes from the infusion's start; a third of patients prefer mornings, a third afternoons,
one in eight cannot start before 09:00 (a hard window). No-shows (2 % missed, 3 % cancelled)
and actual durations (-5 % to +25 %) are drawn once per session, the same for both bookings.

- **First fit** is the booking service's rule (``infusions.booking.booking_propose``): for each
  cycle in the order it is asked for, the earliest 15-minute start, first chair among equals,
  free and open on every day of the cycle; it knows no nurse.
- **The planner** places each day's sessions with ``infusions.planning.solver.solve`` (a day
  at a time, the cycle's earlier days as the later days' preferred chair and time).

Both are then *run*: a session starts at its planned time, or later when its chair is still
held by a late session, or when the nurses on the ward already have as many patients (or
titrations) as the ratio allows; overtime is the minutes sessions run past the chairs' 18:00
closing. Printed side by side: sessions placed, overtime minutes, chair utilisation, peak
patients and titrations per nurse and minutes over the ratio (as booked), preference misses,
solve time p50/p95.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infusions.planning.solver import (
    ChairToUse,
    ChairWindow,
    NurseShift,
    Placement,
    PlannerPolicy,
    PlanProblem,
    SessionToPlace,
    check,
    measure,
    nurses_on_duty,
    solve,
)

CHAIRS = 12
OPENS, CLOSES = 8 * 60, 18 * 60
GRID = 15
SHIFTS = (
    (7 * 60 + 30, 16 * 60),
    (7 * 60 + 30, 16 * 60),
    (9 * 60 + 30, 18 * 60),
    (9 * 60 + 30, 18 * 60),
)
BREAKS = (
    (12 * 60, 12 * 60 + 30),
    (12 * 60 + 30, 13 * 60),
    (13 * 60, 13 * 60 + 30),
    (13 * 60 + 30, 14 * 60),
)
MORNING, AFTERNOON = (8 * 60, 10 * 60), (12 * 60, 14 * 60)


@dataclass(frozen=True)
class Cycle:
    key: str
    patient_id: int
    first_day: int
    days: int
    duration_min: int
    titration_min: int
    earliest_start_min: int | None
    preferred: tuple[int, int] | None


@dataclass(frozen=True)
class Outcome:
    session_id: int
    shows: bool
    factor: float


def demand(days: int, per_day: int, rng: random.Random) -> list[Cycle]:
    """Cycles starting on each day, about ``per_day`` sessions a day once the month is under way."""
    cycles = []
    patient = 0
    lengths = [1, 2, 3, 4, 5]
    weights = [30, 15, 10, 10, 35]
    mean_days = sum(a * b for a, b in zip(lengths, weights, strict=True)) / sum(weights)
    for day in range(days):
        starts = rng.gauss(per_day / mean_days, 1.2)
        for _ in range(max(0, round(starts))):
            patient += 1
            span = min(rng.choices(lengths, weights)[0], days - day)
            infusion = rng.randrange(120, 331, 15)
            roll = rng.random()
            cycles.append(
                Cycle(
                    key=f"p{patient}",
                    patient_id=patient,
                    first_day=day,
                    days=span,
                    duration_min=30 + infusion + 30,
                    titration_min=rng.randrange(60, 151, 15),
                    earliest_start_min=9 * 60 if rng.random() < 0.125 else None,
                    preferred=MORNING if roll < 1 / 3 else AFTERNOON if roll < 2 / 3 else None,
                )
            )
    rng.shuffle(cycles)  # asked for in no particular order
    return cycles


def sessions_of(cycles: list[Cycle]) -> list[SessionToPlace]:
    sessions = []
    for number, cycle in enumerate(cycles):
        for offset in range(cycle.days):
            sessions.append(
                SessionToPlace(
                    session_id=number * 10 + offset,
                    patient_id=cycle.patient_id,
                    day_index=cycle.first_day + offset,
                    duration_min=cycle.duration_min,
                    titration_offset_min=30,
                    titration_min=cycle.titration_min,
                    earliest_start_min=cycle.earliest_start_min,
                    preferred_start_from_min=cycle.preferred[0] if cycle.preferred else None,
                    preferred_start_to_min=cycle.preferred[1] if cycle.preferred else None,
                    continuity_group=cycle.key,
                )
            )
    return sessions


def unit(days: int) -> tuple[tuple[ChairToUse, ...], tuple[NurseShift, ...]]:
    chairs = tuple(
        ChairToUse(c, tuple(ChairWindow(d, OPENS, CLOSES) for d in range(days)))
        for c in range(1, CHAIRS + 1)
    )
    shifts = tuple(
        NurseShift(n + 1, d, start, end, (BREAKS[n],))
        for d in range(days)
        for n, (start, end) in enumerate(SHIFTS)
    )
    return chairs, shifts


def first_fit(cycles: list[Cycle], days: int) -> list[Placement]:
    """The booking service's first fit, cycle by cycle (nurses unknown to it)."""
    busy: dict[tuple[int, int], list[tuple[int, int]]] = {}
    placements = []
    for number, cycle in enumerate(cycles):
        low = max(OPENS, cycle.earliest_start_min or 0)
        fits = []
        for chair in range(1, CHAIRS + 1):
            for start in range(OPENS, CLOSES - cycle.duration_min + 1, GRID):
                if start < low:
                    continue
                end = start + cycle.duration_min
                if all(
                    not any(
                        start < b_end and b_start < end
                        for b_start, b_end in busy.get((chair, cycle.first_day + k), [])
                    )
                    for k in range(cycle.days)
                ):
                    fits.append((start, chair))
                    break
        if not fits:
            continue
        start, chair = min(fits)
        for k in range(cycle.days):
            busy.setdefault((chair, cycle.first_day + k), []).append(
                (start, start + cycle.duration_min)
            )
            placements.append(
                Placement(
                    number * 10 + k, chair, cycle.first_day + k, start, start + cycle.duration_min
                )
            )
    return placements


def planned(
    sessions: list[SessionToPlace], days: int, chairs, shifts, policy: PlannerPolicy, limit_s: float
) -> tuple[list[Placement], list[float], int]:
    """The planner, a day at a time; a cycle's earlier day is its later days' preference."""
    placements: list[Placement] = []
    times: list[float] = []
    violations = 0
    previous: dict[str, Placement] = {}
    for day in range(days):
        today = []
        for session in sessions:
            if session.day_index != day:
                continue
            before = previous.get(session.continuity_group or "")
            if before is not None and before.day_index == day - 1:
                session = replace(
                    session,
                    preferred_start_from_min=before.start_min,
                    preferred_start_to_min=before.start_min,
                    preferred_chair_id=before.chair_id,
                )
            today.append(replace(session, day_index=0))
        problem = PlanProblem(
            1,
            tuple(today),
            tuple(ChairToUse(c.chair_id, (ChairWindow(0, OPENS, CLOSES),)) for c in chairs),
            tuple(replace(s, day_index=0) for s in shifts if s.day_index == day),
            policy,
            time_limit_s=limit_s,
        )
        result = solve(problem)
        violations += len(check(problem, result))
        times.append(result.solve_time_s)
        by_id = {s.session_id: s for s in today}
        for p in result.placements:
            placed = replace(p, day_index=day)
            placements.append(placed)
            group = by_id[p.session_id].continuity_group
            if group:
                previous[group] = placed
    return placements, times, violations


def run(
    placements: list[Placement],
    sessions: dict[int, SessionToPlace],
    outcomes: dict[int, Outcome],
    shifts,
    days: int,
    policy: PlannerPolicy,
) -> int:
    """Overtime minutes when the booked days are run (no-shows, actual durations, waits for a
    chair or a nurse)."""
    overtime = 0
    for day in range(days):
        nurses = nurses_on_duty(shifts, day)
        todays = sorted(
            (p for p in placements if p.day_index == day and outcomes[p.session_id].shows),
            key=lambda p: (p.start_min, p.chair_id),
        )
        chair_free: dict[int, int] = {}
        running: list[tuple[int, int, int, int]] = []  # start, end, titration start and end
        for p in todays:
            session, factor = sessions[p.session_id], outcomes[p.session_id].factor
            length = round(session.duration_min * factor)
            titration = round(session.titration_min * factor)
            start = max(p.start_min, chair_free.get(p.chair_id, 0))
            last = 24 * 60 - 1
            while start < last - session.titration_offset_min:
                # A patient is taken on when a nurse has room for them now, and for their
                # titration when it begins after the premedication lead.
                begins = start + session.titration_offset_min
                patients = sum(1 for s, e, _, _ in running if s <= start < e)
                titrating = sum(1 for _, _, ts, te in running if ts <= begins < te)
                if patients < policy.patients_per_nurse * nurses[start] and titrating < (
                    policy.titrations_per_nurse * nurses[begins]
                ):
                    break
                start += 5
            end = start + length
            begins = start + session.titration_offset_min
            running.append((start, end, begins, begins + titration))
            chair_free[p.chair_id] = end
            overtime += max(0, end - CLOSES)
    return overtime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--per-day", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--margin", type=int, default=25, help="The planner's overrun margin (%% of a session)."
    )
    parser.add_argument("--limit", type=float, default=4.0, help="Seconds per day's solve.")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cycles = demand(args.days, args.per_day, rng)
    sessions = sessions_of(cycles)
    by_id = {s.session_id: s for s in sessions}
    outcomes = {}
    for s in sessions:
        roll = rng.random()
        outcomes[s.session_id] = Outcome(s.session_id, roll >= 0.05, rng.uniform(0.95, 1.25))
    chairs, shifts = unit(args.days)
    policy = PlannerPolicy(overrun_margin_pct=args.margin)
    problem = PlanProblem(args.days, tuple(sessions), chairs, shifts, policy)

    ff = first_fit(cycles, args.days)
    plan, times, violations = planned(sessions, args.days, chairs, shifts, policy, args.limit)
    rows = []
    for name, placements, solve_times in (("First fit", ff, None), ("Planner", plan, times)):
        m = measure(problem, placements)
        rows.append(
            (
                name,
                m,
                run(placements, by_id, outcomes, shifts, args.days, policy),
                solve_times,
            )
        )
    print(
        f"Simulated month: {args.days} days, {len(sessions)} sessions asked for "
        f"({len(cycles)} cycles), {CHAIRS} chairs, {len(SHIFTS)} nurses, seed {args.seed}"
    )
    print(f"{'measure':<36}{'first fit':>12}{'planner':>12}")
    lines = [
        ("sessions placed", lambda r: r[1].sessions_placed),
        ("overtime minutes (run)", lambda r: r[2]),
        ("chair utilisation %", lambda r: r[1].chair_utilisation_pct),
        ("peak patients per nurse", lambda r: r[1].peak_patients_per_nurse),
        ("peak titrations per nurse", lambda r: r[1].peak_titrations_per_nurse),
        ("minutes over the nurse ratio", lambda r: r[1].minutes_over_ratio),
        ("preference misses", lambda r: r[1].preference_misses),
        ("cycle days off chair or time", lambda r: r[1].continuity_breaks),
        ("solve time p50 (s)", lambda r: "-" if r[3] is None else f"{percentile(r[3], 0.5):.2f}"),
        ("solve time p95 (s)", lambda r: "-" if r[3] is None else f"{percentile(r[3], 0.95):.2f}"),
    ]
    for label, value in lines:
        print(f"{label:<36}{value(rows[0])!s:>12}{value(rows[1])!s:>12}")
    print(f"checker violations in the planner's days: {violations}")
    first, second = rows
    overtime_cut = (
        100 * (first[2] - second[2]) / first[2] if first[2] else (0.0 if second[2] else 100.0)
    )
    print(
        f"done when: placed >= first fit {second[1].sessions_placed >= first[1].sessions_placed}; "
        f"0 minutes over the ratio {second[1].minutes_over_ratio == 0}; "
        f"overtime cut {overtime_cut:.0f} % (>= 30 %) {overtime_cut >= 30}; "
        f"day solve <= 5 s {max(times, default=0) <= 5}; "
        f"median day solve {statistics.median(times):.2f} s"
    )


if __name__ == "__main__":
    main()
