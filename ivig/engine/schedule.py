"""Vital-sign checks, chair time, the cycle calendar and 28-day windows (docs/clinical-rules.md 3.5,
3.6, 3.8).

Rules, as implemented:
- Vital checks, in minutes from the infusion start (docs/clinical-rules.md 3.5, docs/api.md): 0;
every 30 minutes
  strictly before the stable minute S (``target_rate_reached_min``); S; S + 60, S + 120, ...
  strictly before the end; the end (``infusion_minutes``). Without S (the infusion ends before the
  top rate): 0, 30, 60, ... strictly before the end, then the end. Ascending, no duplicates
  (an infusion of 0 minutes has the single check 0).
- Premedication starts ``premedication_lead_minutes`` (policy, 30) before the infusion; chair
  time = that lead + infusion minutes + ``observation_minutes`` (policy, 30).
- Cycle k (1-based) starts on start_date + (k - 1) * cycle_interval_days and has
  ``days_per_cycle`` consecutive days (docs/clinical-rules.md 3.6). Valid ranges (checked in
  plan.py): days 1-5, cycles 1-60, interval 7-90, so cycles never overlap.
- 28-day windows (MAX_DOSE_PER_28_DAYS): every cycle day carries the rounded daily dose; the
  largest sum over any 28 consecutive calendar days is found with a two-pointer sweep over the
  sorted cycle days (a window with the most infusion days can always be slid to start on one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

VITALS_EVERY_MIN_UNTIL_STABLE = 30
VITALS_EVERY_MIN_WHEN_STABLE = 60
WINDOW_DAYS = 28


def vital_checks_min(infusion_minutes: int, stable_min: int | None) -> list[int]:
    """Minutes of the vital-sign checks (see module docstring)."""
    until_min = infusion_minutes if stable_min is None else stable_min
    checks = list(range(0, until_min, VITALS_EVERY_MIN_UNTIL_STABLE))
    if stable_min is not None:
        checks.extend(range(stable_min, infusion_minutes, VITALS_EVERY_MIN_WHEN_STABLE))
    if not checks or checks[-1] != infusion_minutes:
        checks.append(infusion_minutes)
    return checks


def chair_minutes(
    premedication_lead_minutes: int, infusion_minutes: int, observation_minutes: int
) -> int:
    """docs/clinical-rules.md 3.5: premedication lead + infusion + observation."""
    return premedication_lead_minutes + infusion_minutes + observation_minutes


def cycle_days(
    start_date: date, days_per_cycle: int, cycles: int, cycle_interval_days: int
) -> list[list[date]]:
    """Dates of each cycle's infusion days (docs/clinical-rules.md 3.6)."""
    return [
        [
            start_date + timedelta(days=(number - 1) * cycle_interval_days + offset)
            for offset in range(days_per_cycle)
        ]
        for number in range(1, cycles + 1)
    ]


def max_infusion_days_in_window(days: Sequence[date], window_days: int = WINDOW_DAYS) -> int:
    """The most infusion days falling within any ``window_days`` consecutive calendar days."""
    ordinals = sorted({day.toordinal() for day in days})
    most = 0
    first = 0
    for last, ordinal in enumerate(ordinals):
        while ordinal - ordinals[first] >= window_days:
            first += 1
        most = max(most, last - first + 1)
    return most
