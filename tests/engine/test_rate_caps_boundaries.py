"""The top rate is the lowest of its caps (docs/clinical-rules.md 3.4): the target, the policy
maximum, the absolute 200 mL/h, the label maximum and, for a patient at renal OR thrombosis risk,
the label's at-risk maximum (rules v3: the policy's default at-risk maximum where the formulary
records none). Steps carry what shaped their rate (``limited_by``). Each test moves one cap
below the others, so a plan that took the wrong one (max for min, and for or, a cap off by one)
gives another rate.

Expected rates are worked out here from the conversion rule itself
(mL/h = mg/kg/min * kg * 60 / (10 * concentration %), rounded down), never copied from the engine.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import pytest

from ivig.engine import DosingPolicy, LabelRateStep, compute_plan
from ivig.engine.rates import (
    RateCaps,
    RateStep,
    label_steps,
    max_rate_ml_per_h,
    protocol_steps,
    rate_caps,
    titration,
)
from tests.engine.factories import plan_request, product

D = Decimal


def converted(mg_per_kg_per_min: str, weight_kg: str, concentration_pct: str) -> int:
    """The conversion rule of docs/clinical-rules.md 3.4, written out independently."""
    value = D(mg_per_kg_per_min) * D(weight_kg) * 60 / (10 * D(concentration_pct))
    return max(1, int(value.to_integral_value(rounding=ROUND_FLOOR)))


def top_rate(plan_rates: list[int]) -> int:
    return max(plan_rates)


def rates(**overrides: object) -> list[int]:
    """The plan's step rates; 2 g/kg over 2 days (1 g/kg a day) so the volume outlasts the climb
    to the top rate."""
    overrides.setdefault("days_per_cycle", 2)
    plan = compute_plan(plan_request(**overrides))  # type: ignore[arg-type]
    assert plan.titration, plan.findings
    return [step.rate_ml_per_h for step in plan.titration]


# --- the absolute maximum and the policy maximum --------------------------------------------


@pytest.mark.parametrize("policy_max", [1, 120, 199, 200])
def test_policy_maximum_at_or_below_200_is_the_maximum(policy_max: int) -> None:
    assert max_rate_ml_per_h(policy_max) == policy_max


@pytest.mark.parametrize("policy_max", [201, 250, 10_000])
def test_policy_maximum_above_200_is_held_at_200(policy_max: int) -> None:
    assert max_rate_ml_per_h(policy_max) == 200


def test_a_policy_maximum_below_200_caps_the_plan() -> None:
    # 70 kg, Privigen 10 %: label max 8 mg/kg/min = 336 mL/h, far above; target 200.
    plan_rates = rates(policy=DosingPolicy(max_rate_ml_per_h=150))
    assert top_rate(plan_rates) == 150
    assert plan_rates[-1] == 150


def test_a_policy_maximum_above_200_still_plans_at_200() -> None:
    plan_rates = rates(policy=DosingPolicy(max_rate_ml_per_h=260), target_rate_ml_per_h=260)
    assert top_rate(plan_rates) == 200


def test_policy_maximum_one_above_the_target_leaves_the_target() -> None:
    assert (
        top_rate(rates(policy=DosingPolicy(max_rate_ml_per_h=151), target_rate_ml_per_h=150)) == 150
    )


def test_rate_above_maximum_is_judged_on_the_policy_maximum() -> None:
    below = compute_plan(
        plan_request(policy=DosingPolicy(max_rate_ml_per_h=150), target_rate_ml_per_h=150)
    )
    above = compute_plan(
        plan_request(policy=DosingPolicy(max_rate_ml_per_h=150), target_rate_ml_per_h=151)
    )
    assert "RATE_ABOVE_MAXIMUM" not in [f.code for f in below.findings]
    assert "RATE_ABOVE_MAXIMUM" in [f.code for f in above.findings]
    assert top_rate([s.rate_ml_per_h for s in above.titration or []]) == 150


# --- the label and at-risk maxima ------------------------------------------------------------


def test_label_maximum_caps_when_it_is_the_lowest() -> None:
    # Gammagard S/D 5 %: label max 3.3 mg/kg/min; at 70 kg -> 3.3 * 70 * 60 / 50 = 277.2: above
    # 200. At 40 kg (height 150 so the actual weight is used) -> 158.4 -> 158.
    expected = converted("3.3", "40", "5")
    plan_rates = rates(
        product_slug="gammagard-sd",
        weight_kg="40",
        height_cm="150",
        sex="female",
        iga_status="normal",
    )
    assert expected < 200
    assert top_rate(plan_rates) == expected


def test_label_maximum_one_rate_above_the_target_leaves_the_target() -> None:
    expected = converted("3.3", "40", "5")
    plan_rates = rates(
        product_slug="gammagard-sd",
        weight_kg="40",
        height_cm="150",
        sex="female",
        target_rate_ml_per_h=expected - 1,
    )
    assert top_rate(plan_rates) == expected - 1


@pytest.mark.parametrize(
    ("risk_factors", "age_years"),
    [
        (("renal_impairment",), 40),  # renal only
        (("diabetes",), 40),  # renal only
        (("thrombosis",), 40),  # thrombosis only
        (("cardiac_disease",), 40),  # thrombosis only
        ((), 65),  # age alone (both groups)
    ],
)
def test_at_risk_maximum_applies_to_a_patient_with_either_risk(
    risk_factors: tuple[str, ...], age_years: int
) -> None:
    # Octagam 10 %: label max 12 (504 mL/h at 70 kg, above 200); at-risk max 3.3 -> 138.6 -> 138.
    expected = converted("3.3", "70", "10")
    plan_rates = rates(product_slug="octagam-10", risk_factors=risk_factors, age_years=age_years)
    assert top_rate(plan_rates) == expected


def test_no_risk_no_at_risk_maximum() -> None:
    plan_rates = rates(product_slug="octagam-10", age_years=64)
    assert top_rate(plan_rates) == 200


def test_egfr_below_60_counts_as_renal_risk_for_the_at_risk_maximum() -> None:
    request = plan_request(product_slug="octagam-10")
    patient = request.patient.model_copy(update={"latest_egfr_ml_min_173m2": D(59)})
    plan = compute_plan(request.model_copy(update={"patient": patient}))
    assert top_rate([s.rate_ml_per_h for s in plan.titration or []]) == converted("3.3", "70", "10")


def test_at_risk_maximum_falls_back_to_the_policy_default() -> None:
    # Rules v3: Privigen records no at-risk maximum, so a renal patient is capped at the dosing
    # policy's default at-risk maximum (3.3 mg/kg/min): 3.3 * 70 * 60 / 100 = 138.6 -> 138;
    # without the risk the same plan climbs to 200.
    assert top_rate(rates(risk_factors=("renal_impairment",))) == converted("3.3", "70", "10")
    assert top_rate(rates()) == 200
    # The pharmacist's default moves it: 2.5 * 70 * 60 / 100 = 105.
    policy = DosingPolicy(default_at_risk_max_mg_per_kg_per_min=D("2.5"))
    plan_rates = rates(risk_factors=("renal_impairment",), policy=policy)
    assert top_rate(plan_rates) == converted("2.5", "70", "10") == 105


def test_at_risk_cap_in_the_finding_is_the_binding_one() -> None:
    # With the policy maximum below the at-risk cap, the finding names the lower of the two.
    plan = compute_plan(
        plan_request(
            product_slug="octagam-10",
            risk_factors=("renal_impairment",),
            policy=DosingPolicy(max_rate_ml_per_h=100),
        )
    )
    renal = next(f for f in plan.findings if f.code == "RENAL_RISK")
    assert "100 mL/h" in renal.message
    assert f"{converted('3.3', '70', '10')} mL/h" not in renal.message


def test_rate_caps_unit_each_cap_can_be_the_lowest() -> None:
    common = {
        "dosing_weight_kg": D(70),
        "concentration_pct": D(10),
    }
    label = converted("3", "70", "10")  # 126
    at_risk = converted("2", "70", "10")  # 84
    cases = [
        # (target, policy, label, at-risk, at risk?) -> expected top
        ((90, 200, None, None, False), 90),
        ((200, 95, None, None, False), 95),
        ((250, 300, None, None, False), 200),
        ((200, 200, "3", None, False), label),
        ((200, 200, "3", "2", False), label),
        ((200, 200, "3", "2", True), at_risk),
        ((200, 200, None, "2", True), at_risk),
        ((80, 200, "3", "2", True), 80),
    ]
    for (target, policy, label_max, risk_max, at_risk_patient), expected in cases:
        caps = rate_caps(
            target_rate_ml_per_h=target,
            policy_max_rate_ml_per_h=policy,
            label_max_mg_per_kg_per_min=None if label_max is None else D(label_max),
            at_risk_max_mg_per_kg_per_min=None if risk_max is None else D(risk_max),
            patient_at_risk=at_risk_patient,
            **common,
        )
        assert caps.top_rate_ml_per_h == expected, (target, policy, label_max, risk_max)
        assert caps.maximum_ml_per_h == min(200, policy)


def test_top_rate_is_the_minimum_of_all_caps() -> None:
    assert RateCaps(150, 200, 180, 170).top_rate_ml_per_h == 150
    assert RateCaps(200, 200, 180, 170).top_rate_ml_per_h == 170
    assert RateCaps(200, 200, 160, 170).top_rate_ml_per_h == 160
    assert RateCaps(200, 190, None, None).top_rate_ml_per_h == 190


def test_conversion_rounds_down_and_never_below_one() -> None:
    from ivig.engine.rates import ml_per_h_from_mg_per_kg_per_min

    # 0.5 * 3.3 * 60 / 100 = 0.99 -> at least 1
    assert ml_per_h_from_mg_per_kg_per_min(D("0.5"), D("3.3"), D(10)) == 1
    # 1 * 70 * 60 / 100 = 42 exactly; 1.01 * 70 * 60 / 100 = 42.42 -> 42; 0.999.. -> 41
    assert ml_per_h_from_mg_per_kg_per_min(D(1), D(70), D(10)) == 42
    assert ml_per_h_from_mg_per_kg_per_min(D("1.01"), D(70), D(10)) == 42
    assert ml_per_h_from_mg_per_kg_per_min(D("0.999"), D(70), D(10)) == 41
    # 5 % holds half as much per mL: twice the mL/h
    assert ml_per_h_from_mg_per_kg_per_min(D(1), D(70), D(5)) == 84


# --- the protocol ------------------------------------------------------------------------------


def test_protocol_starts_at_half_a_ml_per_kg_and_climbs_by_15_every_15_minutes() -> None:
    steps = protocol_steps(D("61.9"), 200)  # 0.5 * 61.9 = 30.95 -> 30
    assert steps[0] == RateStep(30, 15)
    assert [s.rate_ml_per_h for s in steps] == [30, 45, 60, 75, 90, 105, 120, 135, 150, 165, 180,
                                                 195, 200]  # fmt: skip
    assert all(s.minutes == 15 for s in steps[:-1])
    assert steps[-1].minutes is None


def test_protocol_start_above_the_top_rate_runs_at_the_top_rate() -> None:
    # start 0.5 * 300 = 150 > 100: one open step at the top rate (a bare top rate is the target)
    assert protocol_steps(D(300), 100) == [RateStep(100, None, "target_rate")]


def test_protocol_start_is_at_least_one_ml_per_h() -> None:
    assert protocol_steps(D("1.5"), 200)[0].rate_ml_per_h == 1


def test_protocol_last_climb_is_cut_at_the_top_rate() -> None:
    steps = protocol_steps(D(60), 40)  # start 30, then 45 -> capped to 40
    assert steps == [RateStep(30, 15, "protocol"), RateStep(40, None, "target_rate")]


# --- label schedules that dip or plateau ------------------------------------------------------


def label(*spec: tuple[str, int | None]) -> list[LabelRateStep]:
    return [
        LabelRateStep(rate_mg_per_kg_per_min=D(rate), minutes=minutes) for rate, minutes in spec
    ]


def test_label_schedule_that_dips_after_a_rise_keeps_the_higher_rate_and_merges() -> None:
    # 70 kg, 10 %: 1 -> 42, 2 -> 84, 1.5 -> 63 (dips: held at 84), 3 -> 126 mL/h
    steps = label_steps(label(("1", 30), ("2", 30), ("1.5", 30), ("3", None)), D(70), D(10), 200)
    # every rate is below the top 200: each step is set by its label step
    assert steps == [
        RateStep(42, 30, "label_step"),
        RateStep(84, 60, "label_step"),
        RateStep(126, None, "label_step"),
    ]


def test_label_schedule_with_a_plateau_merges_the_equal_steps() -> None:
    steps = label_steps(label(("1", 30), ("2", 20), ("2", 25), ("3", None)), D(70), D(10), 200)
    assert steps == [
        RateStep(42, 30, "label_step"),
        RateStep(84, 45, "label_step"),
        RateStep(126, None, "label_step"),
    ]


def test_label_plateau_after_two_rises_merges_into_the_last_step_only() -> None:
    # 42, 84, 126 (20 min), 126 (25 min), 168: the plateau merges into the third step (45 min)
    steps = label_steps(
        label(("1", 30), ("2", 30), ("3", 20), ("3", 25), ("4", None)), D(70), D(10), 200
    )
    assert steps == [
        RateStep(42, 30, "label_step"),
        RateStep(84, 30, "label_step"),
        RateStep(126, 45, "label_step"),
        RateStep(168, None, "label_step"),
    ]


def test_label_dip_after_two_rises_is_held_at_the_last_rate() -> None:
    steps = label_steps(
        label(("1", 30), ("2", 30), ("3", 20), ("1.5", 25), ("4", None)), D(70), D(10), 200
    )
    assert steps == [
        RateStep(42, 30, "label_step"),
        RateStep(84, 30, "label_step"),
        RateStep(126, 45, "label_step"),
        RateStep(168, None, "label_step"),
    ]


def test_label_steps_above_the_top_rate_merge_into_one_open_step() -> None:
    # 42; 4 -> 168 and 8 -> 336 both capped at the top 150 (a bare top rate is the target)
    steps = label_steps(label(("1", 30), ("4", 30), ("8", None)), D(70), D(10), 150)
    assert steps == [RateStep(42, 30, "label_step"), RateStep(150, None, "target_rate")]


def test_label_last_step_runs_to_the_end_whatever_minutes_it_is_given() -> None:
    steps = label_steps(label(("1", 30), ("2", 30)), D(70), D(10), 200)
    assert steps == [RateStep(42, 30, "label_step"), RateStep(84, None, "label_step")]
    # 500 mL: 21 mL in the first 30 min, then 479 mL at 84 mL/h = 342.14 min
    planned = titration(steps, 500)
    assert planned.infusion_minutes == 30 + -(-(479 * 60) // 84)
    assert planned.target_rate_reached_min == 30


def test_label_plan_with_a_dipping_schedule_through_compute_plan() -> None:
    dipping = product(
        "privigen",
        label_rate_steps=label(("1", 30), ("2", 30), ("1.5", 30), ("3", 30)),
        label_max_mg_per_kg_per_min=None,
    )
    plan = compute_plan(plan_request(product_facts=dipping, rate_protocol="label"))
    assert plan.titration is not None
    assert [(s.start_min, s.rate_ml_per_h) for s in plan.titration] == [
        (0, 42),
        (30, 84),
        (90, 126),
    ]
    assert plan.target_rate_reached_min == 90


# --- titration boundaries -----------------------------------------------------------------------


def test_volume_complete_exactly_at_a_step_boundary_adds_no_empty_step() -> None:
    # 30 mL/h for 60 min = 30 mL exactly
    planned = titration([RateStep(30, 60), RateStep(60, None)], 30)
    assert [(s.start_min, s.rate_ml_per_h, s.volume_ml) for s in planned.steps] == [(0, 30, D(30))]
    assert planned.infusion_minutes == 60
    assert planned.target_rate_reached_min is None


def test_volume_one_ml_past_a_step_boundary_starts_the_next_step() -> None:
    planned = titration([RateStep(30, 60), RateStep(60, None)], 31)
    assert [(s.start_min, s.rate_ml_per_h) for s in planned.steps] == [(0, 30), (60, 60)]
    assert planned.infusion_minutes == 61  # 1 mL at 60 mL/h = 1 min
    assert planned.target_rate_reached_min == 60


def test_infusion_minutes_round_up_a_part_minute() -> None:
    planned = titration([RateStep(7, None)], 1)  # 60/7 = 8.57 min
    assert planned.infusion_minutes == 9
    assert planned.steps[0].minutes == D("8.6")
    assert planned.steps[0].volume_ml == D(1)


def test_no_volume_gives_no_step() -> None:
    planned = titration([RateStep(30, 15), RateStep(60, None)], 0)
    assert (planned.steps, planned.infusion_minutes, planned.target_rate_reached_min) == (
        (),
        0,
        None,
    )
    assert titration([], 0).steps == ()


def test_a_sixtieth_of_a_ml_left_still_runs() -> None:
    # 1 mL = 60 mL*min; 59 mL/h for 1 minute leaves 1 mL*min for the next step
    planned = titration([RateStep(59, 1), RateStep(60, None)], 1)
    assert [(s.start_min, s.rate_ml_per_h, s.volume_ml_x60) for s in planned.steps] == [
        (0, 59, 59),
        (1, 60, 1),
    ]
    assert planned.infusion_minutes == 2


def test_steps_that_end_before_the_volume_are_refused() -> None:
    with pytest.raises(AssertionError, match=r"^the last step must be open-ended$"):
        titration([RateStep(30, 10)], 100)
