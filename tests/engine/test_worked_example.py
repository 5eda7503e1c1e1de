"""docs/api.md's worked example, every field (docs/clinical-rules.md 3; docs/api.md "Response
200")."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ivig.engine import PlanRequest, compute_plan, dose_plan_to_json
from tests.engine.factories import plan_request


def _worked_example_request() -> PlanRequest:
    return plan_request(
        weight_kg="82.5",
        height_cm="168",
        sex="female",
        age_years=57,
        blood_group="A",
        iga_status="normal",
        risk_factors=("migraine",),
        product_slug="privigen",
        indication_slug="pemphigus-vulgaris",
        total_dose_g_per_kg="2",
        days_per_cycle=5,
        cycles=6,
        cycle_interval_days=28,
        start_date=date(2027, 1, 4),
        concomitant_immunosuppressant="mycophenolate",
    )


def test_worked_example_every_field() -> None:
    plan = compute_plan(_worked_example_request())

    # height_in = 168 / 2.54 = 66.1417; IBW = 45.5 + 2.3 * 6.1417 = 59.626 -> 59.6
    # BMI = 82.5 / 1.68^2 = 29.23 -> 29.2 (not over 30); 1.2 * IBW = 71.55 < 82.5 -> adjusted
    # adjusted = 59.626 + 0.4 * (82.5 - 59.626) = 68.7756 -> 68.8
    assert plan.bmi == Decimal("29.2")
    assert plan.ideal_body_weight_kg == Decimal("59.6")
    assert plan.adjusted_body_weight_kg == Decimal("68.8")
    assert plan.dosing_weight_kg == Decimal("68.8")
    assert plan.dosing_weight_basis == "adjusted"
    # 2 g/kg * 68.8 kg / 5 days = 27.52 g; tolerance 2.752 g: 25 (2.52 away) and 30 (2.48);
    # 30 * 5 = 150 g > 2 g/kg * 68.8 kg = 137.6 g, so rounding up is refused -> 25 = 20 + 5
    assert plan.calculated_daily_dose_g == Decimal("27.5")
    assert plan.daily_dose_g == Decimal("25")
    assert [(v.size_g, v.count) for v in plan.vials or []] == [(Decimal(20), 1), (Decimal(5), 1)]
    assert plan.waste_g == Decimal(0)
    assert plan.daily_volume_ml == 250  # 25 g * 100 / 10 %
    assert plan.cycle_dose_g == Decimal("125")  # 25 * 5
    assert plan.cycle_dose_g_per_kg == Decimal("1.82")  # 125 / 68.8 = 1.8169
    # start floor(0.5 * 68.8) = 34 mL/h, +15 every 15 min; label max 8 mg/kg/min = 330 mL/h,
    # so the top rate is 200. Rules v3: no step faster than Privigen's label step at its start
    # minute; mg/kg/min * 68.8 * 60 / 100 = * 41.28, rounded down: 0.5 -> 20 (0-30 min),
    # 1 -> 41 (30-60), 2 -> 82 (60-90), 4 -> 165 (90-120), 8 -> 330 (from 120).
    # minute 0: min(34, 20) = 20; 15: min(49, 20) = 20; 30: min(64, 41) = 41; 45: min(79, 41)
    # = 41; 60: min(94, 82) = 82; 75: min(109, 82) = 82; 90: min(124, 165) = 124; then the
    # protocol: 139, 154, 169, 184, ...
    # Volumes: 20 * 30 / 60 = 10 | 41 / 2 = 20.5 | 82 / 2 = 41 | 124 / 4 = 31 |
    #   139 / 4 = 34.75 | 154 / 4 = 38.5 | 169 / 4 = 42.25; cumulative after 150 min: 218 mL
    # the last 32 mL at 184 mL/h take 32 * 60 / 184 = 10.435 min; total 160.43 -> 161
    assert [
        (s.start_min, s.rate_ml_per_h, s.minutes, s.volume_ml) for s in plan.titration or []
    ] == [
        (0, 20, Decimal("30.0"), Decimal("10.0")),
        (30, 41, Decimal("30.0"), Decimal("20.5")),
        (60, 82, Decimal("30.0"), Decimal("41.0")),
        (90, 124, Decimal("15.0"), Decimal("31.0")),
        (105, 139, Decimal("15.0"), Decimal("34.8")),
        (120, 154, Decimal("15.0"), Decimal("38.5")),
        (135, 169, Decimal("15.0"), Decimal("42.3")),
        (150, 184, Decimal("10.4"), Decimal("32.0")),
    ]
    assert [s.limited_by for s in plan.titration or []] == [
        "label_step",
        "label_step",
        "label_step",
        "protocol",
        "protocol",
        "protocol",
        "protocol",
        "protocol",
    ]
    assert plan.target_rate_reached_min is None  # 200 mL/h is never reached
    assert plan.infusion_minutes == 161
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 150, 161]
    assert plan.premedication_min_before == 30
    assert plan.chair_minutes == 221  # 30 + 161 + 30
    assert plan.cycles is not None
    assert len(plan.cycles) == 6
    for number, cycle in enumerate(plan.cycles, start=1):
        first = date(2027, 1, 4) + timedelta(days=28 * (number - 1))
        assert cycle.number == number
        assert cycle.days == [first + timedelta(days=offset) for offset in range(5)]
    assert plan.cycles[0].days == [date(2027, 1, day) for day in (4, 5, 6, 7, 8)]
    assert plan.cost_per_cycle == Decimal("11875")  # 25 g * 5 days * 95
    assert [(f.code, f.severity) for f in plan.findings] == [
        ("ASEPTIC_MENINGITIS_RISK", "warn"),
        ("HEMOLYSIS_RISK", "warn"),
    ]


def test_worked_example_json_shape() -> None:
    body = dose_plan_to_json(compute_plan(_worked_example_request()))

    assert list(body) == [
        "bmi",
        "ideal_body_weight_kg",
        "adjusted_body_weight_kg",
        "dosing_weight_kg",
        "dosing_weight_basis",
        "calculated_daily_dose_g",
        "daily_dose_g",
        "vials",
        "waste_g",
        "daily_volume_ml",
        "cycle_dose_g",
        "cycle_dose_g_per_kg",
        "titration",
        "target_rate_reached_min",
        "infusion_minutes",
        "vital_checks_min",
        "premedication_min_before",
        "chair_minutes",
        "cycles",
        "cost_per_cycle",
        "findings",
    ]
    assert body["bmi"] == "29.2"
    assert body["dosing_weight_kg"] == "68.8"
    assert body["daily_dose_g"] == "25"
    assert body["vials"] == [{"size_g": "20", "count": 1}, {"size_g": "5", "count": 1}]
    assert body["waste_g"] == "0"
    assert body["daily_volume_ml"] == 250
    assert body["cycle_dose_g"] == "125"
    assert body["cycle_dose_g_per_kg"] == "1.82"
    # rules v3 (see above): the first steps are Privigen's label steps
    assert body["titration"][0] == {
        "start_min": 0,
        "rate_ml_per_h": 20,
        "minutes": "30.0",
        "volume_ml": "10.0",
    }
    assert body["titration"][1] == {
        "start_min": 30,
        "rate_ml_per_h": 41,
        "minutes": "30.0",
        "volume_ml": "20.5",
    }
    assert body["titration"][-1] == {
        "start_min": 150,
        "rate_ml_per_h": 184,
        "minutes": "10.4",
        "volume_ml": "32.0",
    }
    assert body["target_rate_reached_min"] is None
    assert body["infusion_minutes"] == 161
    assert body["vital_checks_min"] == [0, 30, 60, 90, 120, 150, 161]
    assert body["chair_minutes"] == 221
    assert body["cycles"][0] == {
        "number": 1,
        "days": ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"],
    }
    assert body["cost_per_cycle"] == "11875"
    assert [f["code"] for f in body["findings"]] == ["ASEPTIC_MENINGITIS_RISK", "HEMOLYSIS_RISK"]
