"""A signed plan capped at a reaction plan's maximum rate (docs/clinical-rules.md 3.8.3, 3.4):
every step above the cap runs at the cap, the day's volume is unchanged, the infusion lasts
longer, the vital checks and the chair time follow; a cap no step reaches changes nothing.

The expected plan is the engine's plan for the same order with the policy maximum at the cap:
both rules say "no step above the cap, same volume" (docs/clinical-rules.md 3.4), by two
different paths.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivig.engine import DosePlan, DosingPolicy, LabelRateStep, compute_plan
from ivig.engine.reaction_cap import capped_plan
from tests.engine.factories import plan_request, product

D = Decimal


def shape(plan: DosePlan) -> tuple[object, ...]:
    return (
        [(s.start_min, s.rate_ml_per_h, s.minutes, s.volume_ml) for s in plan.titration or []],
        plan.infusion_minutes,
        plan.target_rate_reached_min,
        plan.vital_checks_min,
        plan.chair_minutes,
    )


@pytest.mark.parametrize("cap", [1, 20, 34, 35, 36, 100, 149, 184])
def test_capped_protocol_plan_is_the_plan_with_the_cap_as_maximum(cap: int) -> None:
    # 70 kg, Privigen, 2 g/kg over 5 days: 280 mL, protocol 35, 50, ..., 185 mL/h.
    plan = compute_plan(plan_request())
    expected = compute_plan(plan_request(policy=DosingPolicy(max_rate_ml_per_h=cap)))
    capped = capped_plan(plan, cap)
    assert shape(capped) == shape(expected)
    assert capped.daily_dose_g == plan.daily_dose_g


def test_capped_label_plan_is_the_plan_with_the_cap_as_maximum() -> None:
    request = dict(product_slug="gammagard-liquid", rate_protocol="label", days_per_cycle=2)
    plan = compute_plan(plan_request(**request))  # type: ignore[arg-type]
    for cap in (30, 100, 150):
        expected = compute_plan(
            plan_request(**request, policy=DosingPolicy(max_rate_ml_per_h=cap))  # type: ignore[arg-type]
        )
        assert shape(capped_plan(plan, cap)) == shape(expected), cap


def test_a_cap_no_step_reaches_changes_nothing() -> None:
    plan = compute_plan(plan_request())
    top = max(s.rate_ml_per_h for s in plan.titration or [])
    assert capped_plan(plan, top) is plan
    assert capped_plan(plan, top + 1) is plan
    assert capped_plan(plan, top - 1) is not plan


def test_a_cap_below_one_runs_at_one_ml_per_h() -> None:
    plan = compute_plan(plan_request())
    capped = capped_plan(plan, 0)
    assert [s.rate_ml_per_h for s in capped.titration or []] == [1]
    assert capped.infusion_minutes == (plan.daily_volume_ml or 0) * 60  # 1 mL a minute... an hour


def test_a_plan_without_titration_is_unchanged() -> None:
    plan = compute_plan(plan_request(weight_kg=None))
    assert plan.titration is None
    assert capped_plan(plan, 10) is plan


def test_capping_keeps_the_observation_time_and_the_premedication_lead() -> None:
    policy = DosingPolicy(premedication_lead_minutes=45, observation_minutes=20)
    plan = compute_plan(plan_request(policy=policy))
    capped = capped_plan(plan, 60)
    assert capped.infusion_minutes is not None and plan.infusion_minutes is not None
    assert capped.infusion_minutes > plan.infusion_minutes
    assert capped.chair_minutes == 45 + capped.infusion_minutes + 20
    assert capped.premedication_min_before == 45


def test_steps_between_the_first_and_the_cap_keep_their_minutes() -> None:
    # A label schedule whose middle step is cut by the cap and whose later steps merge into it.
    steps = [
        LabelRateStep(rate_mg_per_kg_per_min=D(1), minutes=20),  # 42 mL/h at 70 kg, 10 %
        LabelRateStep(rate_mg_per_kg_per_min=D(2), minutes=25),  # 84
        LabelRateStep(rate_mg_per_kg_per_min=D(3), minutes=30),  # 126
        LabelRateStep(rate_mg_per_kg_per_min=D(4), minutes=None),  # 168
    ]
    facts = product("privigen", label_rate_steps=steps)
    plan = compute_plan(plan_request(product_facts=facts, rate_protocol="label", days_per_cycle=2))
    capped = capped_plan(plan, 100)
    assert [(s.start_min, s.rate_ml_per_h) for s in capped.titration or []] == [
        (0, 42),
        (20, 84),
        (45, 100),
    ]
    assert capped.target_rate_reached_min == 45


def test_no_premedication_lead_keeps_the_observation_time() -> None:
    policy = DosingPolicy(premedication_lead_minutes=0, observation_minutes=30)
    plan = compute_plan(plan_request(policy=policy))
    capped = capped_plan(plan, 60)
    assert capped.infusion_minutes is not None
    assert capped.chair_minutes == capped.infusion_minutes + 30


def test_a_plan_without_chair_time_or_volume_is_handled() -> None:
    plan = compute_plan(plan_request())
    no_chair = plan.model_copy(update={"chair_minutes": None})
    assert capped_plan(no_chair, 60).chair_minutes is None
    no_volume = plan.model_copy(update={"daily_volume_ml": None})
    assert capped_plan(no_volume, 60) is no_volume
