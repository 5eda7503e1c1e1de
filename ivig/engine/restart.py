"""Rates at clock times and the rest of an infusion after a stop and restart (docs/clinical-rules.md
3.4, 3.5).

Pure: no Django. The infusions app turns clock times into minutes and calls these.

Rules, as implemented:
- The planned rate at an elapsed minute ``m`` (minutes since the infusion started) is the rate
  of the last titration step starting at or before ``m``; before minute 0 the first step's rate,
  after the planned end the last step's rate (the titration never speeds up beyond it).
- Volume given = the sum over rate segments of rate (mL/h) * minutes / 60, exact, then rounded
  to 0.1 mL half up (what the nurse sees and what the rest of the plan starts from).
- Remaining volume = the daily volume - the volume given, never below 0.
- After a restart at rate R the infusion runs at R until the remaining volume is given: the rate
  is not increased again (docs/clinical-rules.md 3.5). Minutes = ceil(remaining * 60 / R), whole
  minutes.
- Vital checks from the restart (minutes after it): R is the rest of the plan's top rate from
  its first minute, so ``schedule.vital_checks_min(minutes, stable_min=0)``: 0, every 60 minutes,
  and the end (docs/clinical-rules.md 3.5: every 60 minutes once the top rate is reached, and at the
  end).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from ivig.engine.models import TitrationStep
from ivig.engine.schedule import vital_checks_min

VOLUME_QUANTUM_ML = Decimal("0.1")
MINUTES_PER_HOUR = 60


def planned_rate_at(titration: Sequence[TitrationStep], elapsed_min: Decimal) -> int:
    """The plan's rate (mL/h) at ``elapsed_min`` minutes after the start (see module rules)."""
    if not titration:
        raise ValueError("a plan without titration steps has no rate")
    rate_ml_per_h = titration[0].rate_ml_per_h
    for step in titration:
        if step.start_min <= elapsed_min:
            rate_ml_per_h = step.rate_ml_per_h
    return rate_ml_per_h


@dataclass(frozen=True)
class RateSegment:
    """A stretch of the infusion at one rate: ``rate_ml_per_h`` for ``minutes`` (0 = stopped)."""

    rate_ml_per_h: int
    minutes: Decimal


def volume_given_ml(segments: Sequence[RateSegment]) -> Decimal:
    """Volume infused over ``segments``, rounded to 0.1 mL half up."""
    if any(segment.minutes < 0 or segment.rate_ml_per_h < 0 for segment in segments):
        raise ValueError("segments need non-negative minutes and rates")
    exact = sum(
        (Decimal(segment.rate_ml_per_h) * segment.minutes for segment in segments), Decimal(0)
    ) / Decimal(MINUTES_PER_HOUR)
    return exact.quantize(VOLUME_QUANTUM_ML, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RestartPlan:
    """The rest of an infusion from a restart: one rate, its minutes and vital checks."""

    rate_ml_per_h: int
    remaining_volume_ml: Decimal
    infusion_minutes: int
    vital_checks_min: list[int]


def restart_plan(
    *, rate_ml_per_h: int, daily_volume_ml: int, volume_given_ml: Decimal
) -> RestartPlan:
    """The plan from a restart at ``rate_ml_per_h`` with ``daily_volume_ml - volume_given_ml``
    still to give (see module rules)."""
    if rate_ml_per_h < 1:
        raise ValueError("a restart needs a rate of at least 1 mL/h")
    remaining_ml = max(Decimal(0), Decimal(daily_volume_ml) - volume_given_ml)
    minutes = int(
        (remaining_ml * MINUTES_PER_HOUR / rate_ml_per_h).to_integral_value(rounding=ROUND_CEILING)
    )
    return RestartPlan(
        rate_ml_per_h=rate_ml_per_h,
        remaining_volume_ml=remaining_ml,
        infusion_minutes=minutes,
        vital_checks_min=vital_checks_min(minutes, 0),
    )
