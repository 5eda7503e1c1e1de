"""Rules the second mutation tool (mutation/independent.py) found unpinned: mutmut leaves
decorated functions (pydantic validators, properties) and some constants alone.

- A formulary row cannot hold a 0 g vial, nor a label step without minutes before the last
  (docs/clinical-rules.md 3.3, 3.4: the last step runs to the end, every other has a duration).
- The cost of a course is the cost of a cycle times the cycles (3.7).
- Vial sizes that are all multiples of 10 g are whole grams like any others (3.3).
- However wide the policy's tolerance, a dose is never rounded to nothing (3.3, INVALID_INPUT).
- The protocol's steps follow the label step in force at each 15-minute step's start, also
  when a label step starts one minute after a protocol step (3.4, rules v3).
- A top rate far below the protocol's start rate is one open-ended step at the top (3.4).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivig.engine import DosingPolicy, LabelRateStep, compute_plan
from ivig.engine.dosing import DoseCaps, _mix, round_to_vials, vial_table
from tests.engine.factories import plan_request, product

D = Decimal
NO_CAPS = DoseCaps(daily_cap_g=D(10_000), window_cap_g=D(10_000), days_in_window=1)


@pytest.fixture(autouse=True)
def fresh_vial_tables() -> None:
    vial_table.cache_clear()
    _mix.cache_clear()


def test_a_0_g_vial_is_refused() -> None:
    with pytest.raises(ValueError, match="vial sizes must be above 0 g"):
        product("privigen", vial_sizes_g=[D(5), D(0)])
    assert product("privigen", vial_sizes_g=[D("0.5")]).vial_sizes_g == [D("0.5")]


def test_only_the_last_label_step_may_run_without_minutes() -> None:
    steps = [
        LabelRateStep(rate_mg_per_kg_per_min=D(1), minutes=30),
        LabelRateStep(rate_mg_per_kg_per_min=D(2), minutes=None),
        LabelRateStep(rate_mg_per_kg_per_min=D(4), minutes=None),
    ]
    with pytest.raises(ValueError, match="every label rate step but the last needs its minutes"):
        product("privigen", label_rate_steps=steps)
    first_open = [LabelRateStep(rate_mg_per_kg_per_min=D(1)), *steps[2:]]
    with pytest.raises(ValueError, match="every label rate step but the last needs its minutes"):
        product("privigen", label_rate_steps=first_open)
    assert len(product("privigen", label_rate_steps=[steps[0], steps[2]]).label_rate_steps) == 2


def test_the_cost_of_a_course_is_the_cost_of_a_cycle_times_the_cycles() -> None:
    # 70 kg, 2 g/kg over 5 days, 3 cycles 28 days apart: 28 g a day. Privigen 5/10/20/40 g:
    # 30 g (2 away) would make 150 g in 28 days, above 2 g/kg x 70 = 140 g; 25 g is 3 away,
    # beyond the 10 % tolerance (2.8 g): 28 g is kept, from 30 g of vials. Cost per cycle
    # 30 g x 5 days x 95 $/g = $14,250; the course, 3 cycles: $42,750.
    plan = compute_plan(plan_request(cycles=3, cycle_interval_days=28))
    assert plan.daily_dose_g == D("28.0")
    assert plan.cost_per_cycle == D("14250.00")
    assert plan.cost_per_course == D("42750.00")
    no_cost = plan.model_copy(update={"cost_per_cycle": None})
    assert no_cost.cost_per_course is None
    no_cycles = plan.model_copy(update={"cycles": None})
    assert no_cycles.cost_per_course is None


def test_vial_sizes_all_multiples_of_ten_grams() -> None:
    # 10/20 g vials: 30 g = 20 + 10; 34 g (tolerance 10 % = 3.4): 30 is 4 away (out), 40 is 6:
    # kept at 34.0 g, from 40 g = 20 + 20 (least waste, then fewest vials).
    exact = round_to_vials(
        calculated_daily_dose_g=D(30),
        vial_sizes_g=(D(10), D(20)),
        tolerance_pct=D(10),
        caps=NO_CAPS,
    )
    assert (exact.daily_dose_g, exact.vials) == (D(30), ((D(20), 1), (D(10), 1)))
    kept = round_to_vials(
        calculated_daily_dose_g=D(34),
        vial_sizes_g=(D(20), D(10)),
        tolerance_pct=D(10),
        caps=NO_CAPS,
    )
    assert (kept.daily_dose_g, kept.vials, kept.waste_g) == (D("34.0"), ((D(20), 2),), D("6.0"))


def test_a_tolerance_of_100_percent_never_rounds_a_dose_to_nothing() -> None:
    # 2.4 g with 5 g vials and a 100 % tolerance (2.4 g): 0 g is "2.4 away" but is no dose;
    # 5 g is 2.6 away (out): the dose is kept at 2.4 g from one 5 g vial.
    result = round_to_vials(
        calculated_daily_dose_g=D("2.4"),
        vial_sizes_g=(D(5),),
        tolerance_pct=D(100),
        caps=NO_CAPS,
    )
    assert (result.daily_dose_g, result.vials, result.waste_g) == (
        D("2.4"),
        ((D(5), 1),),
        D("2.6"),
    )
    # Through a plan: 6 kg child, 2 g/kg over 5 days = 2.4 g a day.
    plan = compute_plan(
        plan_request(
            weight_kg="6",
            height_cm="60",
            age_years=0,
            product_facts=product("privigen", vial_sizes_g=[D(5)]),
            policy=DosingPolicy(rounding_tolerance_pct=D(100)),
        )
    )
    assert plan.daily_dose_g == D("2.4")
    assert "INVALID_INPUT" not in [item.code for item in plan.findings]


def test_a_label_step_starting_one_minute_after_a_protocol_step_is_not_yet_in_force() -> None:
    # 70 kg, 10 %: label 1 mg/kg/min for 16 minutes (42 mL/h), then 4 (168 mL/h).
    # Protocol 35 + 15k mL/h every 15 minutes. Minute 0: min(35, 42) = 35; minute 15: the second
    # label step starts at 16, so the first is in force: min(50, 42) = 42; minute 30: min(65,
    # 168) = 65; then 80, 95, ... up to 200.
    steps = [
        LabelRateStep(rate_mg_per_kg_per_min=D(1), minutes=16),
        LabelRateStep(rate_mg_per_kg_per_min=D(4)),
    ]
    facts = product("privigen", label_rate_steps=steps, label_max_mg_per_kg_per_min=D(8))
    plan = compute_plan(plan_request(product_facts=facts, days_per_cycle=2))
    rates = [(s.start_min, s.rate_ml_per_h) for s in plan.titration or []]
    assert rates[:4] == [(0, 35), (15, 42), (30, 65), (45, 80)]
    assert plan.titration is not None and plan.titration[1].limited_by == "label_step"


def test_a_top_rate_far_below_the_start_is_one_step_at_the_top() -> None:
    # 70 kg: the protocol would start at 35 mL/h; a policy maximum of 10 mL/h (25 below it)
    # leaves one open-ended step at 10 mL/h: 280 mL at 10 mL/h = 1680 minutes.
    plan = compute_plan(plan_request(policy=DosingPolicy(max_rate_ml_per_h=10)))
    assert [(s.start_min, s.rate_ml_per_h) for s in plan.titration or []] == [(0, 10)]
    assert plan.infusion_minutes == 1680
