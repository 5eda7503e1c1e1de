"""Rates, rules v3 (docs/clinical-rules.md 3.4): the product's label titration bounds the
protocol; the dosing policy's default at-risk maximum where the formulary records none; each step
says what shaped it. Worked examples computed by hand in their comments, then properties."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from hypothesis import HealthCheck, assume, given, settings

from ivig.engine import DosePlan, DosingPolicy, PlanRequest, compute_plan, dose_plan_to_json
from ivig.engine.rules import base_facts
from tests.engine.factories import plan_request, product
from tests.engine.strategies import valid_requests

D = Decimal

SETTINGS = settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def steps(plan: DosePlan) -> list[tuple[int, int, Decimal, Decimal, str | None]]:
    return [
        (s.start_min, s.rate_ml_per_h, s.minutes, s.volume_ml, s.limited_by)
        for s in plan.titration or []
    ]


def test_design_worked_example_privigen_47_5_kg() -> None:
    """docs/clinical-rules.md 3.4, the worked example: Privigen 10 %, 47.5 kg, no risk factor."""
    plan = compute_plan(
        plan_request(
            weight_kg="47.5", height_cm="160", sex="female", age_years=40,
            daily_dose_mg_per_kg="1000", days_per_cycle=1,
        )
    )  # fmt: skip
    # 160 cm woman: IBW 45.5 + 2.3 * (62.99 - 60) = 52.4 > 47.5 -> actual weight 47.5 kg.
    # 1 g/kg = 47.5 g; within 10 % 45 and 50 g are 2.5 away but 50 > the 47.5 g daily cap: 45 g
    # (40 + 5), 450 mL.
    assert plan.dosing_weight_kg == D("47.5")
    assert plan.daily_volume_ml == 450
    # label: mg/kg/min * 47.5 * 60 / 100 = * 28.5, rounded down: 0.5 -> 14, 1 -> 28, 2 -> 57,
    # 4 -> 114 (30 min each), 8 -> 228. Protocol: floor(23.75) = 23, + 15 every 15 minutes.
    # 0: min(23, 14) = 14 | 15: min(38, 14) | 30: min(53, 28) = 28 | 45: min(68, 28)
    # 60: min(83, 57) = 57 | 75: min(98, 57) | 90: min(113, 114) = 113 (protocol)
    # 105: min(128, 114) = 114 (label) | 120: min(143, 228) = 143 | 158 | 173 | 188 | 180: 200.
    # Volumes: 7, 14, 28.5, 28.25, 28.5, 35.75, 39.5, 43.25, 47 = 271.75 mL by 180 min;
    # 178.25 mL at 200 mL/h = 53.475 min; total 233.475 -> 234
    assert steps(plan) == [
        (0, 14, D("30.0"), D("7.0"), "label_step"),
        (30, 28, D("30.0"), D("14.0"), "label_step"),
        (60, 57, D("30.0"), D("28.5"), "label_step"),
        (90, 113, D("15.0"), D("28.3"), "protocol"),
        (105, 114, D("15.0"), D("28.5"), "label_step"),
        (120, 143, D("15.0"), D("35.8"), "protocol"),
        (135, 158, D("15.0"), D("39.5"), "protocol"),
        (150, 173, D("15.0"), D("43.3"), "protocol"),
        (165, 188, D("15.0"), D("47.0"), "protocol"),
        (180, 200, D("53.5"), D("178.3"), "target_rate"),
    ]
    assert plan.target_rate_reached_min == 180
    assert plan.infusion_minutes == 234
    # the JSON of docs/api.md is unchanged: four numbers a step, no explanation
    assert dose_plan_to_json(plan)["titration"][0] == {
        "start_min": 0,
        "rate_ml_per_h": 14,
        "minutes": "30.0",
        "volume_ml": "7.0",
    }


def test_default_at_risk_maximum_where_the_formulary_records_none() -> None:
    # Privigen records no at-risk maximum; age 70 is a renal and thrombosis risk: the policy's
    # default 3.3 mg/kg/min * 70 * 60 / 100 = 138.6 -> 138 mL/h caps the plan.
    plan = compute_plan(plan_request(age_years=70))
    # 28 g, 280 mL. label (* 42): 21 (0-30), 42 (30-60), 84 (60-90), 168 (90-120);
    # 90: min(125, 168) = 125 (protocol); 105: min(140, 168, 138) = 138 (at-risk maximum).
    # Volumes 10.5 + 21 + 42 + 31.25 = 104.75 by 105 min; 175.25 mL at 138 mL/h = 76.2 min
    # -> 181.2 -> 182
    assert steps(plan) == [
        (0, 21, D("30.0"), D("10.5"), "label_step"),
        (30, 42, D("30.0"), D("21.0"), "label_step"),
        (60, 84, D("30.0"), D("42.0"), "label_step"),
        (90, 125, D("15.0"), D("31.3"), "protocol"),
        (105, 138, D("76.2"), D("175.3"), "at_risk_maximum"),
    ]
    assert plan.infusion_minutes == 182
    renal = next(f for f in plan.findings if f.code == "RENAL_RISK")
    assert "138 mL/h" in renal.message
    assert "dosing policy" in renal.message


def test_the_policy_default_is_the_pharmacists_setting() -> None:
    # default 2 mg/kg/min: 2 * 70 * 0.6 = 84 mL/h; the label's 84 (60-90) equals the cap, which
    # is named first on a tie (the cap holds the rate from then on)
    plan = compute_plan(
        plan_request(age_years=70, policy=DosingPolicy(default_at_risk_max_mg_per_kg_per_min=D(2)))
    )
    rates = [s.rate_ml_per_h for s in plan.titration or []]
    assert rates == [21, 42, 84]
    assert plan.titration is not None
    assert plan.titration[-1].limited_by == "at_risk_maximum"


def test_a_recorded_at_risk_maximum_wins_over_the_policy_default() -> None:
    # Octagam 10 % records 3.3 mg/kg/min (138 mL/h at 70 kg); a policy default of 1 is not used
    plan = compute_plan(
        plan_request(
            age_years=70,
            product_slug="octagam-10",
            policy=DosingPolicy(default_at_risk_max_mg_per_kg_per_min=D(1)),
        )
    )
    assert max(s.rate_ml_per_h for s in plan.titration or []) == 138


def test_no_risk_no_at_risk_cap() -> None:
    plan = compute_plan(plan_request(age_years=64, days_per_cycle=2))  # 700 mL
    assert plan.titration is not None
    assert plan.titration[-1].rate_ml_per_h == 200
    assert plan.titration[-1].limited_by == "target_rate"


def test_the_label_protocol_also_takes_the_default_at_risk_cap() -> None:
    plan = compute_plan(plan_request(age_years=70, rate_protocol="label"))
    # label 21, 42, 84, then 168 capped at 138 (at-risk maximum), 336 -> 138 merged
    assert [(s.start_min, s.rate_ml_per_h, s.limited_by) for s in plan.titration or []] == [
        (0, 21, "label_step"),
        (30, 42, "label_step"),
        (60, 84, "label_step"),
        (90, 138, "at_risk_maximum"),
    ]


def test_a_label_maximum_below_the_target_is_named() -> None:
    # 25 kg child on Privigen: label max 8 * 25 * 0.6 = 120 mL/h, below the 200 target
    plan = compute_plan(
        plan_request(
            weight_kg="25", height_cm="125", age_years=8, indication_slug="kawasaki-disease",
            days_per_cycle=1,
        )
    )  # fmt: skip
    assert plan.titration is not None
    last = plan.titration[-1]
    assert (last.rate_ml_per_h, last.limited_by) == (120, "label_maximum")


# --- properties ---------------------------------------------------------------------------------


def _ml_per_h(mg_per_kg_per_min: Decimal, dosing_weight_kg: Decimal, conc: Decimal) -> int:
    exact = mg_per_kg_per_min * dosing_weight_kg * 60 / (10 * conc)
    return max(1, int(exact.to_integral_value(rounding=ROUND_FLOOR)))


def _label_at(request: PlanRequest, dosing_weight_kg: Decimal, minute: int) -> int | None:
    assert request.product is not None
    start = 0
    rate = None
    for step in request.product.label_rate_steps:
        if start > minute:
            break
        rate = _ml_per_h(
            step.rate_mg_per_kg_per_min, dosing_weight_kg, request.product.concentration_pct
        )
        start += step.minutes or 0
    return rate


def _planned(request: PlanRequest) -> DosePlan:
    plan = compute_plan(request)
    assume("INVALID_INPUT" not in [f.code for f in plan.findings])
    assume(plan.titration is not None and plan.dosing_weight_kg is not None)
    return plan


@SETTINGS
@given(valid_requests())
def test_no_protocol_step_faster_than_the_label_at_its_minute(request: PlanRequest) -> None:
    assume(request.rate_protocol == "protocol")
    plan = _planned(request)
    assert plan.titration is not None and plan.dosing_weight_kg is not None
    for step in plan.titration:
        # every 15-minute block the step covers starts under the label step in force then
        first = step.start_min
        last = step.start_min + int(step.minutes)
        for minute in range(first, max(first + 1, last), 15):
            label = _label_at(request, plan.dosing_weight_kg, minute)
            if label is not None:
                assert step.rate_ml_per_h <= label, (minute, step)


@SETTINGS
@given(valid_requests())
def test_at_risk_patients_never_above_the_at_risk_maximum(request: PlanRequest) -> None:
    plan = _planned(request)
    assert plan.titration is not None and plan.dosing_weight_kg is not None
    assert request.product is not None
    facts = base_facts(request.patient, request.product)
    if not (facts.renal_risk or facts.thrombosis_risk):
        return
    at_risk = request.product.at_risk_max_mg_per_kg_per_min or (
        request.policy.default_at_risk_max_mg_per_kg_per_min
    )
    cap = _ml_per_h(at_risk, plan.dosing_weight_kg, request.product.concentration_pct)
    assert all(step.rate_ml_per_h <= cap for step in plan.titration)


@SETTINGS
@given(valid_requests())
def test_each_step_names_what_shaped_it(request: PlanRequest) -> None:
    plan = _planned(request)
    assert plan.titration is not None and plan.dosing_weight_kg is not None
    assert request.product is not None
    weight, conc = plan.dosing_weight_kg, request.product.concentration_pct
    for step in plan.titration:
        rate = step.rate_ml_per_h
        if step.limited_by == "target_rate":
            assert rate == request.target_rate_ml_per_h
        elif step.limited_by == "maximum_rate":
            assert rate == min(200, request.policy.max_rate_ml_per_h)
        elif step.limited_by == "label_maximum":
            assert request.product.label_max_mg_per_kg_per_min is not None
            assert rate == _ml_per_h(request.product.label_max_mg_per_kg_per_min, weight, conc)
        elif step.limited_by == "at_risk_maximum":
            at_risk = request.product.at_risk_max_mg_per_kg_per_min or (
                request.policy.default_at_risk_max_mg_per_kg_per_min
            )
            assert rate == _ml_per_h(at_risk, weight, conc)
        elif step.limited_by == "label_step":
            assert rate == _label_at(request, weight, step.start_min)
        else:
            assert step.limited_by == "protocol"
            assert request.rate_protocol == "protocol"
            start = max(1, int((D("0.5") * weight).to_integral_value(rounding=ROUND_FLOOR)))
            assert (rate - start) % 15 == 0 and rate >= start


def test_product_without_label_steps_only_its_label_maximum() -> None:
    bare = product("privigen", label_rate_steps=[])
    plan = compute_plan(plan_request(product_facts=bare))
    assert plan.titration is not None
    assert plan.titration[0].rate_ml_per_h == 35  # floor(0.5 * 70), no label step below it
    assert plan.titration[0].limited_by == "protocol"


# --- the adjusted-body-weight rule, a dosing-policy choice (docs/clinical-rules.md 3.1, v3) -----


ONTARIO = DosingPolicy(adjusted_weight_rule="any_adult_above_ibw")


def test_ontario_rule_adjusts_an_adult_above_ideal_weight_that_the_default_does_not() -> None:
    # 60 kg, 165 cm woman: IBW 56.909; 60 > 56.909 but not over 120 % (68.29), BMI 22.0
    default = compute_plan(plan_request(weight_kg="60", height_cm="165", sex="female"))
    ontario = compute_plan(
        plan_request(weight_kg="60", height_cm="165", sex="female", policy=ONTARIO)
    )
    assert (default.dosing_weight_basis, default.dosing_weight_kg) == ("actual", D(60))
    # adjusted 56.909 + 0.4 * 3.091 = 58.145 -> 58.1
    assert (ontario.dosing_weight_basis, ontario.dosing_weight_kg) == ("adjusted", D("58.1"))


def test_ontario_rule_keeps_actual_weight_at_or_below_ideal_children_short_and_pregnant() -> None:
    at_ibw = compute_plan(
        plan_request(weight_kg="56", height_cm="165", sex="female", policy=ONTARIO)
    )
    child = compute_plan(
        plan_request(weight_kg="80", height_cm="165", age_years=17, policy=ONTARIO)
    )
    # 152.3 cm is under 60 inches (152.4 cm); the default's threshold is 152 cm
    short = compute_plan(
        plan_request(weight_kg="90", height_cm="152.3", sex="female", policy=ONTARIO)
    )
    tall_enough = compute_plan(
        plan_request(weight_kg="90", height_cm="152.4", sex="female", policy=ONTARIO)
    )
    assert [p.dosing_weight_basis for p in (at_ibw, child, short, tall_enough)] == [
        "actual",
        "actual",
        "actual",
        "adjusted",
    ]
