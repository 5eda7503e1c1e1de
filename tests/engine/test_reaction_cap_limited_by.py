"""What shaped each step of a plan capped by a reaction plan (docs/clinical-rules.md 3.4 rules
v3, 3.8.3): a step the cap slows, or one that runs exactly at the cap, says "reaction plan";
steps under the cap keep what shaped them; a step read back without its reason (JSON) says
"protocol titration".
"""

from __future__ import annotations

from decimal import Decimal

from ivig.engine import DosePlan, LabelRateStep, compute_plan
from ivig.engine.reaction_cap import capped_plan
from tests.engine.factories import plan_request, product

D = Decimal


def label_plan() -> DosePlan:
    # 70 kg, 10 %: label 1/2/3/4 mg/kg/min for 20/25/30/- minutes = 42/84/126/168 mL/h.
    steps = [
        LabelRateStep(rate_mg_per_kg_per_min=D(1), minutes=20),
        LabelRateStep(rate_mg_per_kg_per_min=D(2), minutes=25),
        LabelRateStep(rate_mg_per_kg_per_min=D(3), minutes=30),
        LabelRateStep(rate_mg_per_kg_per_min=D(4), minutes=None),
    ]
    facts = product("privigen", label_rate_steps=steps)
    return compute_plan(plan_request(product_facts=facts, rate_protocol="label", days_per_cycle=2))


def reasons(plan: DosePlan) -> list[tuple[int, int, str | None]]:
    return [(s.start_min, s.rate_ml_per_h, s.limited_by) for s in plan.titration or []]


def test_steps_under_the_cap_keep_their_reason_and_the_capped_ones_say_reaction_plan() -> None:
    plan = label_plan()
    assert reasons(plan)[:2] == [(0, 42, "label_step"), (20, 84, "label_step")]
    # Cap 100: 126 and 168 both run at 100 and merge into one step from minute 45.
    assert reasons(capped_plan(plan, 100)) == [
        (0, 42, "label_step"),
        (20, 84, "label_step"),
        (45, 100, "reaction_plan"),
    ]


def test_a_step_exactly_at_the_cap_says_reaction_plan() -> None:
    # Cap 84: the 84 mL/h step is not slowed, but from it on the cap is what holds the rate.
    assert reasons(capped_plan(label_plan(), 84)) == [
        (0, 42, "label_step"),
        (20, 84, "reaction_plan"),
    ]


def test_a_step_read_back_without_its_reason_says_protocol() -> None:
    plan = label_plan()
    bare = plan.model_copy(
        update={
            "titration": [
                step.model_copy(update={"limited_by": None}) for step in plan.titration or []
            ]
        }
    )
    assert reasons(capped_plan(bare, 100)) == [
        (0, 42, "protocol"),
        (20, 84, "protocol"),
        (45, 100, "reaction_plan"),
    ]


def test_an_unknown_reason_says_protocol_and_a_known_one_is_kept() -> None:
    plan = label_plan()
    steps = list(plan.titration or [])
    steps[0] = steps[0].model_copy(update={"limited_by": "a reason from elsewhere"})
    steps[1] = steps[1].model_copy(update={"limited_by": "at_risk_maximum"})
    odd = plan.model_copy(update={"titration": steps})
    assert reasons(capped_plan(odd, 100))[:2] == [(0, 42, "protocol"), (20, 84, "at_risk_maximum")]
