"""What shaped a step's rate (docs/clinical-rules.md 3.4, rules v3) at its ties and edges, and
the at-risk cap's source in the risk findings (3.8).

- A label step exactly at the top rate is shaped by the cap that sets the top (the caps come
  first among equals, as in the protocol).
- The policy maximum, when it is the lowest cap, is named "maximum_rate".
- The at-risk cap comes from the policy's default only where the patient is at risk and the
  label gives none; a patient not at risk has no at-risk cap, from anywhere.
- Label steps given without a concentration cannot be converted: the protocol alone applies.
- THROMBOSIS_RISK names the policy's default as the source of the cap where the label has none.
"""

from __future__ import annotations

from decimal import Decimal

from ivig.engine import DosingPolicy, compute_plan
from ivig.engine.rates import protocol_steps, rate_caps
from tests.engine.factories import plan_request, product

D = Decimal


def reasons(**overrides: object) -> list[tuple[int, int, str | None]]:
    plan = compute_plan(plan_request(**overrides))  # type: ignore[arg-type]
    return [(s.start_min, s.rate_ml_per_h, s.limited_by) for s in plan.titration or []]


def test_a_label_step_exactly_at_the_top_is_shaped_by_the_cap() -> None:
    # 40 kg woman, Privigen 10 %: mL/h = mg/kg/min x 40 x 60 / 100 = 24 x mg/kg/min.
    # Label 0.5/1/2/4/8 -> 12/24/48/96/192; label maximum 8 -> 192, below target and maximum 200:
    # the last step, 192, is the top, set by the label maximum. 1 g/kg a day: 40 g, 400 mL,
    # of which 90 mL in the first 120 minutes.
    assert reasons(
        weight_kg="40",
        height_cm="160",
        sex="female",
        rate_protocol="label",
        daily_dose_mg_per_kg="1000",
        days_per_cycle=2,
    ) == [
        (0, 12, "label_step"),
        (30, 24, "label_step"),
        (60, 48, "label_step"),
        (90, 96, "label_step"),
        (120, 192, "label_maximum"),
    ]


def test_the_policy_maximum_as_the_lowest_cap_is_named_maximum_rate() -> None:
    # 70 kg, Privigen label: 21/42/84/168/336 mL/h; policy maximum 150 below target 200 and label
    # maximum 336: the last two steps run at 150, shaped by the maximum rate.
    steps = reasons(rate_protocol="label", policy=DosingPolicy(max_rate_ml_per_h=150))
    assert steps[-1][1:] == (150, "maximum_rate")
    assert [rate for _, rate, _ in steps] == [21, 42, 84, 150]


def test_no_at_risk_cap_for_a_patient_not_at_risk_so_none_from_the_policy() -> None:
    caps = rate_caps(
        target_rate_ml_per_h=200,
        policy_max_rate_ml_per_h=200,
        label_max_mg_per_kg_per_min=D(8),
        at_risk_max_mg_per_kg_per_min=None,
        patient_at_risk=False,
        dosing_weight_kg=D(70),
        concentration_pct=D(10),
        default_at_risk_max_mg_per_kg_per_min=D("3.3"),
    )
    assert caps.at_risk_max_ml_per_h is None
    assert caps.at_risk_from_policy is False
    at_risk = rate_caps(
        target_rate_ml_per_h=200,
        policy_max_rate_ml_per_h=200,
        label_max_mg_per_kg_per_min=D(8),
        at_risk_max_mg_per_kg_per_min=None,
        patient_at_risk=True,
        dosing_weight_kg=D(70),
        concentration_pct=D(10),
        default_at_risk_max_mg_per_kg_per_min=D("3.3"),
    )
    assert (at_risk.at_risk_max_ml_per_h, at_risk.at_risk_from_policy) == (138, True)


def test_label_steps_without_a_concentration_leave_the_protocol_alone() -> None:
    # 70 kg: start 35, +15 every 15 minutes up to the bare top 200 (11 steps, the last at 200).
    label = product("privigen").label_rate_steps
    alone = protocol_steps(D(70), 200)
    assert protocol_steps(D(70), 200, label) == alone
    assert [step.rate_ml_per_h for step in alone] == [35 + 15 * k for k in range(11)] + [200]


def test_thrombosis_risk_names_the_policy_default_where_the_label_has_no_at_risk_maximum() -> None:
    # Privigen records none: 3.3 mg/kg/min x 70 x 60 / 100 = 138.6 -> 138 mL/h.
    plan = compute_plan(plan_request(risk_factors=("cardiac_disease",)))
    (found,) = [x for x in plan.findings if x.code == "THROMBOSIS_RISK"]
    assert found.message.endswith(
        " The rate is capped at 138 mL/h (the dosing policy's maximum for patients at risk, "
        "as the label gives none)."
    )
    # Octagam 10 % records 3.3 itself: the same cap, from the label.
    plan = compute_plan(plan_request(risk_factors=("cardiac_disease",), product_slug="octagam-10"))
    (found,) = [x for x in plan.findings if x.code == "THROMBOSIS_RISK"]
    assert found.message.endswith(
        " The rate is capped at 138 mL/h (the label's maximum for patients at risk)."
    )
