"""Rate protocols, caps and the titration schedule (docs/clinical-rules.md 3.4).

Rules, as implemented:
- Conversion: mL/h = mg/kg/min * dosing weight * 60 / (10 * concentration %), rounded down to a
  whole mL/h (ROUND_FLOOR). Interpretation: a converted rate or cap is never below 1 mL/h, so a
  plan always runs (only reachable with very small dosing weights).
- Top rate (the cap of every step) = the lowest of: the target rate, the policy maximum, the
  absolute maximum of 200 mL/h (a target above it is planned at the cap; RATE_ABOVE_MAXIMUM is
  raised in findings.py), the label maximum converted (if the formulary records one), and the
  label's at-risk maximum converted, when the patient has any renal or thrombosis risk
  (docs/clinical-rules.md 3.8, including age ≥ 65) and the formulary records one.
- Protocol: start at max(1, floor(0.5 mL/kg/h * dosing weight)); every 15 minutes 15 mL/h faster;
  every step capped at the top rate (so the last increase may be smaller, e.g. 199 → 200); then
  the top rate until the daily volume is given.
- Label: each label step converted, at least 1 mL/h, capped at the top rate, with its minutes;
  the last step runs to the end whatever minutes the formulary gives it.
- Both: a step never runs slower than the one before (rate = max(previous, rate)); consecutive
  steps at the same rate are merged; a step's volume = rate * minutes / 60; the step in which the
  daily volume is complete is cut there, and no (empty) step follows a volume completed exactly
  at a step boundary. Start minutes are whole (only the last step is cut).
- Exact arithmetic: volumes are carried as integers in mL * 60 (= rate * minutes), so cuts and
  totals are exact; step minutes and volumes are rounded to 0.1 half up for display only.
  Infusion minutes = ceil(exact total minutes).
- ``target_rate_reached_min`` = start minute of the first step running at the plan's top rate,
  i.e. the rate the plan would run at indefinitely had the volume no end (for the label protocol:
  the last, open-ended step's rate after capping and the never-slower rule). None when the
  infusion ends before that step starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from ivig.engine.models import LabelRateStep, TitrationStep

PROTOCOL_START_ML_PER_KG_PER_H = Decimal("0.5")
PROTOCOL_STEP_MINUTES = 15
PROTOCOL_STEP_ML_PER_H = 15
ABSOLUTE_MAX_RATE_ML_PER_H = 200
MIN_RATE_ML_PER_H = 1
MINUTES_PER_HOUR = 60
MG_PER_ML_PER_CONCENTRATION_PCT = 10  # a 10 % product holds 100 mg/mL
STEP_DISPLAY_QUANTUM = Decimal("0.1")


def ml_per_h_from_mg_per_kg_per_min(
    rate_mg_per_kg_per_min: Decimal, dosing_weight_kg: Decimal, concentration_pct: Decimal
) -> int:
    """mg/kg/min → whole mL/h, rounded down, at least 1 mL/h."""
    rate_ml_per_h = (
        rate_mg_per_kg_per_min
        * dosing_weight_kg
        * MINUTES_PER_HOUR
        / (MG_PER_ML_PER_CONCENTRATION_PCT * concentration_pct)
    )
    return max(MIN_RATE_ML_PER_H, int(rate_ml_per_h.to_integral_value(rounding=ROUND_FLOOR)))


def max_rate_ml_per_h(policy_max_rate_ml_per_h: int) -> int:
    """The highest rate any plan may run at: the policy's, never above 200 mL/h."""
    return min(ABSOLUTE_MAX_RATE_ML_PER_H, policy_max_rate_ml_per_h)


@dataclass(frozen=True)
class RateCaps:
    """The caps of one plan (mL/h); ``top_rate_ml_per_h`` is the lowest of them."""

    target_ml_per_h: int
    maximum_ml_per_h: int
    label_max_ml_per_h: int | None
    at_risk_max_ml_per_h: int | None

    @property
    def top_rate_ml_per_h(self) -> int:
        caps = [self.target_ml_per_h, self.maximum_ml_per_h]
        caps += [
            cap for cap in (self.label_max_ml_per_h, self.at_risk_max_ml_per_h) if cap is not None
        ]
        return min(caps)


def rate_caps(
    *,
    target_rate_ml_per_h: int,
    policy_max_rate_ml_per_h: int,
    label_max_mg_per_kg_per_min: Decimal | None,
    at_risk_max_mg_per_kg_per_min: Decimal | None,
    patient_at_risk: bool,
    dosing_weight_kg: Decimal,
    concentration_pct: Decimal,
) -> RateCaps:
    label_cap = (
        None
        if label_max_mg_per_kg_per_min is None
        else ml_per_h_from_mg_per_kg_per_min(
            label_max_mg_per_kg_per_min, dosing_weight_kg, concentration_pct
        )
    )
    at_risk_cap = (
        ml_per_h_from_mg_per_kg_per_min(
            at_risk_max_mg_per_kg_per_min, dosing_weight_kg, concentration_pct
        )
        if patient_at_risk and at_risk_max_mg_per_kg_per_min is not None
        else None
    )
    return RateCaps(
        target_ml_per_h=target_rate_ml_per_h,
        maximum_ml_per_h=max_rate_ml_per_h(policy_max_rate_ml_per_h),
        label_max_ml_per_h=label_cap,
        at_risk_max_ml_per_h=at_risk_cap,
    )


