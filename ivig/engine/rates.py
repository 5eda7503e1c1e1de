"""Rate protocols, caps and the titration schedule (docs/clinical-rules.md 3.4).

Rules, as implemented:
- Conversion: mL/h = mg/kg/min * dosing weight * 60 / (10 * concentration %), rounded down to a
  whole mL/h (ROUND_FLOOR). Interpretation: a converted rate or cap is never below 1 mL/h, so a
  plan always runs (only reachable with very small dosing weights).
- Top rate (the cap of every step) = the lowest of: the target rate, the policy maximum, the
  absolute maximum of 200 mL/h (a target above it is planned at the cap; RATE_ABOVE_MAXIMUM is
  raised in findings.py), the label maximum converted (if the formulary records one), and, when
  the patient has any renal or thrombosis risk (docs/clinical-rules.md 3.8, including age ≥ 65),
  the label's at-risk maximum converted, or where the formulary records none the dosing policy's
  default at-risk maximum (3.3 mg/kg/min unless the pharmacist changes it) [rules v3].
- Protocol [rules v3]: 15-minute steps k = 0, 1, ...; step k starts at minute 15k and runs at the
  lowest of the protocol's rate at that minute (start + 15 mL/h * k, start = max(1,
  floor(0.5 mL/kg/h * dosing weight))), the label step in force at minute 15k (converted, at least
  1 mL/h; the last label step runs to the end; a product without label steps has no such cap) and
  the top rate; then the never-slower rule and merging below. Steps are generated until both the
  protocol has reached the top rate and the last label step is in force: from there every step
  would be the same, so the last one is open-ended.
- Each step carries what shaped its rate (``limited_by``): ``protocol`` (the protocol's own
  titration), ``label_step``, or the cap of the top rate that binds (``at_risk_maximum``,
  ``label_maximum``, ``target_rate``, ``maximum_rate``, in that order of precedence on a tie; a
  binding cap is named before a label step, and a label step before the protocol).
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
from typing import Literal

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


# What shaped a step's rate (docs/clinical-rules.md 3.4, rules v3); words for people in
# ``LIMITED_BY_WORDS``.
LimitedBy = Literal[
    "protocol",
    "label_step",
    "at_risk_maximum",
    "label_maximum",
    "target_rate",
    "maximum_rate",
    "reaction_plan",
]
LIMITED_BY_WORDS: dict[str, str] = {
    "protocol": "protocol titration",
    "label_step": "label step",
    "at_risk_maximum": "at-risk maximum",
    "label_maximum": "label maximum",
    "target_rate": "target rate",
    "maximum_rate": "maximum rate",
    "reaction_plan": "reaction plan",
}


@dataclass(frozen=True)
class RateCaps:
    """The caps of one plan (mL/h); ``top_rate_ml_per_h`` is the lowest of them.
    ``at_risk_from_policy``: the at-risk cap is the dosing policy's default (the formulary
    records none for the product)."""

    target_ml_per_h: int
    maximum_ml_per_h: int
    label_max_ml_per_h: int | None
    at_risk_max_ml_per_h: int | None
    at_risk_from_policy: bool = False

    def _by_precedence(self) -> list[tuple[int, LimitedBy]]:
        caps: list[tuple[int | None, LimitedBy]] = [
            (self.at_risk_max_ml_per_h, "at_risk_maximum"),
            (self.label_max_ml_per_h, "label_maximum"),
            (self.target_ml_per_h, "target_rate"),
            (self.maximum_ml_per_h, "maximum_rate"),
        ]
        return [(cap, name) for cap, name in caps if cap is not None]

    @property
    def top_rate_ml_per_h(self) -> int:
        return min(cap for cap, _ in self._by_precedence())

    @property
    def top_limited_by(self) -> LimitedBy:
        """The cap that sets the top rate (the first in precedence among equals)."""
        top = self.top_rate_ml_per_h
        return next(name for cap, name in self._by_precedence() if cap == top)


def rate_caps(
    *,
    target_rate_ml_per_h: int,
    policy_max_rate_ml_per_h: int,
    label_max_mg_per_kg_per_min: Decimal | None,
    at_risk_max_mg_per_kg_per_min: Decimal | None,
    patient_at_risk: bool,
    dosing_weight_kg: Decimal,
    concentration_pct: Decimal,
    default_at_risk_max_mg_per_kg_per_min: Decimal | None = None,
) -> RateCaps:
    """The caps of a plan; an at-risk patient is capped at the label's at-risk maximum, or at the
    policy's default where the formulary records none (docs/clinical-rules.md 3.4, rules v3)."""
    at_risk_from_policy = at_risk_max_mg_per_kg_per_min is None
    at_risk_mg_per_kg_per_min = (
        default_at_risk_max_mg_per_kg_per_min
        if at_risk_max_mg_per_kg_per_min is None
        else at_risk_max_mg_per_kg_per_min
    )
    label_cap = (
        None
        if label_max_mg_per_kg_per_min is None
        else ml_per_h_from_mg_per_kg_per_min(
            label_max_mg_per_kg_per_min, dosing_weight_kg, concentration_pct
        )
    )
    at_risk_cap = (
        ml_per_h_from_mg_per_kg_per_min(
            at_risk_mg_per_kg_per_min, dosing_weight_kg, concentration_pct
        )
        if patient_at_risk and at_risk_mg_per_kg_per_min is not None
        else None
    )
    return RateCaps(
        target_ml_per_h=target_rate_ml_per_h,
        maximum_ml_per_h=max_rate_ml_per_h(policy_max_rate_ml_per_h),
        label_max_ml_per_h=label_cap,
        at_risk_max_ml_per_h=at_risk_cap,
        at_risk_from_policy=at_risk_cap is not None and at_risk_from_policy,
    )


