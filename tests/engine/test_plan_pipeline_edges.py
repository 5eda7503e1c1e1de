"""The plan's pipeline at its edges (docs/clinical-rules.md 3, 3.8 INVALID_INPUT; plan.py): what
is still computed when something is unknown, the exact ends of the valid ranges, several
problems in one INVALID_INPUT, the displayed numbers' rounding, and a caller's decimal context.

Every expected number is worked by hand in the comment beside it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, localcontext

from ivig.engine import DosePlan, DosingPolicy, compute_plan
from tests.engine.factories import plan_request, product

D = Decimal
ONTARIO = DosingPolicy(adjusted_weight_rule="any_adult_above_ibw")


def codes(plan: DosePlan) -> list[str]:
    return [item.code for item in plan.findings]


def invalid_message(plan: DosePlan) -> str:
    (found,) = [item for item in plan.findings if item.code == "INVALID_INPUT"]
    return found.message


# --- what is known when something else is not ---------------------------------------------


def test_an_unknown_indication_still_shows_the_calculated_dose() -> None:
    # 70 kg x 2 g/kg / 5 days = 28 g; without the indication's caps it cannot be rounded.
    plan = compute_plan(plan_request(indication_slug=None))
    assert plan.calculated_daily_dose_g == D("28.0")
    assert plan.daily_dose_g is None
    assert "the indication is unknown" in invalid_message(plan)


def test_a_daily_regimen_with_invalid_days_shows_its_calculated_dose_and_no_more() -> None:
    # 400 mg/kg x 70 kg = 28 g a day whatever the days; 6 days per cycle is invalid, so the
    # 28-day judgement (and the rounding within it) is unknown.
    plan = compute_plan(plan_request(daily_dose_mg_per_kg="400", days_per_cycle=6))
    assert plan.calculated_daily_dose_g == D("28.0")
    assert (plan.daily_dose_g, plan.titration, plan.cycles) == (None, None, None)
    assert "6 days per cycle is not between 1 and 5" in invalid_message(plan)


def test_a_daily_dose_of_exactly_1_g_is_a_dose() -> None:
    # 5 kg child, 1 g/kg over 5 days: 1 g a day, one 1 g vial of Gammagard Liquid.
    plan = compute_plan(
        plan_request(
            weight_kg="5",
            height_cm="60",
            age_years=0,
            total_dose_g_per_kg="1",
            product_slug="gammagard-liquid",
        )
    )
    assert "INVALID_INPUT" not in codes(plan)
    assert plan.daily_dose_g == D(1)
    assert plan.daily_volume_ml == 10


# --- ranges and several problems at once --------------------------------------------------


def test_a_course_may_end_on_the_last_day_the_calendar_holds_not_after() -> None:
    # One cycle of 5 days starting 4 days before 31 Dec 9999 ends on it: planned.
    last = date.max
    plan = compute_plan(plan_request(start_date=last - timedelta(days=4)))
    assert "INVALID_INPUT" not in codes(plan)
    assert plan.cycles is not None and plan.cycles[0].days[-1] == last
    # One day later it would end on 1 Jan 10000.
    late = compute_plan(plan_request(start_date=last - timedelta(days=3)))
    assert invalid_message(late).count("the course would end after the last date") == 1
    assert late.cycles is None


def test_a_daily_dose_of_0_mg_per_kg_is_not_above_0() -> None:
    plan = compute_plan(plan_request(daily_dose_mg_per_kg="0"))
    assert "daily dose 0 mg/kg is not above 0" in invalid_message(plan)
    plan = compute_plan(plan_request(daily_dose_mg_per_kg="-400"))
    assert "daily dose -400 mg/kg is not above 0" in invalid_message(plan)


def test_a_product_without_vials_and_without_label_steps_names_both() -> None:
    bare = product("privigen", vial_sizes_g=[], label_rate_steps=[])
    plan = compute_plan(plan_request(product_facts=bare, rate_protocol="label"))
    message = invalid_message(plan)
    assert "Privigen has no active vial size" in message
    assert "Privigen has no label rate steps" in message


def test_age_130_is_valid_and_counts_as_a_risk_by_age() -> None:
    plan = compute_plan(plan_request(age_years=130))
    assert "INVALID_INPUT" not in codes(plan)
    assert {"RENAL_RISK", "THROMBOSIS_RISK"} <= set(codes(plan))
    assert "INVALID_INPUT" in codes(compute_plan(plan_request(age_years=131)))


# --- numbers shown -------------------------------------------------------------------------


def test_the_calculated_dose_is_shown_half_up() -> None:
    # 48.5 kg x 2 g/kg / 4 days = 24.25 g: shown 24.3 (half even would give 24.2).
    plan = compute_plan(plan_request(weight_kg="48.5", days_per_cycle=4))
    assert plan.calculated_daily_dose_g == D("24.3")


def test_ideal_body_weight_is_shown_half_up() -> None:
    # 153.67 cm = 60.5 inches: woman's IBW 45.5 + 2.3 x 0.5 = 46.65 kg, shown 46.7.
    plan = compute_plan(plan_request(weight_kg="50", height_cm="153.67", sex="female"))
    assert plan.ideal_body_weight_kg == D("46.7")


def test_a_callers_decimal_context_does_not_change_the_plan() -> None:
    expected = compute_plan(plan_request(weight_kg="61.2")).model_dump()
    with localcontext(Context(prec=4, rounding=ROUND_FLOOR)):
        assert compute_plan(plan_request(weight_kg="61.2")).model_dump() == expected


# --- the any-adult-above-IBW rule (rules v3) at its edges ----------------------------------


def basis(**overrides: object) -> tuple[str | None, Decimal | None]:
    plan = compute_plan(plan_request(policy=ONTARIO, **overrides))  # type: ignore[arg-type]
    return plan.dosing_weight_basis, plan.dosing_weight_kg


def test_ontario_rule_at_exactly_ideal_weight_keeps_actual() -> None:
    # 177.8 cm = 70 inches: a man's IBW is 50 + 2.3 x 10 = 73 kg.
    assert basis(weight_kg="73", height_cm="177.8") == ("actual", D(73))
    # 73.1 kg: adjusted 73 + 0.4 x 0.1 = 73.04 -> 73.0.
    assert basis(weight_kg="73.1", height_cm="177.8") == ("adjusted", D("73.0"))


def test_ontario_rule_keeps_actual_weight_in_pregnancy() -> None:
    # 177.8 cm woman: IBW 45.5 + 23 = 68.5 kg; 80 kg is above it.
    woman = {"weight_kg": "80", "height_cm": "177.8", "sex": "female"}
    assert basis(**woman) == ("adjusted", D("73.1"))  # 68.5 + 0.4 x 11.5 = 73.1
    assert basis(**woman, pregnant=True) == ("actual", D(80))


def test_ontario_rule_undecided_without_height_weight_or_sex() -> None:
    for missing in ({"height_cm": None}, {"weight_kg": None}, {"sex": None}):
        assert basis(**missing) == (None, None), missing