@dataclass(frozen=True)
class RateStep:
    rate_ml_per_h: int
    minutes: int | None  # None: runs until the volume is given


def _never_slower_and_merged(steps: Sequence[RateStep]) -> list[RateStep]:
    merged: list[RateStep] = []
    for step in steps:
        rate_ml_per_h = (
            max(merged[-1].rate_ml_per_h, step.rate_ml_per_h) if merged else step.rate_ml_per_h
        )
        if merged and merged[-1].rate_ml_per_h == rate_ml_per_h:
            previous = merged[-1]
            minutes = (
                None
                if previous.minutes is None or step.minutes is None
                else previous.minutes + step.minutes
            )
            merged[-1] = RateStep(rate_ml_per_h, minutes)
        else:
            merged.append(RateStep(rate_ml_per_h, step.minutes))
    return merged


def protocol_steps(dosing_weight_kg: Decimal, top_rate_ml_per_h: int) -> list[RateStep]:
    """docs/clinical-rules.md 3.4 protocol rate: 0.5 mL/kg/h, +15 mL/h every 15 minutes up to the
    top rate."""
    start_ml_per_h = max(
        MIN_RATE_ML_PER_H,
        int(
            (PROTOCOL_START_ML_PER_KG_PER_H * dosing_weight_kg).to_integral_value(
                rounding=ROUND_FLOOR
            )
        ),
    )
    rate_ml_per_h = min(start_ml_per_h, top_rate_ml_per_h)
    steps: list[RateStep] = []
    while rate_ml_per_h < top_rate_ml_per_h:
        steps.append(RateStep(rate_ml_per_h, PROTOCOL_STEP_MINUTES))
        rate_ml_per_h = min(rate_ml_per_h + PROTOCOL_STEP_ML_PER_H, top_rate_ml_per_h)
    steps.append(RateStep(top_rate_ml_per_h, None))
    return steps


def label_steps(
    steps: Sequence[LabelRateStep],
    dosing_weight_kg: Decimal,
    concentration_pct: Decimal,
    top_rate_ml_per_h: int,
) -> list[RateStep]:
    """docs/clinical-rules.md 3.4 label rate: the product's steps converted and capped; the last is
    open-ended."""
    converted = [
        RateStep(
            min(
                top_rate_ml_per_h,
                ml_per_h_from_mg_per_kg_per_min(
                    step.rate_mg_per_kg_per_min, dosing_weight_kg, concentration_pct
                ),
            ),
            None if index == len(steps) - 1 else step.minutes,
        )
        for index, step in enumerate(steps)
    ]
    return _never_slower_and_merged(converted)


@dataclass(frozen=True)
class PlannedStep:
    """One step of the schedule; the volume is exact, in mL * 60 (= rate * minutes)."""

    start_min: int
    rate_ml_per_h: int
    volume_ml_x60: int

    @property
    def minutes(self) -> Decimal:
        """Minutes, 0.1 half up (display)."""
        return (Decimal(self.volume_ml_x60) / self.rate_ml_per_h).quantize(
            STEP_DISPLAY_QUANTUM, rounding=ROUND_HALF_UP
        )

    @property
    def volume_ml(self) -> Decimal:
        """Volume, 0.1 half up (display)."""
        return (Decimal(self.volume_ml_x60) / MINUTES_PER_HOUR).quantize(
            STEP_DISPLAY_QUANTUM, rounding=ROUND_HALF_UP
        )


@dataclass(frozen=True)
class Titration:
    steps: tuple[PlannedStep, ...]
    infusion_minutes: int
    target_rate_reached_min: int | None

    def plan_steps(self) -> list[TitrationStep]:
        """The steps as the plan carries them (``DosePlan.titration``)."""
        return [
            TitrationStep.model_construct(
                start_min=step.start_min,
                rate_ml_per_h=step.rate_ml_per_h,
                minutes=step.minutes,
                volume_ml=step.volume_ml,
            )
            for step in self.steps
        ]


def titration(steps: Sequence[RateStep], daily_volume_ml: int) -> Titration:
    """Run ``steps`` (never slower, merged, last open-ended) until ``daily_volume_ml`` is given."""
    remaining_ml_x60 = daily_volume_ml * MINUTES_PER_HOUR
    planned: list[PlannedStep] = []
    start_min = 0
    infusion_minutes = 0
    for step in steps:
        if remaining_ml_x60 <= 0:
            break
        full_ml_x60 = None if step.minutes is None else step.rate_ml_per_h * step.minutes
        if full_ml_x60 is None or full_ml_x60 >= remaining_ml_x60:
            planned.append(PlannedStep(start_min, step.rate_ml_per_h, remaining_ml_x60))
            # ceil(remaining / rate) in whole minutes, exactly.
            infusion_minutes = start_min + -(-remaining_ml_x60 // step.rate_ml_per_h)
            remaining_ml_x60 = 0
            break
        assert step.minutes is not None
        planned.append(PlannedStep(start_min, step.rate_ml_per_h, full_ml_x60))
        remaining_ml_x60 -= full_ml_x60
        start_min += step.minutes
        infusion_minutes = start_min

    assert remaining_ml_x60 == 0, "the last step must be open-ended"
    top_rate_ml_per_h = steps[-1].rate_ml_per_h if steps else None
    reached_min = next(
        (step.start_min for step in planned if step.rate_ml_per_h == top_rate_ml_per_h), None
    )
    return Titration(tuple(planned), infusion_minutes, reached_min)