@dataclass(frozen=True)
class RateStep:
    rate_ml_per_h: int
    minutes: int | None  # None: runs until the volume is given
    limited_by: LimitedBy = "protocol"


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
            merged[-1] = RateStep(rate_ml_per_h, minutes, previous.limited_by)
        else:
            merged.append(RateStep(rate_ml_per_h, step.minutes, step.limited_by))
    return merged


def _top(caps: RateCaps | int) -> tuple[int, LimitedBy]:
    """The top rate and what sets it; a bare top rate is taken as the target rate."""
    if isinstance(caps, int):
        return caps, "target_rate"
    return caps.top_rate_ml_per_h, caps.top_limited_by


def protocol_start_ml_per_h(dosing_weight_kg: Decimal) -> int:
    """0.5 mL/kg/h x dosing weight, rounded down, at least 1 mL/h."""
    return max(
        MIN_RATE_ML_PER_H,
        int(
            (PROTOCOL_START_ML_PER_KG_PER_H * dosing_weight_kg).to_integral_value(
                rounding=ROUND_FLOOR
            )
        ),
    )


def label_step_starts(
    steps: Sequence[LabelRateStep], dosing_weight_kg: Decimal, concentration_pct: Decimal
) -> list[tuple[int, int]]:
    """Each label step as (start minute, converted mL/h, at least 1 mL/h)."""
    starts: list[tuple[int, int]] = []
    start_min = 0
    for step in steps:
        starts.append(
            (
                start_min,
                ml_per_h_from_mg_per_kg_per_min(
                    step.rate_mg_per_kg_per_min, dosing_weight_kg, concentration_pct
                ),
            )
        )
        start_min += step.minutes or 0
    return starts


def _label_rate_at(starts: Sequence[tuple[int, int]], minute: int) -> int | None:
    """The converted rate of the label step in force at ``minute`` (the last runs to the end)."""
    in_force = [rate for start_min, rate in starts if start_min <= minute]
    return in_force[-1] if in_force else None


