"""A signed plan's titration capped at a reaction plan's maximum rate (docs/clinical-rules.md
3.8.3, 3.4): every step above the cap runs at the cap, the day's volume is unchanged, so the
infusion lasts longer; the vital checks and the chair time follow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from ivig.engine.models import DosePlan, TitrationStep
from ivig.engine.rates import LIMITED_BY_WORDS, LimitedBy, RateStep, titration
from ivig.engine.schedule import chair_minutes, vital_checks_min


def _limited_by(code: str | None) -> LimitedBy:
    return cast(LimitedBy, code) if code in LIMITED_BY_WORDS else "protocol"


def capped_plan(plan: DosePlan, cap_ml_per_h: int) -> DosePlan:
    """``plan`` with no rate above ``cap_ml_per_h`` (at least 1 mL/h); unchanged when no step
    is above it or the plan has no titration."""
    cap = max(1, cap_ml_per_h)
    steps = plan.titration
    if not steps or plan.daily_volume_ml is None or all(s.rate_ml_per_h <= cap for s in steps):
        return plan
    planned = titration(_capped_steps(steps, cap), plan.daily_volume_ml)
    return plan.model_copy(
        update={
            "titration": planned.plan_steps(),
            "infusion_minutes": planned.infusion_minutes,
            "target_rate_reached_min": planned.target_rate_reached_min,
            "vital_checks_min": vital_checks_min(
                planned.infusion_minutes, planned.target_rate_reached_min
            ),
            "chair_minutes": _capped_chair_minutes(plan, planned.infusion_minutes),
        }
    )


def _capped_steps(steps: Sequence[TitrationStep], cap: int) -> list[RateStep]:
    """The plan's steps with every rate above ``cap`` at the cap; steps at the cap run as one."""
    rate_steps = [
        RateStep(
            min(step.rate_ml_per_h, cap),
            None if index == len(steps) - 1 else steps[index + 1].start_min - step.start_min,
            "reaction_plan" if step.rate_ml_per_h >= cap else _limited_by(step.limited_by),
        )
        for index, step in enumerate(steps)
    ]
    merged: list[RateStep] = []
    for step in rate_steps:
        if merged and merged[-1].rate_ml_per_h == step.rate_ml_per_h:
            before = merged[-1].minutes
            minutes = None if before is None or step.minutes is None else before + step.minutes
            merged[-1] = RateStep(step.rate_ml_per_h, minutes, merged[-1].limited_by)
        else:
            merged.append(step)
    return merged


def _capped_chair_minutes(plan: DosePlan, infusion_minutes: int) -> int | None:
    """The chair time for the longer infusion, with the plan's premedication lead and
    observation unchanged; None when the plan has none."""
    if plan.chair_minutes is None or plan.infusion_minutes is None:
        return None
    lead = plan.premedication_min_before or 0
    observation = plan.chair_minutes - lead - plan.infusion_minutes
    return chair_minutes(lead, infusion_minutes, observation)
