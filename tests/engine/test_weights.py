"""Weights for the patient pages: unusual entries and when ideal/adjusted weights apply
(docs/clinical-rules.md 3.1)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ivig.engine import ideal_and_adjusted_weights_apply, unusual_weight_reasons

D = Decimal
TODAY = date(2027, 3, 1)


def reasons(
    weight_kg: str,
    previous_kg: str | None = "72.4",
    days_before: int | None = 12,
    height_cm: str | None = "175",
    age_years: int | None = 40,
) -> list[str]:
    return unusual_weight_reasons(
        weight_kg=D(weight_kg),
        height_cm=None if height_cm is None else D(height_cm),
        age_years=age_years,
        measured_on=TODAY,
        previous_weight_kg=None if previous_kg is None else D(previous_kg),
        previous_measured_on=None if days_before is None else TODAY - timedelta(days=days_before),
    )


def test_a_decimal_point_slip_is_named_with_the_numbers() -> None:
    # 7.24 kg at 175 cm is also a BMI of 2.4
    assert reasons("7.24") == [
        "7.24 kg is 90 % less than 72.4 kg measured 12 days earlier.",
        "BMI 2.4 (7.24 kg at 175 cm) is under 12 for an adult.",
    ]


@pytest.mark.parametrize(
    ("weight_kg", "unusual"),
    # 50 kg before: 60 is exactly 20 % more, 40 exactly 20 % less
    [("60", True), ("59.9", False), ("40", True), ("40.1", False), ("50", False)],
)
def test_a_change_of_20_percent_of_the_previous_weight(weight_kg: str, unusual: bool) -> None:
    found = reasons(weight_kg, previous_kg="50", height_cm=None)
    assert bool(found) is unusual
    if unusual:
        assert found == [f"{weight_kg} kg is 20 % {'more' if weight_kg == '60' else 'less'} "
                         "than 50 kg measured 12 days earlier."]  # fmt: skip


def test_the_previous_weight_counts_within_30_days_before_only() -> None:
    assert reasons("50", days_before=30) == [
        "50 kg is 31 % less than 72.4 kg measured 30 days earlier."
    ]
    assert reasons("50", days_before=31) == []
    assert reasons("50", days_before=0) == [
        "50 kg is 31 % less than 72.4 kg measured the same day."
    ]
    assert reasons("50", days_before=-1) == []  # measured after the new weight
    assert reasons("50", previous_kg=None) == []
    assert reasons("50", days_before=None) == []
    assert reasons("50", days_before=1)[0].endswith("measured 1 day earlier.")


@pytest.mark.parametrize(
    ("weight_kg", "reason"),
    [
        # 175 cm: BMI 12 = 36.75 kg, BMI 80 = 245 kg
        ("36.75", None),
        ("36.74", "BMI 12.0 (36.74 kg at 175 cm) is under 12 for an adult."),
        ("245", None),
        ("245.1", "BMI 80.0 (245.1 kg at 175 cm) is over 80 for an adult."),
    ],
)
def test_adult_bmi_under_12_or_over_80(weight_kg: str, reason: str | None) -> None:
    found = reasons(weight_kg, previous_kg=None)
    assert found == ([] if reason is None else [reason])


def test_bmi_bounds_are_for_adults_only() -> None:
    assert reasons("5", previous_kg=None, age_years=17) == []
    assert reasons("5", previous_kg=None, age_years=18) != []
    assert reasons("5", previous_kg=None, age_years=None) == []
    assert reasons("5", previous_kg=None, height_cm=None) == []


@pytest.mark.parametrize(
    ("age_years", "basis", "applies"),
    [
        (17, "auto", False),
        (0, "auto", False),
        (18, "auto", True),
        (17, "ideal", True),
        (17, "adjusted", True),
        (17, "actual", True),
        (None, "auto", True),
    ],
)
def test_ideal_and_adjusted_weights_do_not_apply_to_children_on_auto(
    age_years: int | None, basis: str, applies: bool
) -> None:
    assert ideal_and_adjusted_weights_apply(age_years, basis) is applies  # type: ignore[arg-type]