def protocol_steps(
    dosing_weight_kg: Decimal,
    caps: RateCaps | int,
    label: Sequence[LabelRateStep] = (),
    concentration_pct: Decimal | None = None,
) -> list[RateStep]:
    """docs/clinical-rules.md 3.4 protocol rate, rules v3: 0.5 mL/kg/h, +15 mL/h every 15
    minutes, each step no faster than the label step in force at its start minute, capped at the
    top rate. ``caps`` may be a bare top rate (no label steps then apply unless given)."""
    top_ml_per_h, top_limited_by = _top(caps)
    start_ml_per_h = protocol_start_ml_per_h(dosing_weight_kg)
    starts = (
        label_step_starts(label, dosing_weight_kg, concentration_pct)
        if label and concentration_pct is not None
        else []
    )
    # From step k_end on, the protocol is at the top and the last label step is in force.
    k_top = max(0, -(-(top_ml_per_h - start_ml_per_h) // PROTOCOL_STEP_ML_PER_H))
    k_last_label = -(-starts[-1][0] // PROTOCOL_STEP_MINUTES) if starts else 0
    k_end = max(k_top, k_last_label)
    steps: list[RateStep] = []
    for k in range(k_end + 1):
        minute = k * PROTOCOL_STEP_MINUTES
        # Candidates in order of precedence on a tie: the binding cap, the label step, the
        # protocol.
        candidates: list[tuple[int, LimitedBy]] = [(top_ml_per_h, top_limited_by)]
        label_rate = _label_rate_at(starts, minute)
        if label_rate is not None:
            candidates.append((label_rate, "label_step"))
        candidates.append((start_ml_per_h + PROTOCOL_STEP_ML_PER_H * k, "protocol"))
        rate_ml_per_h = min(rate for rate, _ in candidates)
        limited_by = next(name for rate, name in candidates if rate == rate_ml_per_h)
        steps.append(
            RateStep(rate_ml_per_h, None if k == k_end else PROTOCOL_STEP_MINUTES, limited_by)
        )
    return _never_slower_and_merged(steps)


def label_steps(
    steps: Sequence[LabelRateStep],
    dosing_weight_kg: Decimal,
    concentration_pct: Decimal,
    caps: RateCaps | int,
) -> list[RateStep]:
    """docs/clinical-rules.md 3.4 label rate: the product's steps converted and capped; the last is
    open-ended."""
    top_ml_per_h, top_limited_by = _top(caps)
    converted: list[RateStep] = []
    for index, step in enumerate(steps):
        label_ml_per_h = ml_per_h_from_mg_per_kg_per_min(
            step.rate_mg_per_kg_per_min, dosing_weight_kg, concentration_pct
        )
        minutes = None if index == len(steps) - 1 else step.minutes
        if top_ml_per_h <= label_ml_per_h:
            converted.append(RateStep(top_ml_per_h, minutes, top_limited_by))
        else:
            converted.append(RateStep(label_ml_per_h, minutes, "label_step"))
    return _never_slower_and_merged(converted)


@dataclass(frozen=True)
class PlannedStep:
    """One step of the schedule; the volume is exact, in mL * 60 (= rate * minutes)."""

    start_min: int
    rate_ml_per_h: int
    volume_ml_x60: int
    limited_by: LimitedBy = "protocol"

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
                limited_by=step.limited_by,
            )
            for step in self.steps
        ]


def titration(steps: Sequence[RateStep], daily_volume_ml: int) -> Titration:
    """Run ``steps`` (never slower, merged, last open-ended) until ``daily_volume_ml`` is given."""
    planned, infusion_minutes = _run_steps(steps, daily_volume_ml * MINUTES_PER_HOUR)
    top_rate_ml_per_h = steps[-1].rate_ml_per_h if steps else None
    reached_min = next(
        (step.start_min for step in planned if step.rate_ml_per_h == top_rate_ml_per_h), None
    )
    return Titration(tuple(planned), infusion_minutes, reached_min)


def _full_volume_ml_x60(step: RateStep) -> int | None:
    """The volume a step gives when it runs its minutes; None for the open-ended last step."""
    return None if step.minutes is None else step.rate_ml_per_h * step.minutes


def _run_steps(steps: Sequence[RateStep], remaining_ml_x60: int) -> tuple[list[PlannedStep], int]:
    """The steps that give ``remaining_ml_x60``, and the infusion's whole minutes."""
    planned: list[PlannedStep] = []
    start_min = 0
    infusion_minutes = 0
    for step in steps:
        if remaining_ml_x60 <= 0:
            break
        full_ml_x60 = _full_volume_ml_x60(step)
        if full_ml_x60 is None or full_ml_x60 >= remaining_ml_x60:
            planned.append(
                PlannedStep(start_min, step.rate_ml_per_h, remaining_ml_x60, step.limited_by)
            )
            # ceil(remaining / rate) in whole minutes, exactly.
            infusion_minutes = start_min + -(-remaining_ml_x60 // step.rate_ml_per_h)
            remaining_ml_x60 = 0
            break
        assert step.minutes is not None
        planned.append(PlannedStep(start_min, step.rate_ml_per_h, full_ml_x60, step.limited_by))
        remaining_ml_x60 -= full_ml_x60
        start_min += step.minutes
        infusion_minutes = start_min
    assert remaining_ml_x60 == 0, "the last step must be open-ended"
    return planned, infusion_minutes
