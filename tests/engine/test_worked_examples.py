"""Worked examples, each computed by hand in its comments (docs/clinical-rules.md 3.1-3.8).

Defaults of ``plan_request``: a 70 kg, 175 cm man aged 40, blood group O, Privigen (10 %, vials
5/10/20/40 g, label max 8 mg/kg/min, 95 per g), psoriasis (max 1 g/kg a day, 2 g/kg per 28 days,
no immunosuppressant expected), 2 g/kg over 5 days, 1 cycle, protocol rate, target 200 mL/h.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ivig.engine import DosePlan, DosingPolicy, Regimen, compute_plan
from ivig.engine.weights import auto_uses_adjusted
from tests.engine.factories import plan_request, product

D = Decimal


def steps(plan: DosePlan) -> list[tuple[int, int, Decimal, Decimal]]:
    return [(s.start_min, s.rate_ml_per_h, s.minutes, s.volume_ml) for s in plan.titration or []]


def vials(plan: DosePlan) -> list[tuple[Decimal, int]]:
    return [(v.size_g, v.count) for v in plan.vials or []]


def codes(plan: DosePlan) -> list[str]:
    return [f.code for f in plan.findings]


def days_of(plan: DosePlan) -> list[list[date]]:
    return [cycle.days for cycle in plan.cycles or []]


# --- dosing weight (docs/clinical-rules.md 3.1)
# ---------------------------------------------------------------


def test_normal_adult_actual_weight_and_fallback_when_cap_refuses_rounding_up() -> None:
    plan = compute_plan(plan_request(weight_kg="60", height_cm="165", sex="female", age_years=40))
    # 165 / 2.54 = 64.9606 in; IBW = 45.5 + 2.3 * 4.9606 = 56.909 -> 56.9; 1.2 * IBW = 68.29
    # BMI = 60 / 1.65^2 = 22.04; 60 <= 68.29 -> actual 60; adjusted = 56.909 + 0.4 * 3.091
    # = 58.145 -> 58.1
    assert (plan.bmi, plan.ideal_body_weight_kg, plan.adjusted_body_weight_kg) == (
        D("22.0"),
        D("56.9"),
        D("58.1"),
    )
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("actual", D(60))
    # 2 * 60 / 5 = 24 g, tolerance 2.4: 20 is 4 away (out); 25 is 1 away but 25 * 5 = 125 g >
    # 2 * 60 = 120 g (refused) -> no candidate: 24.0 g from the least-waste cover 25 = 20 + 5
    assert plan.calculated_daily_dose_g == D(24)
    assert plan.daily_dose_g == D(24)
    assert vials(plan) == [(D(20), 1), (D(5), 1)]
    assert plan.waste_g == D(1)
    assert plan.daily_volume_ml == 240
    assert (plan.cycle_dose_g, plan.cycle_dose_g_per_kg) == (D(120), D(2))
    assert plan.cost_per_cycle == D(11875)  # 25 g dispensed * 5 days * 95 (waste included)
    # rules v3: Privigen's label (mg/kg/min * 60 * 60 / 100 = * 36): 0.5 -> 18, 1 -> 36,
    # 2 -> 72, 4 -> 144 (each for 30 min), 8 -> 288. Protocol 30 + 15k at minute 15k:
    # 0: min(30, 18) = 18; 15: min(45, 18) = 18; 30: min(60, 36) = 36; 45: 36; 60: min(90, 72)
    # = 72; 75: 72; 90: min(120, 144) = 120; then 135, 150, 165, 180 (protocol).
    # Volumes: 18 / 2 = 9, 36 / 2 = 18, 72 / 2 = 36, then rate / 4: 30, 33.75, 37.5, 41.25
    # = 205.5 mL by 150 min; 34.5 mL at 180 mL/h = 11.5 min; total 161.5 -> 162
    assert steps(plan) == [
        (0, 18, D("30.0"), D("9.0")),
        (30, 36, D("30.0"), D("18.0")),
        (60, 72, D("30.0"), D("36.0")),
        (90, 120, D("15.0"), D("30.0")),
        (105, 135, D("15.0"), D("33.8")),
        (120, 150, D("15.0"), D("37.5")),
        (135, 165, D("15.0"), D("41.3")),
        (150, 180, D("11.5"), D("34.5")),
    ]
    assert plan.target_rate_reached_min is None
    assert plan.infusion_minutes == 162
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 150, 162]
    assert plan.findings == []


def test_obese_adult_adjusted_weight_exact_vials_and_both_maxima_at_the_boundary() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="120",
            height_cm="180",
            sex="male",
            age_years=50,
            product_slug="octagam-10",
            indication_slug="dermatomyositis",
            daily_dose_mg_per_kg="1000",
            days_per_cycle=2,
            concomitant_immunosuppressant="azathioprine",
        )
    )
    # 180 / 2.54 = 70.866 in; IBW = 50 + 2.3 * 10.866 = 74.992 -> 75.0; BMI = 120 / 3.24 = 37.04
    # adjusted = 74.992 + 0.4 * 45.008 = 92.995 -> 93.0
    assert (plan.bmi, plan.ideal_body_weight_kg, plan.adjusted_body_weight_kg) == (
        D("37.0"),
        D("75.0"),
        D("93.0"),
    )
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("adjusted", D(93))
    # 1000 mg/kg * 93 kg = 93 g, exactly achievable with 2/5/10/20/30 g vials. Fewest vials:
    # odd total -> one 5 g vial; 88 mod 10 = 8 -> four 2 g vials; 80 = 30 + 30 + 20 -> 8 vials
    assert plan.daily_dose_g == D(93)
    assert vials(plan) == [(D(30), 2), (D(20), 1), (D(5), 1), (D(2), 4)]
    assert plan.daily_volume_ml == 930
    assert (plan.cycle_dose_g, plan.cycle_dose_g_per_kg) == (D(186), D(2))
    assert plan.cost_per_cycle == D(17112)  # 93 * 2 * 92
    # label max 12 mg/kg/min = 12 * 93 * 60 / 100 = 669 mL/h -> top 200.
    # rules v3: Octagam 10 %'s label steps (* 55.8): 1 -> 55, 2 -> 111, 4 -> 223, ... every
    # 30 min. start floor(46.5) = 46; minute 15: min(61, 55) = 55 (label step); from minute 30
    # the protocol is below the label: 76, 91, ..., 196, 200 from 165 min.
    # 15-min volumes 11.5 + 13.75 + 19 + 22.75 + 26.5 + 30.25 + 34 + 37.75 + 41.5 + 45.25 + 49
    # = 331.25 mL; the remaining 598.75 mL at 200 mL/h take 179.625 min; total 344.63 -> 345
    assert [s[1] for s in steps(plan)] == [46, 55, 76, 91, 106, 121, 136, 151, 166, 181, 196, 200]
    assert steps(plan)[-1] == (165, 200, D("179.6"), D("598.8"))
    assert plan.target_rate_reached_min == 165
    assert plan.infusion_minutes == 345
    # every 30 min before 165, 165, every 60 after (225, 285), the end
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 150, 165, 225, 285, 345]
    assert plan.chair_minutes == 405
    # daily 93 g = 1 g/kg * 93 kg (not above); 2 days * 93 = 186 g = 2 g/kg * 93 (not above)
    assert plan.findings == []
    assert days_of(plan) == [[date(2027, 1, 4), date(2027, 1, 5)]]


def test_explicit_ideal_basis_and_vial_tie_prefers_larger_vials() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="120",
            height_cm="180",
            age_years=50,
            product_slug="octagam-10",
            daily_dose_mg_per_kg="1000",
            days_per_cycle=2,
            dosing_weight_basis="ideal",
        )
    )
    # IBW 74.992 -> 75.0; 75 g = 30+30+10+5 or 30+20+20+5 (4 vials each): more 30 g vials wins
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("ideal", D(75))
    assert plan.daily_dose_g == D(75)
    assert vials(plan) == [(D(30), 2), (D(10), 1), (D(5), 1)]
    assert plan.cost_per_cycle == D(13800)  # 75 * 2 * 92
    # rules v3: label steps * 75 * 60 / 100 = * 45: 1 -> 45 for 0-30 min, 2 -> 90, ...
    # start 37; minute 15: min(52, 45) = 45 (label step); then 67, 82, ..., 187 (protocol).
    # 15-min volumes 9.25 11.25 16.75 20.5 24.25 28 31.75 35.5 39.25 43 46.75 = 306.25;
    # 443.75 mL at 200 mL/h = 133.125 min from 165 -> 298.1 -> 299
    assert [s[1] for s in steps(plan)][:3] == [37, 45, 67]
    assert steps(plan)[-1] == (165, 200, D("133.1"), D("443.8"))
    assert plan.infusion_minutes == 299
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 150, 165, 225, 285, 299]
    assert codes(plan) == ["DOSING_WEIGHT_OVERRIDDEN"]


def test_explicit_adjusted_basis_for_a_normal_weight() -> None:
    plan = compute_plan(
        plan_request(weight_kg="60", height_cm="165", sex="female", dosing_weight_basis="adjusted")
    )
    # adjusted 58.145 -> 58.1; 2 * 58.1 / 5 = 23.24 g, tolerance 2.324: 25 is 1.76 away and
    # 25 * 5 = 125 > 116.2 (refused); 20 is 3.24 away (out) -> 23.2 g from 25 (waste 1.8)
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("adjusted", D("58.1"))
    assert plan.daily_dose_g == D("23.2")
    assert vials(plan) == [(D(20), 1), (D(5), 1)]
    assert plan.waste_g == D("1.8")
    assert plan.cycle_dose_g_per_kg == D("2.00")  # 116 / 58.1 = 1.9966
    assert codes(plan) == ["DOSING_WEIGHT_OVERRIDDEN"]


def test_explicit_actual_basis_where_auto_would_adjust() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="82.5", height_cm="168", sex="female", age_years=57,
            dosing_weight_basis="actual",
        )
    )  # fmt: skip
    # 2 * 82.5 / 5 = 33 g, tolerance 3.3: 35 is 2 away but 175 > 165 (refused); 30 is 3 away
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("actual", D("82.5"))
    assert plan.daily_dose_g == D(30)
    assert vials(plan) == [(D(20), 1), (D(10), 1)]
    assert codes(plan) == ["DOSING_WEIGHT_OVERRIDDEN"]


def test_child_on_actual_weight_kawasaki_2_g_per_kg_in_one_day() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="25",
            height_cm="125",
            sex="male",
            age_years=8,
            indication_slug="kawasaki-disease",
            total_dose_g_per_kg="2",
            days_per_cycle=1,
        )
    )
    # 125 / 2.54 = 49.2126 in; IBW = 50 + 2.3 * (49.2126 - 60) = 25.189 -> 25.2
    # BMI 25 / 1.5625 = 16.0; adjusted = 25.189 + 0.4 * (25 - 25.189) = 25.113 -> 25.1
    assert (plan.bmi, plan.ideal_body_weight_kg, plan.adjusted_body_weight_kg) == (
        D(16),
        D("25.2"),
        D("25.1"),
    )
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("actual", D(25))
    # 2 * 25 / 1 = 50 g = 40 + 10; 500 mL; daily max 2 g/kg * 25 = 50 (not above)
    assert plan.daily_dose_g == D(50)
    assert vials(plan) == [(D(40), 1), (D(10), 1)]
    assert plan.daily_volume_ml == 500
    assert plan.cost_per_cycle == D(4750)
    # label max 8 * 25 * 60 / 100 = 120 mL/h is the top rate. start floor(12.5) = 12.
    # rules v3: the label steps (* 15) 0.5 -> 7, 1 -> 15, 2 -> 30, 4 -> 60, 8 -> 120 each
    # start at or below the protocol's rate at their minute (12, 42, 72, 102, 132): every
    # step is the label's. Volumes 3.5 + 7.5 + 15 + 30 = 56 mL by 120 min; 444 mL at
    # 120 mL/h = 222 min -> 342 exactly
    assert steps(plan) == [
        (0, 7, D("30.0"), D("3.5")),
        (30, 15, D("30.0"), D("7.5")),
        (60, 30, D("30.0"), D("15.0")),
        (90, 60, D("30.0"), D("30.0")),
        (120, 120, D("222.0"), D("444.0")),
    ]
    assert plan.target_rate_reached_min == 120
    assert plan.infusion_minutes == 342
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 180, 240, 300, 342]
    assert plan.chair_minutes == 402
    assert days_of(plan) == [[date(2027, 1, 4)]]
    assert plan.findings == []


def test_bmi_exactly_30_is_not_over_30() -> None:
    # 76.8 / 1.6^2 = 30 exactly; the BMI criterion alone is false ...
    assert not auto_uses_adjusted(
        age_years=30, pregnant=False, height_cm=D(160), bmi_value=D(30),
        actual_kg=D("76.8"), ideal_kg=D(70),
    )  # fmt: skip
    assert auto_uses_adjusted(
        age_years=30, pregnant=False, height_cm=D(160), bmi_value=D("30.0000001"),
        actual_kg=D("76.8"), ideal_kg=D(70),
    )  # fmt: skip
    # ... and in a plan: 150 cm (short stature), 67.5 kg -> BMI 67.5 / 2.25 = 30 -> actual
    plan = compute_plan(plan_request(weight_kg="67.5", height_cm="150", sex="female"))
    assert plan.bmi == D(30)
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("actual", D("67.5"))
    # 160 cm, 76.8 kg: BMI 30 (not over) but 76.8 > 1.2 * IBW (1.2 * 52.382 = 62.86) -> adjusted
    # IBW = 45.5 + 2.3 * (62.992 - 60) = 52.382; adjusted = 52.382 + 0.4 * 24.418 = 62.149
    plan = compute_plan(plan_request(weight_kg="76.8", height_cm="160", sex="female"))
    assert plan.bmi == D(30)
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("adjusted", D("62.1"))


def test_height_152_cm_adjusts_and_151_cm_does_not() -> None:
    plan = compute_plan(plan_request(weight_kg="80", height_cm="152", sex="female"))
    # IBW = 45.5 + 2.3 * (59.8425 - 60) = 45.138; adjusted = 45.138 + 0.4 * 34.862 = 59.083
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("adjusted", D("59.1"))
    assert plan.ideal_body_weight_kg == D("45.1")
    plan = compute_plan(plan_request(weight_kg="80", height_cm="151", sex="female"))
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("actual", D(80))


def test_pregnant_obese_adult_on_actual_weight() -> None:
    plan = compute_plan(
        plan_request(weight_kg="90", height_cm="165", sex="female", age_years=30, pregnant=True)
    )
    # BMI 90 / 2.7225 = 33.06 but pregnant -> actual
    assert (plan.bmi, plan.dosing_weight_basis, plan.dosing_weight_kg) == (
        D("33.1"),
        "actual",
        D(90),
    )
    assert codes(plan) == ["PREGNANCY"]


def test_age_17_is_a_child_and_18_an_adult() -> None:
    # 120 kg, 180 cm: adjusted 93.0 for an adult, actual for a 17-year-old
    child = compute_plan(plan_request(weight_kg="120", height_cm="180", age_years=17))
    adult = compute_plan(plan_request(weight_kg="120", height_cm="180", age_years=18))
    assert (child.dosing_weight_basis, child.dosing_weight_kg) == ("actual", D(120))
    assert (adult.dosing_weight_basis, adult.dosing_weight_kg) == ("adjusted", D(93))


# --- vial rounding (docs/clinical-rules.md 3.3)
# ----------------------------------------------------------------


def test_rounding_down_to_the_nearest_vial_amount() -> None:
    # 360 mg/kg * 70 = 25.2 g; tolerance 2.52: 25 is 0.2 away, 30 is 4.8 away -> 25 = 20 + 5
    plan = compute_plan(plan_request(daily_dose_mg_per_kg="360"))
    assert (plan.calculated_daily_dose_g, plan.daily_dose_g) == (D("25.2"), D(25))
    assert vials(plan) == [(D(20), 1), (D(5), 1)]
    assert plan.waste_g == D(0)
    assert plan.cycle_dose_g_per_kg == D("1.79")  # 125 / 70 = 1.7857


def test_rounding_up_when_the_cycle_stays_under_the_cap() -> None:
    # 400 mg/kg * 70 = 28 g over 3 days; tolerance 2.8: 25 is 3 away (out), 30 is 2 away and
    # 30 * 3 = 90 g <= 2 g/kg * 70 = 140 g -> 30 = 20 + 10
    plan = compute_plan(plan_request(daily_dose_mg_per_kg="400", days_per_cycle=3))
    assert (plan.calculated_daily_dose_g, plan.daily_dose_g) == (D(28), D(30))
    assert vials(plan) == [(D(20), 1), (D(10), 1)]
    assert plan.daily_volume_ml == 300
    assert plan.cost_per_cycle == D(8550)  # 30 * 3 * 95
    assert days_of(plan) == [[date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6)]]


def test_fallback_rounds_down_to_0_1_g_where_half_up_would_break_the_28_day_cap() -> None:
    # docs/clinical-rules.md 3.3, worked case 1 (this number changed: rounding never creates a
    # stop). 61.2 kg, 2 g/kg over 5 days every 28 days, Privigen 5/10/20/40 g: 2 * 61.2 / 5 =
    # 24.48 g, tolerance 2.448; 25 is 0.52 away but 5 * 25 = 125 g > 2 g/kg * 61.2 kg = 122.4 g
    # (refused); 20 is 4.48 away (out) -> no candidate. Half up 24.5 g would make 122.5 g >
    # 122.4 g, a cap the calculated dose keeps (122.4 g), so down to 24.4 g (122 g); the vials
    # covering 24.4 g with the least waste are 25 = 20 + 5, waste 0.6 g.
    plan = compute_plan(plan_request(weight_kg="61.2", height_cm="165", sex="female", cycles=6))
    assert plan.dosing_weight_kg == D("61.2")
    assert plan.calculated_daily_dose_g == D("24.5")  # shown 24.48 to 0.1 half up
    assert plan.daily_dose_g == D("24.4")
    assert vials(plan) == [(D(20), 1), (D(5), 1)]
    assert plan.waste_g == D("0.6")
    assert plan.cycle_dose_g == D(122)
    assert codes(plan) == []


def test_fallback_half_up_stands_where_it_keeps_the_caps() -> None:
    # 61.3 kg: 24.52 g, tolerance 2.452; 25 makes 125 g > 122.6 g (refused); 20 out. Half up
    # 24.5 g makes 122.5 g <= 122.6 g: kept.
    plan = compute_plan(plan_request(weight_kg="61.3", height_cm="165", sex="female"))
    assert plan.daily_dose_g == D("24.5")
    assert plan.waste_g == D("0.5")
    assert codes(plan) == []


def test_fallback_half_up_where_the_calculated_dose_already_breaks_the_cap() -> None:
    # 2.5 g/kg over 5 days for 61.2 kg: 30.6 g; 5 * 30.6 = 153 g > 122.4 g already, so the
    # order is unsafe as written: rounding is as usual (30 is 0.6 away, within 3.06) and the
    # stop stands.
    plan = compute_plan(
        plan_request(weight_kg="61.2", height_cm="165", sex="female", total_dose_g_per_kg="2.5")
    )
    assert plan.daily_dose_g == D(30)
    assert codes(plan) == ["MAX_DOSE_PER_28_DAYS"]


def test_rounding_up_is_refused_where_it_would_break_the_daily_maximum() -> None:
    # docs/clinical-rules.md 3.3, worked case 3. 68 kg, 1 g/kg in one day, dermatomyositis
    # (daily max 1 g/kg = 68 g): 68 g, tolerance 6.8; 70 is 2 away but above 68 g (refused);
    # 65 is 3 away -> 65 = 40 + 20 + 5
    plan = compute_plan(
        plan_request(
            weight_kg="68", height_cm="175", indication_slug="dermatomyositis",
            total_dose_g_per_kg="1", days_per_cycle=1,
        )
    )  # fmt: skip
    assert plan.dosing_weight_kg == D(68)
    assert plan.daily_dose_g == D(65)
    assert vials(plan) == [(D(40), 1), (D(20), 1), (D(5), 1)]
    assert plan.waste_g == D(0)
    assert codes(plan) == []


def test_a_child_with_dermatomyositis_is_rounded_down_not_over_the_28_day_cap() -> None:
    # 16.4 kg child, dermatomyositis standard regimen 2 g/kg over 5 days every 28 days (caps
    # 1 g/kg a day = 16.4 g, 2 g/kg per 28 days = 32.8 g): 2 * 16.4 / 5 = 6.56 g, tolerance
    # 0.656; 5 g is 1.56 away (out), 10 g too -> no candidate. Half up 6.6 g would make 33 g >
    # 32.8 g, so 6.5 g (32.5 g) from one 10 g vial (least waste), waste 3.5 g.
    plan = compute_plan(
        plan_request(
            weight_kg="16.4", height_cm="105", sex="female", age_years=4,
            indication_slug="dermatomyositis", cycles=6,
        )
    )  # fmt: skip
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("actual", D("16.4"))
    assert plan.daily_dose_g == D("6.5")
    assert vials(plan) == [(D(10), 1)]
    assert plan.waste_g == D("3.5")
    assert plan.daily_volume_ml == 65
    assert plan.cycle_dose_g == D("32.5")
    assert "MAX_DOSE_PER_28_DAYS" not in codes(plan)
    assert codes(plan) == []


def test_a_tie_goes_down() -> None:
    # 50 kg woman: 550 mg/kg * 50 = 27.5 g, exactly between 25 and 30 (both 2.5 away, within
    # 2.75; 30 * 1 day = 30 <= 100 so the cap allows it) -> the tie goes down to 25
    plan = compute_plan(
        plan_request(
            weight_kg="50", height_cm="160", sex="female", daily_dose_mg_per_kg="550",
            days_per_cycle=1,
        )
    )  # fmt: skip
    assert plan.dosing_weight_kg == D(50)
    assert (plan.calculated_daily_dose_g, plan.daily_dose_g) == (D("27.5"), D(25))


def test_no_vial_amount_within_tolerance_keeps_the_dose_with_the_least_waste() -> None:
    # 250 mg/kg * 70 = 17.5 g; tolerance 1.75: 15 and 20 are 2.5 away -> 17.5 g from one 20 g
    # vial (the smallest achievable amount >= 17.5), waste 2.5; cost counts the dispensed 20 g
    plan = compute_plan(plan_request(daily_dose_mg_per_kg="250"))
    assert plan.daily_dose_g == D("17.5")
    assert vials(plan) == [(D(20), 1)]
    assert plan.waste_g == D("2.5")
    assert plan.daily_volume_ml == 175
    assert plan.cycle_dose_g == D("87.5")
    assert plan.cost_per_cycle == D(9500)  # 20 * 5 * 95


def test_a_wider_policy_tolerance_reaches_a_vial_amount() -> None:
    # same 17.5 g with a 15 % tolerance (2.625): 15 and 20 are both 2.5 away -> tie, down to 15
    plan = compute_plan(
        plan_request(daily_dose_mg_per_kg="250", policy=DosingPolicy(rounding_tolerance_pct=D(15)))
    )
    assert plan.daily_dose_g == D(15)
    assert vials(plan) == [(D(10), 1), (D(5), 1)]


def test_low_iga_5_percent_product_rounds_down_when_the_cap_refuses_up() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="60", height_cm="165", sex="female", product_slug="gammagard-sd",
            iga_status="deficient_with_antibodies",
        )
    )  # fmt: skip
    # 24 g, tolerance 2.4; vials 2.5/5/10: 25 is 1 away but 125 > 120 (refused); 22.5 is 1.5
    # away -> 22.5 = 10 + 10 + 2.5; 22.5 * 100 / 5 % = 450 mL
    assert plan.daily_dose_g == D("22.5")
    assert vials(plan) == [(D(10), 2), (D("2.5"), 1)]
    assert plan.daily_volume_ml == 450
    assert plan.cycle_dose_g_per_kg == D("1.88")  # 112.5 / 60 = 1.875, half up
    assert plan.cost_per_cycle == D(12375)  # 22.5 * 5 * 110
    # label max 3.3 * 60 * 60 / 50 = 237 -> top 200; start 30.
    # rules v3: label steps (* 72) 0.5 -> 36 (0-30), 1 -> 72 (30-60), 2 -> 144, 3.3 -> 237:
    # the label holds minute 15 at min(45, 36) = 36 and minute 45 at min(75, 72) = 72; the
    # rest is the protocol's: 30 36 60 72 90 105 ... 195. Cumulative 337.5 - 9 / 4 - 3 / 4
    # = 334.5 mL when 200 starts at 180 min; 115.5 mL at 200 mL/h = 34.65 min -> 34.7 shown;
    # total 214.65 -> 215
    assert [s[1] for s in steps(plan)][:5] == [30, 36, 60, 72, 90]
    assert steps(plan)[-1] == (180, 200, D("34.7"), D("115.5"))
    assert plan.target_rate_reached_min == 180
    assert plan.infusion_minutes == 215
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 150, 180, 215]
    assert plan.findings == []  # low-IgA product: no IgA finding


def test_5_percent_product_volume_and_titration() -> None:
    plan = compute_plan(
        plan_request(weight_kg="60", height_cm="165", sex="female", product_slug="octagam-5")
    )
    # 24 g exactly achievable with 1/2.5/5/10/25 g: 10 + 10 + 1 * 4 (6 vials; 2.5 vials only
    # pair up to 5, 1.5 is not achievable) -> 480 mL at 5 %
    assert plan.daily_dose_g == D(24)
    assert vials(plan) == [(D(10), 2), (D(1), 4)]
    assert plan.daily_volume_ml == 480
    assert plan.cost_per_cycle == D(11040)  # 24 * 5 * 92
    # rules v3: Octagam 5 %'s label steps (* 72) hold minute 15 at min(45, 36) = 36 and
    # minute 45 at min(75, 72) = 72 (as Gammagard S/D above): 334.5 mL by 180 min; 145.5 mL
    # at 200 = 43.65 min -> 43.7 shown
    assert [s[1] for s in steps(plan)][:5] == [30, 36, 60, 72, 90]
    assert steps(plan)[-1] == (180, 200, D("43.7"), D("145.5"))
    assert plan.infusion_minutes == 224  # 223.65
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 150, 180, 224]
    assert plan.chair_minutes == 284


# --- rates (docs/clinical-rules.md 3.4)
# -------------------------------------------------------------------------


def test_label_protocol_privigen() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="82.5", height_cm="168", sex="female", age_years=57,
            indication_slug="pemphigus-vulgaris", rate_protocol="label",
        )
    )  # fmt: skip
    # dw 68.8; mg/kg/min * 68.8 * 60 / 100: 0.5 -> 20.64 -> 20; 1 -> 41.28 -> 41;
    # 2 -> 82.56 -> 82; 4 -> 165.12 -> 165; 8 -> 330.24 -> capped at 200
    # volumes (30 min = rate / 2): 10, 20.5, 41, 82.5 = 154; 96 mL at 200 = 28.8 min
    assert steps(plan) == [
        (0, 20, D("30.0"), D("10.0")),
        (30, 41, D("30.0"), D("20.5")),
        (60, 82, D("30.0"), D("41.0")),
        (90, 165, D("30.0"), D("82.5")),
        (120, 200, D("28.8"), D("96.0")),
    ]
    assert plan.target_rate_reached_min == 120
    assert plan.infusion_minutes == 149  # 148.8
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 149]


def test_bivigam_label_steps_under_the_at_risk_cap_for_age_70() -> None:
    plan = compute_plan(plan_request(age_years=70, product_slug="bivigam", rate_protocol="label"))
    # dw 70; * 70 * 60 / 100 = * 42: 0.5 -> 21; 1.3 -> 54.6 -> 54; 2.1 -> 88.2 -> 88; ...
    # age 70 is a renal and thrombosis risk: at-risk max 2 mg/kg/min -> 84 mL/h caps every
    # later step, so 88, 121, ... become 84 and merge into one open-ended step.
    # dose: 28 g, tolerance 2.8, vials 5/10: 25 out (3), 30 refused (150 > 140) -> 28.0 g from
    # 10 * 3 (fewest vials for 30), waste 2; 280 mL
    assert plan.daily_dose_g == D(28)
    assert vials(plan) == [(D(10), 3)]
    assert plan.waste_g == D(2)
    assert plan.cost_per_cycle == D(13500)  # 30 * 5 * 90
    # 21 * 10 / 60 = 3.5; 54 * 20 / 60 = 18; 258.5 mL at 84 mL/h = 184.64 min -> 214.64 -> 215
    assert steps(plan) == [
        (0, 21, D("10.0"), D("3.5")),
        (10, 54, D("20.0"), D("18.0")),
        (30, 84, D("184.6"), D("258.5")),
    ]
    assert plan.target_rate_reached_min == 30
    assert plan.infusion_minutes == 215
    assert plan.vital_checks_min == [0, 30, 90, 150, 210, 215]
    assert plan.chair_minutes == 275
    assert codes(plan) == ["RENAL_RISK", "THROMBOSIS_RISK"]


def test_octagam_10_at_risk_cap_age_70_protocol_rate() -> None:
    plan = compute_plan(plan_request(age_years=70, product_slug="octagam-10"))
    # 28 g with 2/5/10/20/30: 20 + 2 * 4 (5 vials); 280 mL
    assert plan.daily_dose_g == D(28)
    assert vials(plan) == [(D(20), 1), (D(2), 4)]
    assert plan.cost_per_cycle == D(12880)  # 28 * 5 * 92
    # at-risk max 3.3 * 70 * 60 / 100 = 138.6 -> 138 mL/h (label max 12 -> 504)
    # rules v3: label steps (* 42) 1 -> 42 for 0-30 min: minute 15 at min(50, 42) = 42.
    # 35 42 65 80 95 110 125 (15-min volumes 8.75 10.5 16.25 20 23.75 27.5 31.25 = 138 mL)
    # then 138 from 105 min: 142 mL at 138 mL/h = 61.74 min -> 166.74 -> 167
    assert [s[1] for s in steps(plan)] == [35, 42, 65, 80, 95, 110, 125, 138]
    assert steps(plan)[-1] == (105, 138, D("61.7"), D("142.0"))
    assert plan.target_rate_reached_min == 105
    assert plan.infusion_minutes == 167
    assert plan.vital_checks_min == [0, 30, 60, 90, 105, 165, 167]
    assert codes(plan) == ["RENAL_RISK", "THROMBOSIS_RISK"]


def test_age_64_is_not_at_risk_and_65_is() -> None:
    # 2 g/kg over 2 days: 70 g = 700 mL, long enough to reach the top rate
    plan_64 = compute_plan(plan_request(age_years=64, product_slug="octagam-10", days_per_cycle=2))
    plan_65 = compute_plan(plan_request(age_years=65, product_slug="octagam-10", days_per_cycle=2))
    assert plan_64.findings == []
    assert max(s[1] for s in steps(plan_64)) == 200
    assert codes(plan_65) == ["RENAL_RISK", "THROMBOSIS_RISK"]
    assert max(s[1] for s in steps(plan_65)) == 138


def test_protocol_rate_reaching_a_150_target() -> None:
    plan = compute_plan(plan_request(target_rate_ml_per_h=150))
    # 28 g -> 30 refused (150 > 140), 25 out (3 > 2.8) -> 28.0 g, 280 mL
    # rules v3: Privigen's label (* 42) 0.5 -> 21, 1 -> 42, 2 -> 84 (30 min each), 4 -> 168:
    # 21 (0-30), 42 (30-60), 84 (60-90), then the protocol 125, 140 and 150 (the target) from
    # 120 min. Volumes 10.5 + 21 + 42 + 31.25 + 35 = 139.75 mL by 120 min; 140.25 mL at
    # 150 mL/h = 56.1 min -> 176.1 -> 177
    assert [s[1] for s in steps(plan)] == [21, 42, 84, 125, 140, 150]
    assert steps(plan)[-1] == (120, 150, D("56.1"), D("140.3"))
    assert plan.target_rate_reached_min == 120
    assert plan.infusion_minutes == 177
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 177]


def test_start_rate_above_the_target_runs_at_the_target_from_minute_0() -> None:
    # rules v3: a product without recorded label steps is capped by its label maximum only
    # (Privigen's label steps would hold the first 30 minutes at 21 mL/h).
    no_label_steps = product("privigen", label_rate_steps=[])
    plan = compute_plan(plan_request(target_rate_ml_per_h=30, product_facts=no_label_steps))
    # start 35 capped at 30: one open-ended step; 280 mL at 30 mL/h = 560 min
    assert steps(plan) == [(0, 30, D("560.0"), D("280.0"))]
    assert plan.target_rate_reached_min == 0
    assert plan.vital_checks_min == [0, 60, 120, 180, 240, 300, 360, 420, 480, 540, 560]


def test_volume_complete_exactly_at_a_step_boundary_adds_no_empty_step() -> None:
    # 40 kg, 150 cm woman (short: actual weight); 362.5 mg/kg * 40 = 14.5 g, exactly
    # achievable with Gammagard Liquid (10 + 2.5 + 1 + 1) -> 145 mL. Label max 8 * 40 * 0.6
    # = 192 mL/h. Start 20; 15-min volumes 5 + 8.75 + 12.5 + 16.25 + 20 + 23.75 + 27.5 + 31.25
    # = 145 mL exactly when the 125 mL/h step ends at 120 min: no empty step follows.
    # rules v3: with its label steps recorded, Gammagard Liquid's label would hold the first
    # 90 minutes (19, 38, 76 mL/h); this example is of the protocol alone, so the product is
    # given without label steps (capped by the label maximum only).
    plan = compute_plan(
        plan_request(
            weight_kg="40", height_cm="150", sex="female",
            product_facts=product("gammagard-liquid", label_rate_steps=[]),
            daily_dose_mg_per_kg="362.5",
        )
    )  # fmt: skip
    assert plan.daily_dose_g == D("14.5")
    assert plan.daily_volume_ml == 145
    assert [s[1] for s in steps(plan)] == [20, 35, 50, 65, 80, 95, 110, 125]
    assert steps(plan)[-1] == (105, 125, D("15.0"), D("31.3"))  # 31.25 shown half up
    assert plan.infusion_minutes == 120
    assert plan.target_rate_reached_min is None
    assert plan.vital_checks_min == [0, 30, 60, 90, 120]


def test_target_200_is_fine_and_201_is_above_the_maximum() -> None:
    # 2 g/kg over 2 days: 70 g a day (1 g/kg, at the daily maximum), 700 mL: reaches 200 mL/h
    at_200 = compute_plan(plan_request(target_rate_ml_per_h=200, days_per_cycle=2))
    at_201 = compute_plan(plan_request(target_rate_ml_per_h=201, days_per_cycle=2))
    assert codes(at_200) == []
    assert [(f.code, f.severity) for f in at_201.findings] == [("RATE_ABOVE_MAXIMUM", "stop")]
    # the plan itself is the same, capped at 200 mL/h
    assert at_201.titration == at_200.titration
    assert at_201.target_rate_reached_min == at_200.target_rate_reached_min == 165
    assert max(s[1] for s in steps(at_201)) == 200


# --- cycles and 28-day windows (docs/clinical-rules.md 3.6, 3.8)
# ------------------------------------------------


def test_stevens_johnson_3_g_per_kg_over_3_days() -> None:
    plan = compute_plan(
        plan_request(
            indication_slug="stevens-johnson-syndrome", total_dose_g_per_kg="3", days_per_cycle=3
        )
    )
    # 3 * 70 / 3 = 70 g = 40 + 20 + 10; daily max 1 * 70 = 70 (not above); 3 days * 70 = 210
    # = 3 g/kg * 70 (not above)
    assert plan.daily_dose_g == D(70)
    assert vials(plan) == [(D(40), 1), (D(20), 1), (D(10), 1)]
    assert (plan.cycle_dose_g, plan.cycle_dose_g_per_kg) == (D(210), D(3))
    assert plan.daily_volume_ml == 700
    assert plan.cost_per_cycle == D(19950)
    assert plan.findings == []


def test_2_g_per_kg_in_one_day_is_above_a_1_g_per_kg_daily_maximum() -> None:
    plan = compute_plan(plan_request(total_dose_g_per_kg="2", days_per_cycle=1))
    # 140 g = 40 * 3 + 20 > 1 g/kg * 70 = 70 g; 140 = 2 g/kg * 70 in 28 days (not above)
    assert plan.daily_dose_g == D(140)
    assert vials(plan) == [(D(40), 3), (D(20), 1)]
    assert codes(plan) == ["MAX_DAILY_DOSE"]
    assert plan.findings[0].message == (
        "Daily dose 140 g is above the indication's maximum of 70 g (1 g/kg \u00d7 70 kg)."
    )


def test_daily_maximum_exceeded_after_rounding_by_half_a_gram() -> None:
    # SJS (1 g/kg a day, 3 g/kg in 28 days), 1 day of 1010 mg/kg: 70.7 g, tolerance 7.07;
    # Gammagard Liquid makes every 0.5 g from 2.5 g: 70.5 (0.2 away) beats 71 (0.3 away)
    # 70.5 > 70 -> MAX_DAILY_DOSE. Vials: one 2.5 g for the half gram, 68 = 30+30+5+1+1+1
    plan = compute_plan(
        plan_request(
            product_slug="gammagard-liquid", indication_slug="stevens-johnson-syndrome",
            daily_dose_mg_per_kg="1010", days_per_cycle=1,
        )
    )  # fmt: skip
    assert plan.daily_dose_g == D("70.5")
    assert vials(plan) == [(D(30), 2), (D(5), 1), (D("2.5"), 1), (D(1), 3)]
    assert codes(plan) == ["MAX_DAILY_DOSE"]


def test_28_day_window_exactly_at_the_cap_across_two_cycles() -> None:
    # 50 kg woman, 1 g/kg over 5 days: 10 g a day (exact); cycles 14 days apart: days 0-4 and
    # 14-18 fall in one 28-day window: 10 days * 10 g = 100 g = 2 g/kg * 50 kg (not above)
    plan = compute_plan(
        plan_request(
            weight_kg="50", height_cm="160", sex="female", total_dose_g_per_kg="1",
            cycles=3, cycle_interval_days=14,
        )
    )  # fmt: skip
    assert plan.daily_dose_g == D(10)
    assert plan.findings == []
    assert [cycle.days[0] for cycle in plan.cycles or []] == [
        date(2027, 1, 4),
        date(2027, 1, 18),
        date(2027, 2, 1),
    ]


def test_rounding_up_is_refused_where_two_cycles_share_a_28_day_window() -> None:
    # docs/clinical-rules.md 3.3, worked case 2 (this number changed: the caps count the
    # course's own calendar). 70 kg, 1 g/kg over 5 days every 14 days: 14 g; two cycles fall in
    # one 28-day window, W = 10: 15 g would make 150 g > 140 g (refused), 10 g is 4 away (out)
    # -> the calculated 14.0 g (140 g, at the cap) from 15 = 10 + 5, waste 1 g.
    plan = compute_plan(plan_request(total_dose_g_per_kg="1", cycles=2, cycle_interval_days=14))
    assert plan.daily_dose_g == D(14)
    assert vials(plan) == [(D(10), 1), (D(5), 1)]
    assert plan.waste_g == D(1)
    assert codes(plan) == []
    # one cycle alone (W = 5): 15 g makes 75 g <= 140 g, so rounding up to 15 g is fine
    single = compute_plan(plan_request(total_dose_g_per_kg="1", cycles=1))
    assert single.daily_dose_g == D(15)
    assert codes(single) == []


def test_2_g_per_kg_cycles_14_days_apart_exceed_the_28_day_maximum() -> None:
    # 2 g/kg per cycle, interval 14: two cycles in one window = 4 g/kg
    plan = compute_plan(
        plan_request(
            weight_kg="50", height_cm="160", sex="female", cycles=2, cycle_interval_days=14
        )
    )
    # 2 * 50 / 5 = 20 g exact; 10 days * 20 = 200 g > 100 g
    assert plan.daily_dose_g == D(20)
    assert codes(plan) == ["MAX_DOSE_PER_28_DAYS"]


def test_2_g_per_kg_cycles_28_days_apart_stay_at_the_cap() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="50", height_cm="160", sex="female", cycles=6, cycle_interval_days=28
        )
    )
    # the window starting on day 0 ends on day 27; cycle 2 starts on day 28
    assert codes(plan) == []
    assert len(plan.cycles or []) == 6
    assert (plan.cycles or [])[-1].days[-1] == date(2027, 5, 28)  # 4 Jan + 140 + 4 days


def test_one_two_three_and_five_day_cycles() -> None:
    for days_per_cycle in (1, 2, 3, 5):
        plan = compute_plan(
            plan_request(
                total_dose_g_per_kg="1", days_per_cycle=days_per_cycle, cycles=2,
                cycle_interval_days=21,
            )
        )  # fmt: skip
        assert [len(cycle.days) for cycle in plan.cycles or []] == [days_per_cycle] * 2
        assert (plan.cycles or [])[1].days[0] == date(2027, 1, 25)  # 4 Jan + 21
        assert "CYCLE_INTERVAL_UNUSUAL" not in codes(plan)


# --- findings at their boundaries (docs/clinical-rules.md 3.8)
# -------------------------------------------------


def test_weight_1_kg_is_valid_and_plans_a_baby() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg="1", height_cm="40", sex="male", age_years=0,
            indication_slug="kawasaki-disease", days_per_cycle=1,
        )
    )  # fmt: skip
    # BMI 1 / 0.16 = 6.25 -> 6.3 (half up); IBW 50 + 2.3 * (15.748 - 60) < 0 -> 0;
    # adjusted 0 + 0.4 * 1 = 0.4; child -> actual 1.0 kg
    assert (plan.bmi, plan.ideal_body_weight_kg, plan.adjusted_body_weight_kg) == (
        D("6.3"),
        D(0),
        D("0.4"),
    )
    assert plan.dosing_weight_kg == D(1)
    # 2 g; tolerance 0.2; 5 g is 3 away -> 2.0 g from one 5 g vial, waste 3; 20 mL
    assert (plan.daily_dose_g, plan.waste_g, plan.daily_volume_ml) == (D(2), D(3), 20)
    # start max(1, floor(0.5)) = 1; label max 8 * 1 * 0.6 = 4.8 -> 4 mL/h top
    # rules v3: label steps * 0.6: 0.5, 1, 2 -> at least 1 mL/h (0-90 min); 4 -> 2.4 -> 2
    # (90-120); 8 -> 4 from 120 min; the protocol (1, 16, 31, ...) is never lower.
    # 1 mL/h for 90 min = 1.5 mL; 2 mL/h for 30 min = 1 mL; 17.5 mL at 4 mL/h = 262.5 min
    # -> 382.5 -> 383
    assert steps(plan) == [
        (0, 1, D("90.0"), D("1.5")),
        (90, 2, D("30.0"), D("1.0")),
        (120, 4, D("262.5"), D("17.5")),
    ]
    assert plan.target_rate_reached_min == 120
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 180, 240, 300, 360, 383]
    assert plan.cost_per_cycle == D(475)
    assert plan.findings == []


def test_weight_0_9_kg_is_invalid_but_height_based_numbers_remain() -> None:
    plan = compute_plan(plan_request(weight_kg="0.9", height_cm="40", sex="male", age_years=0))
    assert codes(plan) == ["INVALID_INPUT"]
    assert "weight 0.9 kg" in plan.findings[0].message
    assert plan.bmi is None
    assert plan.ideal_body_weight_kg == D(0)
    assert plan.adjusted_body_weight_kg is None
    assert (plan.dosing_weight_kg, plan.dosing_weight_basis) == (None, "actual")
    assert plan.calculated_daily_dose_g is None
    assert plan.daily_dose_g is None
    assert plan.titration is None
    assert plan.cycles is not None  # the calendar does not depend on the weight
    assert plan.premedication_min_before == 30


def test_weight_350_is_valid_and_350_1_is_not() -> None:
    plan = compute_plan(plan_request(weight_kg="350", height_cm="250"))
    # IBW = 50 + 2.3 * (98.425 - 60) = 138.378; adjusted = 138.378 + 0.4 * 211.622 = 223.03
    assert "INVALID_INPUT" not in codes(plan)
    assert plan.dosing_weight_kg == D(223)
    plan = compute_plan(plan_request(weight_kg="350.1", height_cm="250"))
    assert codes(plan) == ["INVALID_INPUT"]


def test_height_limits() -> None:
    for height_cm, valid in (("40", True), ("39.9", False), ("250", True), ("250.1", False)):
        plan = compute_plan(plan_request(weight_kg="30", height_cm=height_cm, age_years=10))
        assert ("INVALID_INPUT" not in codes(plan)) is valid, height_cm


def test_many_problems_give_one_invalid_input_listing_each() -> None:
    plan = compute_plan(
        plan_request(
            weight_kg=None, height_cm=None, sex=None, age_years=131, total_dose_g_per_kg="0",
            days_per_cycle=6, cycles=61, cycle_interval_days=95, target_rate_ml_per_h=0,
            product_slug=None, indication_slug=None, blood_group="A",
        )
    )  # fmt: skip
    assert codes(plan) == ["INVALID_INPUT"]
    message = plan.findings[0].message
    for part in (
        "weight is missing",
        "height is missing",
        "sex is missing",
        "age 131",
        "total dose 0 g/kg",
        "6 days per cycle",
        "61 cycles",
        "95 days",
        "target rate 0",
        "product is unknown",
        "indication is unknown",
    ):
        assert part in message
    assert all(
        value is None
        for value in (
            plan.bmi,
            plan.dosing_weight_kg,
            plan.daily_dose_g,
            plan.titration,
            plan.cycles,
            plan.cost_per_cycle,
            plan.chair_minutes,
        )
    )


def test_unknown_product_still_computes_weights_and_calculated_dose() -> None:
    plan = compute_plan(plan_request(product_slug=None, risk_factors=("migraine",)))
    assert codes(plan) == ["INVALID_INPUT", "ASEPTIC_MENINGITIS_RISK"]
    assert (plan.dosing_weight_kg, plan.calculated_daily_dose_g) == (D(70), D(28))
    assert plan.daily_dose_g is None
    assert plan.vials is None
    assert plan.titration is None
    assert plan.cycles is not None


def test_unknown_indication_leaves_the_rounding_cap_unknown() -> None:
    plan = compute_plan(plan_request(indication_slug=None))
    assert codes(plan) == ["INVALID_INPUT"]
    assert plan.calculated_daily_dose_g == D(28)
    assert plan.daily_dose_g is None
    assert plan.cost_per_cycle is None


def test_child_with_missing_height_is_still_dosed_on_actual_weight() -> None:
    plan = compute_plan(plan_request(weight_kg="25", height_cm=None, age_years=8))
    assert codes(plan) == ["INVALID_INPUT"]
    assert (plan.dosing_weight_basis, plan.dosing_weight_kg) == ("actual", D(25))
    assert plan.bmi is None
    assert plan.ideal_body_weight_kg is None


def test_explicit_ideal_weight_of_0_kg_is_invalid() -> None:
    # 90 cm woman: 45.5 + 2.3 * (35.433 - 60) = -10.99 -> 0 kg
    plan = compute_plan(
        plan_request(weight_kg="12", height_cm="90", sex="female", age_years=3,
                     dosing_weight_basis="ideal")
    )  # fmt: skip
    assert codes(plan) == ["INVALID_INPUT", "DOSING_WEIGHT_OVERRIDDEN"]
    assert plan.ideal_body_weight_kg == D(0)
    assert plan.dosing_weight_kg is None
    assert plan.calculated_daily_dose_g is None


def test_a_regimen_needs_exactly_one_dose() -> None:
    with pytest.raises(ValidationError):
        Regimen(
            total_dose_g_per_kg=D(2), daily_dose_mg_per_kg=D(400), days_per_cycle=5, cycles=1,
            cycle_interval_days=28, start_date=date(2027, 1, 4),
        )  # fmt: skip
    with pytest.raises(ValidationError):
        Regimen(days_per_cycle=5, cycles=1, cycle_interval_days=28, start_date=date(2027, 1, 4))


def test_iga_deficiency_findings() -> None:
    with_antibodies = compute_plan(plan_request(iga_status="deficient_with_antibodies"))
    deficient = compute_plan(plan_request(iga_status="deficient"))
    low_iga = compute_plan(plan_request(iga_status="deficient", product_slug="gammagard-sd"))
    assert [(f.code, f.severity) for f in with_antibodies.findings] == [
        ("IGA_DEFICIENCY_WITH_ANTIBODIES", "stop")
    ]
    assert [(f.code, f.severity) for f in deficient.findings] == [("IGA_DEFICIENCY", "override")]
    assert low_iga.findings == []


def test_sucrose_product_with_a_renal_risk() -> None:
    plan = compute_plan(plan_request(product_slug="carimune-nf", risk_factors=("diabetes",)))
    assert codes(plan) == ["SUCROSE_RENAL_RISK", "RENAL_RISK"]
    assert "creatinine" in plan.findings[1].message
    assert "hydration" in plan.findings[1].message
    assert codes(compute_plan(plan_request(product_slug="carimune-nf"))) == []


def test_fluid_overload_with_a_dilute_product_only() -> None:
    five = compute_plan(
        plan_request(product_slug="octagam-5", risk_factors=("cardiac_insufficiency",))
    )
    ten = compute_plan(plan_request(risk_factors=("cardiac_insufficiency",)))
    renal = compute_plan(plan_request(product_slug="octagam-5", risk_factors=("renal_failure",)))
    assert codes(five) == ["FLUID_OVERLOAD_RISK", "THROMBOSIS_RISK"]
    assert codes(ten) == ["THROMBOSIS_RISK"]
    assert codes(renal) == ["FLUID_OVERLOAD_RISK", "RENAL_RISK"]


def test_hemolysis_at_2_g_per_kg_as_ordered() -> None:
    assert codes(compute_plan(plan_request(blood_group="AB"))) == ["HEMOLYSIS_RISK"]
    assert codes(compute_plan(plan_request(blood_group="B", total_dose_g_per_kg="1.99"))) == []
    assert codes(compute_plan(plan_request(blood_group="O"))) == []
    assert codes(compute_plan(plan_request(blood_group="unknown"))) == []
    # 400 mg/kg * 5 days = 2 g/kg as ordered
    assert codes(compute_plan(plan_request(blood_group="A", daily_dose_mg_per_kg="400"))) == [
        "HEMOLYSIS_RISK"
    ]


def test_no_concomitant_immunosuppressant_for_blistering_and_connective_tissue() -> None:
    def run(slug: str, therapy: str | None) -> list[str]:
        return codes(
            compute_plan(plan_request(indication_slug=slug, concomitant_immunosuppressant=therapy))
        )

    assert run("dermatomyositis", None) == ["NO_CONCOMITANT_IMMUNOSUPPRESSANT"]
    assert run("pemphigus-vulgaris", "  ") == ["NO_CONCOMITANT_IMMUNOSUPPRESSANT"]
    assert run("pemphigus-vulgaris", "rituximab") == []
    assert run("psoriasis", None) == []


def test_weight_30_days_old_is_fine_and_31_is_outdated() -> None:
    measured = date(2027, 1, 1)
    fresh = compute_plan(plan_request(weight_measured_on=measured, evaluated_on=date(2027, 1, 31)))
    stale = compute_plan(plan_request(weight_measured_on=measured, evaluated_on=date(2027, 2, 1)))
    unknown = compute_plan(plan_request(weight_measured_on=measured))
    assert codes(fresh) == []
    assert [(f.code, f.severity) for f in stale.findings] == [("WEIGHT_OUTDATED", "override")]
    assert codes(unknown) == []


def test_cycle_interval_13_and_29_are_unusual_14_and_28_are_not() -> None:
    def run(interval: int, cycles: int = 2) -> list[str]:
        # 1-day cycles of 400 mg/kg: at most 2 days in 28 (0.8 g/kg), no 28-day finding
        return codes(
            compute_plan(
                plan_request(
                    daily_dose_mg_per_kg="400", days_per_cycle=1, cycles=cycles,
                    cycle_interval_days=interval,
                )
            )
        )  # fmt: skip

    assert run(13) == ["CYCLE_INTERVAL_UNUSUAL"]
    assert run(14) == []
    assert run(28) == []
    assert run(29) == ["CYCLE_INTERVAL_UNUSUAL"]
    assert run(13, cycles=1) == []
    assert run(7) == ["CYCLE_INTERVAL_UNUSUAL"]
    assert run(6) == ["INVALID_INPUT"]
    assert run(90) == ["CYCLE_INTERVAL_UNUSUAL"]
    assert run(91) == ["INVALID_INPUT"]


def test_no_authorization_only_when_explicitly_not_covered() -> None:
    assert codes(compute_plan(plan_request(authorization_covered=False))) == ["NO_AUTHORIZATION"]
    assert codes(compute_plan(plan_request(authorization_covered=True))) == []
    assert codes(compute_plan(plan_request(authorization_covered=None))) == []


def test_findings_are_ordered_stop_override_warn_then_code() -> None:
    plan = compute_plan(
        plan_request(
            age_years=70, product_slug="carimune-nf", indication_slug="dermatomyositis",
            concomitant_immunosuppressant=None, risk_factors=("migraine", "renal_failure"),
            blood_group="A", iga_status="deficient", pregnant=True, sex="female",
            target_rate_ml_per_h=250, cycles=2, cycle_interval_days=10,
            dosing_weight_basis="actual", authorization_covered=False,
            weight_measured_on=date(2026, 1, 1), evaluated_on=date(2027, 1, 1),
        )
    )  # fmt: skip
    assert [(f.severity, f.code) for f in plan.findings] == [
        ("stop", "MAX_DOSE_PER_28_DAYS"),
        ("stop", "RATE_ABOVE_MAXIMUM"),
        ("stop", "SUCROSE_RENAL_RISK"),
        ("override", "FLUID_OVERLOAD_RISK"),
        ("override", "IGA_DEFICIENCY"),
        ("override", "RENAL_RISK"),
        ("override", "THROMBOSIS_RISK"),
        ("override", "WEIGHT_OUTDATED"),
        ("warn", "ASEPTIC_MENINGITIS_RISK"),
        ("warn", "CYCLE_INTERVAL_UNUSUAL"),
        ("warn", "DOSING_WEIGHT_OVERRIDDEN"),
        ("warn", "HEMOLYSIS_RISK"),
        ("warn", "NO_AUTHORIZATION"),
        ("warn", "NO_CONCOMITANT_IMMUNOSUPPRESSANT"),
        ("warn", "PREGNANCY"),
    ]


@pytest.mark.parametrize(
    ("overrides", "valid"),
    [
        ({"age_years": 0, "weight_kg": "5", "height_cm": "60"}, True),
        ({"age_years": 130}, True),
        ({"age_years": 131}, False),
        ({"age_years": -1}, False),
        ({"days_per_cycle": 1}, True),
        ({"days_per_cycle": 0}, False),
        ({"days_per_cycle": 6}, False),
        ({"cycles": 60}, True),
        ({"cycles": 0}, False),
        ({"cycles": 61}, False),
        ({"target_rate_ml_per_h": 1}, True),
        ({"target_rate_ml_per_h": 0}, False),
        ({"daily_dose_mg_per_kg": "0"}, False),
        ({"daily_dose_mg_per_kg": "-400"}, False),
        ({"total_dose_g_per_kg": "-2"}, False),
        # our sanity bound: a daily dose above 10 g/kg is a typing error
        ({"daily_dose_mg_per_kg": "10000", "days_per_cycle": 1}, True),
        ({"daily_dose_mg_per_kg": "10001", "days_per_cycle": 1}, False),
        ({"sex": None}, False),
    ],
)
def test_invalid_input_ranges(overrides: dict[str, object], valid: bool) -> None:
    plan = compute_plan(plan_request(**overrides))  # type: ignore[arg-type]
    assert ("INVALID_INPUT" not in codes(plan)) is valid
    if not valid:
        assert plan.findings[0].code == "INVALID_INPUT"
        assert plan.findings[0].severity == "stop"
        # numbers that do not depend on the invalid value are still computed: an age or a
        # cycle count out of range does not change the day's infusion of this adult
        daily_plan_computable = set(overrides) <= {"age_years", "cycles"}
        assert (plan.titration is not None) is daily_plan_computable


def test_label_protocol_needs_label_steps_and_products_need_a_vial() -> None:
    from tests.engine.factories import product

    no_steps = product("privigen", label_rate_steps=[])
    plan = compute_plan(plan_request(product_facts=no_steps, rate_protocol="label"))
    assert codes(plan) == ["INVALID_INPUT"]
    assert plan.daily_dose_g == D(28)  # the dose does not depend on the rate steps
    assert plan.titration is None
    assert compute_plan(plan_request(product_facts=no_steps)).titration is not None
    no_vials = product("privigen", vial_sizes_g=[])
    plan = compute_plan(plan_request(product_facts=no_vials))
    assert codes(plan) == ["INVALID_INPUT"]
    assert "no active vial size" in plan.findings[0].message
    assert plan.daily_dose_g is None


def test_a_dose_that_rounds_to_0_g_is_invalid() -> None:
    # 1 kg baby, 10 mg/kg: 0.01 g, nothing within tolerance, rounds to 0.0 g
    plan = compute_plan(
        plan_request(
            weight_kg="1", height_cm="40", age_years=0, daily_dose_mg_per_kg="10",
            days_per_cycle=1,
        )
    )  # fmt: skip
    assert codes(plan) == ["INVALID_INPUT"]
    assert plan.calculated_daily_dose_g == D(0)
    assert plan.daily_dose_g is None
