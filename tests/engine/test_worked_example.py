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
    # so the top rate is 200. Volume of a 15-min step = rate / 4:
    #   34 -> 8.5 | 49 -> 12.25 | 64 -> 16 | 79 -> 19.75 | 94 -> 23.5 | 109 -> 27.25 |
    #   124 -> 31 | 139 -> 34.75 | 154 -> 38.5; cumulative after 135 min: 211.5 mL
    # the last 38.5 mL at 169 mL/h take 38.5 * 60 / 169 = 13.669 min; total 148.67 -> 149
    assert [
        (s.start_min, s.rate_ml_per_h, s.minutes, s.volume_ml) for s in plan.titration or []
    ] == [
        (0, 34, Decimal("15.0"), Decimal("8.5")),
        (15, 49, Decimal("15.0"), Decimal("12.3")),
        (30, 64, Decimal("15.0"), Decimal("16.0")),
        (45, 79, Decimal("15.0"), Decimal("19.8")),
        (60, 94, Decimal("15.0"), Decimal("23.5")),
        (75, 109, Decimal("15.0"), Decimal("27.3")),
        (90, 124, Decimal("15.0"), Decimal("31.0")),
        (105, 139, Decimal("15.0"), Decimal("34.8")),
        (120, 154, Decimal("15.0"), Decimal("38.5")),
        (135, 169, Decimal("13.7"), Decimal("38.5")),
    ]
    assert plan.target_rate_reached_min is None  # 200 mL/h is never reached
    assert plan.infusion_minutes == 149
    assert plan.vital_checks_min == [0, 30, 60, 90, 120, 149]
    assert plan.premedication_min_before == 30
    assert plan.chair_minutes == 209  # 30 + 149 + 30
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
    assert body["titration"][0] == {
        "start_min": 0,
        "rate_ml_per_h": 34,
        "minutes": "15.0",
        "volume_ml": "8.5",
    }
    assert body["titration"][1] == {
        "start_min": 15,
        "rate_ml_per_h": 49,
        "minutes": "15.0",
        "volume_ml": "12.3",
    }
    assert body["titration"][-1] == {
        "start_min": 135,
        "rate_ml_per_h": 169,
        "minutes": "13.7",
        "volume_ml": "38.5",
    }
    assert body["target_rate_reached_min"] is None
    assert body["infusion_minutes"] == 149
    assert body["vital_checks_min"] == [0, 30, 60, 90, 120, 149]
    assert body["chair_minutes"] == 209
    assert body["cycles"][0] == {
        "number": 1,
        "days": ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"],
    }
    assert body["cost_per_cycle"] == "11875"
    assert [f["code"] for f in body["findings"]] == ["ASEPTIC_MENINGITIS_RISK", "HEMOLYSIS_RISK"]
