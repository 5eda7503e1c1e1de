"""The plan's stages one by one (docs/clinical-rules.md 3, 3.8 INVALID_INPUT): each is a pure
function returning a frozen value, and an invalid or unknown input leaves exactly the numbers that
depend on it unknown."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from ivig.engine.plan import (
    Course,
    Dose,
    Rates,
    plan_course,
    plan_dose,
    plan_rates,
    plan_weights,
    validate,
    weight_problems,
)
from ivig.engine.rules import base_facts
from tests.engine.factories import plan_request, product

D = Decimal


def test_validate_lists_every_problem_in_the_order_of_the_message() -> None:
    request = plan_request(
        weight_kg=None,
        height_cm="30",
        sex=None,
        age_years=131,
        total_dose_g_per_kg="0",
        days_per_cycle=6,
        cycles=0,
        cycle_interval_days=6,
        target_rate_ml_per_h=0,
        product_slug=None,
        indication_slug=None,
    )

    valid = validate(request)

    assert valid.problems == (
        "weight is missing",
        "height 30 cm is not between 40 and 250 cm",
        "sex is missing",
        "age 131 years is not between 0 and 130 years",
        "total dose 0 g/kg is not above 0",
        "6 days per cycle is not between 1 and 5",
        "0 cycles is not between 1 and 60",
        "a cycle interval of 6 days is not between 7 and 90 days",
        "target rate 0 mL/h is below 1 mL/h",
        "the product is unknown",
        "the indication is unknown",
    )
    assert (valid.weight_kg, valid.height_cm, valid.age_years) == (None, None, None)
    assert (valid.days_per_cycle, valid.cycles, valid.interval_days) == (None, None, None)
    assert valid.target_rate_ml_per_h is None
    assert valid.dose_valid is False


def test_validate_keeps_valid_values_and_finds_nothing() -> None:
    valid = validate(plan_request())

    assert valid.problems == ()
    assert (valid.weight_kg, valid.height_cm, valid.age_years) == (D(70), D(175), 40)
    assert (valid.days_per_cycle, valid.cycles, valid.interval_days) == (5, 1, 28)
    assert valid.dose_valid is True


def test_an_implausible_daily_dose_is_judged_only_when_the_dose_is_above_0() -> None:
    implausible = validate(plan_request(total_dose_g_per_kg="51"))  # 10.2 g/kg a day over 5 days

    assert implausible.problems == ("a daily dose of 10.2 g/kg is implausible (above 10 g/kg)",)
    assert implausible.dose_valid is False


def test_a_course_past_the_calendar_leaves_the_cycles_unknown() -> None:
    valid = validate(plan_request(start_date=date(9999, 12, 1), cycles=2))

    assert valid.problems == ("the course would end after the last date the calendar can hold",)
    assert valid.cycles is None
    assert plan_course(plan_request().regimen, valid) == Course()


def test_label_protocol_without_label_steps_is_a_problem_and_leaves_no_rates() -> None:
    request = plan_request(
        rate_protocol="label", product_facts=product("privigen", label_rate_steps=[])
    )
    valid = validate(request)

    assert valid.label_steps_missing is True
    assert valid.problems == ("Privigen has no label rate steps",)
    rates = plan_rates(request, valid, D(70), 700, base_facts(request.patient, request.product))
    assert rates == Rates()


def test_a_dosing_weight_of_0_kg_is_a_problem_of_the_weights_stage() -> None:
    request = plan_request(height_cm="40", dosing_weight_basis="ideal", sex="female")
    weights = plan_weights(request, validate(request))

    assert weights.dosing_weight_kg is None
    assert weight_problems(weights) == ("the dosing weight (ideal body weight) is 0 kg",)


def test_the_course_lists_its_cycles_and_every_infusion_day() -> None:
    request = plan_request(days_per_cycle=2, cycles=2, cycle_interval_days=28)
    course = plan_course(request.regimen, validate(request))

    assert course.cycles is not None
    assert [cycle.number for cycle in course.cycles] == [1, 2]
    assert course.planned_days == (
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 2, 1),
        date(2027, 2, 2),
    )


def test_an_unknown_indication_shows_the_calculated_dose_and_nothing_after_it() -> None:
    request = plan_request(indication_slug=None)
    valid = validate(request)

    dose = plan_dose(request, valid, D(70), plan_course(request.regimen, valid))

    assert dose == Dose(calculated_g=D(28))
    assert dose.daily_dose_g is None


def test_a_daily_dose_rounding_to_0_g_is_a_problem_of_the_dose_stage() -> None:
    request = plan_request(weight_kg="1", total_dose_g_per_kg=None, daily_dose_mg_per_kg="1")
    valid = validate(request)

    dose = plan_dose(request, valid, D(1), plan_course(request.regimen, valid))

    assert dose.problems == ("the daily dose rounds to 0 g",)
    assert dose.rounding is None
    assert dose.volume_ml is None


def test_the_dose_stage_gives_volume_cycle_dose_and_cost() -> None:
    request = plan_request()  # 70 kg, 2 g/kg over 5 days: 28 g a day of Privigen 10 %
    valid = validate(request)

    dose = plan_dose(request, valid, D(70), plan_course(request.regimen, valid))

    assert dose.daily_dose_g == D(28)
    assert dose.volume_ml == 280
    assert dose.cycle_dose_g == D(140)
    assert dose.cycle_dose_g_per_kg == D(2)
    assert dose.problems == ()


@pytest.mark.parametrize("stage_value", [Course(), Dose(), Rates()])
def test_stage_values_are_frozen(stage_value: object) -> None:
    field = dataclasses.fields(stage_value)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(stage_value, field, None)
