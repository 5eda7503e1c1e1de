"""Body weights and the dosing weight (docs/clinical-rules.md 3.1).

Rules, as implemented:
- BMI = weight_kg / (height_cm / 100)²; ideal body weight (Devine) = base + 2.3 kg per inch of
  height over 60 in, with height_in = height_cm / 2.54 and base 50 kg (male) or 45.5 kg (female).
  Interpretation: the formula also applies below 60 in (it subtracts), and only the result is
  clamped at 0 kg. Adjusted body weight = IBW + 0.4 * (actual - IBW).
- BMI, IBW and adjusted weight are computed at full precision (the Decimal context of the
  engine, 28 significant digits) and compared unrounded: "BMI over 30" is BMI > 30 (exactly 30
  is not over), "over 120 % of IBW" is actual > 1.2 * IBW. They are shown rounded to 0.1 (half up).
- Basis ``auto``: adjusted iff age ≥ 18 and not pregnant and height ≥ 152 cm and (BMI > 30 or
  actual > 1.2 * IBW); actual weight otherwise. An explicit ``actual``/``ideal``/``adjusted``
  is used as given (the finding DOSING_WEIGHT_OVERRIDDEN is raised in findings.py).
- The dosing weight is the chosen weight rounded to 0.1 kg half up; everything downstream uses
  that rounded value. A dosing weight that rounds to 0 kg or less (explicit ``ideal`` for a very
  short patient) is not usable: INVALID_INPUT, and the dosing weight is shown as null.

Missing inputs (interpretation of "compute every number you still can", docs/clinical-rules.md 3.8):
a value that is missing or out of range (INVALID_INPUT) is treated as unknown. Each weight is
computed when its own inputs are known. The ``auto`` decision uses three-valued logic: it is settled
when the known criteria settle it (for example a child is dosed on actual weight even if the height
is unknown), and left unknown (dosing weight null) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ivig.engine.formatting import format_decimal
from ivig.engine.models import (
    AdjustedWeightRule,
    DosingWeightBasis,
    DosingWeightBasisChoice,
    Sex,
)

CM_PER_INCH = Decimal("2.54")
IBW_BASE_MALE_KG = Decimal(50)
IBW_BASE_FEMALE_KG = Decimal("45.5")
IBW_KG_PER_INCH_OVER_60 = Decimal("2.3")
IBW_REFERENCE_HEIGHT_IN = Decimal(60)
ADJUSTED_WEIGHT_FRACTION_OF_EXCESS = Decimal("0.4")
ADJUSTED_BASIS_MIN_AGE_YEARS = 18
ADJUSTED_BASIS_MIN_HEIGHT_CM = Decimal(152)
ADJUSTED_BASIS_BMI_OVER = Decimal(30)
ONTARIO_MIN_HEIGHT_CM = Decimal("152.4")  # 60 inches
ADJUSTED_BASIS_ACTUAL_OVER_IBW_RATIO = Decimal("1.2")

WEIGHT_DISPLAY_QUANTUM_KG = Decimal("0.1")
BMI_DISPLAY_QUANTUM = Decimal("0.1")


def round_weight_kg(weight_kg: Decimal) -> Decimal:
    """A weight to 0.1 kg, half up (docs/clinical-rules.md 3.1)."""
    return weight_kg.quantize(WEIGHT_DISPLAY_QUANTUM_KG, rounding=ROUND_HALF_UP)


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """Body-mass index, full precision."""
    height_m = height_cm / 100
    return weight_kg / (height_m * height_m)


def ideal_body_weight_kg(height_cm: Decimal, sex: Sex) -> Decimal:
    """Devine IBW, full precision, never below 0 kg."""
    base_kg = IBW_BASE_MALE_KG if sex == "male" else IBW_BASE_FEMALE_KG
    height_in = height_cm / CM_PER_INCH
    ibw_kg = base_kg + IBW_KG_PER_INCH_OVER_60 * (height_in - IBW_REFERENCE_HEIGHT_IN)
    return max(Decimal(0), ibw_kg)


def adjusted_body_weight_kg(actual_kg: Decimal, ibw_kg: Decimal) -> Decimal:
    """IBW + 0.4 * (actual - IBW), full precision."""
    return ibw_kg + ADJUSTED_WEIGHT_FRACTION_OF_EXCESS * (actual_kg - ibw_kg)


def _and3(*values: bool | None) -> bool | None:
    if any(value is False for value in values):
        return False
    if any(value is None for value in values):
        return None
    return True


def _or3(*values: bool | None) -> bool | None:
    if any(value is True for value in values):
        return True
    if any(value is None for value in values):
        return None
    return False


@dataclass(frozen=True)
class Weights:
    """Full-precision weights (None = unknown) and the dosing weight actually used."""

    bmi: Decimal | None
    ideal_kg: Decimal | None
    adjusted_kg: Decimal | None
    basis: DosingWeightBasis | None
    # The chosen weight rounded to 0.1 kg half up; None when unknown or not above 0 kg.
    dosing_weight_kg: Decimal | None
    dosing_weight_not_positive: bool


def auto_uses_adjusted(
    *,
    age_years: int | None,
    pregnant: bool,
    height_cm: Decimal | None,
    bmi_value: Decimal | None,
    actual_kg: Decimal | None,
    ideal_kg: Decimal | None,
    rule: AdjustedWeightRule = "bmi_or_ibw_percent",
) -> bool | None:
    """docs/clinical-rules.md 3.1 ``auto`` rule in three-valued logic (None = cannot be decided).

    ``rule`` is the dosing policy's choice (rules v3): ``bmi_or_ibw_percent`` (the default: BMI
    over 30 or actual over 120 % of IBW, at least 152 cm) or ``any_adult_above_ibw`` (Ontario's
    IVIG programme: every adult of 152.4 cm (60 inches) or more whose actual weight is above
    IBW). Both: adults, not pregnant."""
    adult = None if age_years is None else age_years >= ADJUSTED_BASIS_MIN_AGE_YEARS
    if rule == "any_adult_above_ibw":
        tall = None if height_cm is None else height_cm >= ONTARIO_MIN_HEIGHT_CM
        above_ibw = None if actual_kg is None or ideal_kg is None else actual_kg > ideal_kg
        return _and3(adult, not pregnant, tall, above_ibw)
    tall_enough = None if height_cm is None else height_cm >= ADJUSTED_BASIS_MIN_HEIGHT_CM
    bmi_over = None if bmi_value is None else bmi_value > ADJUSTED_BASIS_BMI_OVER
    over_ibw = (
        None
        if actual_kg is None or ideal_kg is None
        else actual_kg > ADJUSTED_BASIS_ACTUAL_OVER_IBW_RATIO * ideal_kg
    )
    return _and3(adult, not pregnant, tall_enough, _or3(bmi_over, over_ibw))


def compute_weights(
    *,
    weight_kg: Decimal | None,
    height_cm: Decimal | None,
    sex: Sex | None,
    age_years: int | None,
    pregnant: bool,
    basis_choice: DosingWeightBasisChoice,
    adjusted_weight_rule: AdjustedWeightRule = "bmi_or_ibw_percent",
) -> Weights:
    """All weights from *valid* inputs (invalid ones must be passed as None)."""
    bmi_value = None if weight_kg is None or height_cm is None else bmi(weight_kg, height_cm)
    ideal_kg = None if height_cm is None or sex is None else ideal_body_weight_kg(height_cm, sex)
    adjusted_kg = (
        None
        if weight_kg is None or ideal_kg is None
        else adjusted_body_weight_kg(weight_kg, ideal_kg)
    )
    basis: DosingWeightBasis | None
    if basis_choice == "auto":
        basis = _auto_basis(
            auto_uses_adjusted(
                age_years=age_years,
                pregnant=pregnant,
                height_cm=height_cm,
                bmi_value=bmi_value,
                actual_kg=weight_kg,
                ideal_kg=ideal_kg,
                rule=adjusted_weight_rule,
            )
        )
    else:
        basis = basis_choice
    chosen_kg = {"actual": weight_kg, "ideal": ideal_kg, "adjusted": adjusted_kg, None: None}[basis]
    return _with_dosing_weight(bmi_value, ideal_kg, adjusted_kg, basis, chosen_kg)


def _auto_basis(uses_adjusted: bool | None) -> DosingWeightBasis | None:
    """Basis ``auto`` decided (None: it cannot be decided)."""
    if uses_adjusted is None:
        return None
    return "adjusted" if uses_adjusted else "actual"


def _with_dosing_weight(
    bmi_value: Decimal | None,
    ideal_kg: Decimal | None,
    adjusted_kg: Decimal | None,
    basis: DosingWeightBasis | None,
    chosen_kg: Decimal | None,
) -> Weights:
    """The weights with the chosen one rounded to 0.1 kg as the dosing weight, unless it is not
    above 0 kg."""
    dosing_weight_kg = None if chosen_kg is None else round_weight_kg(chosen_kg)
    not_positive = dosing_weight_kg is not None and dosing_weight_kg <= 0
    return Weights(
        bmi=bmi_value,
        ideal_kg=ideal_kg,
        adjusted_kg=adjusted_kg,
        basis=basis,
        dosing_weight_kg=None if not_positive else dosing_weight_kg,
        dosing_weight_not_positive=not_positive,
    )


# --- for the patient pages (docs/clinical-rules.md 3.1) ---------------------------------------

UNUSUAL_WEIGHT_CHANGE_FRACTION = Decimal("0.20")
UNUSUAL_WEIGHT_CHANGE_WITHIN_DAYS = 30
ADULT_BMI_PLAUSIBLE_MIN = Decimal(12)
ADULT_BMI_PLAUSIBLE_MAX = Decimal(80)
_PERCENT_QUANTUM = Decimal(1)


def unusual_weight_reasons(
    *,
    weight_kg: Decimal,
    height_cm: Decimal | None,
    age_years: int | None,
    measured_on: date,
    previous_weight_kg: Decimal | None,
    previous_measured_on: date | None,
) -> list[str]:
    """Why a newly entered weight looks like a typing error, in plain words (empty: it does not).

    - It differs by 20 % or more from the previous weight measured within the 30 days before it
      (0-30 days earlier): |weight - previous| >= 0.20 * previous.
    - For an adult (age >= 18), the BMI is under 12 or over 80 (compared unrounded).
    Percentages are shown to a whole percent and the BMI to 0.1, both half up.
    """
    reasons: list[str] = []
    if (
        previous_weight_kg is not None
        and previous_weight_kg > 0
        and previous_measured_on is not None
        and 0 <= (measured_on - previous_measured_on).days <= UNUSUAL_WEIGHT_CHANGE_WITHIN_DAYS
    ):
        reasons += _weight_change_reasons(
            weight_kg, previous_weight_kg, (measured_on - previous_measured_on).days
        )
    adult = age_years is not None and age_years >= ADJUSTED_BASIS_MIN_AGE_YEARS
    if adult and height_cm is not None and height_cm > 0 and weight_kg > 0:
        reasons += _adult_bmi_reasons(weight_kg, height_cm)
    return reasons


def _weight_change_reasons(weight_kg: Decimal, previous_weight_kg: Decimal, days: int) -> list[str]:
    """A change of 20 % or more from the previous weight measured ``days`` earlier."""
    change_kg = abs(weight_kg - previous_weight_kg)
    if change_kg < UNUSUAL_WEIGHT_CHANGE_FRACTION * previous_weight_kg:
        return []
    percent = (change_kg * 100 / previous_weight_kg).quantize(
        _PERCENT_QUANTUM, rounding=ROUND_HALF_UP
    )
    direction = "more" if weight_kg > previous_weight_kg else "less"
    when = "the same day" if days == 0 else f"{days} day{'s' if days != 1 else ''} earlier"
    return [
        f"{format_decimal(weight_kg)} kg is {format_decimal(percent)} % {direction} than "
        f"{format_decimal(previous_weight_kg)} kg measured {when}."
    ]


def _adult_bmi_reasons(weight_kg: Decimal, height_cm: Decimal) -> list[str]:
    """An adult's BMI under 12 or over 80 (compared unrounded)."""
    bmi_value = bmi(weight_kg, height_cm)
    # one decimal place kept: "BMI 12.0 ... is under 12" says it was just under
    shown = format(bmi_value.quantize(BMI_DISPLAY_QUANTUM, rounding=ROUND_HALF_UP), "f")
    at = f"{format_decimal(weight_kg)} kg at {format_decimal(height_cm)} cm"
    if bmi_value < ADULT_BMI_PLAUSIBLE_MIN:
        return [f"BMI {shown} ({at}) is under 12 for an adult."]
    if bmi_value > ADULT_BMI_PLAUSIBLE_MAX:
        return [f"BMI {shown} ({at}) is over 80 for an adult."]
    return []


def ideal_and_adjusted_weights_apply(
    age_years: int | None, basis_choice: DosingWeightBasisChoice
) -> bool:
    """Whether the ideal and adjusted body weights mean anything for this order's dosing: False
    for a child (age < 18) dosed on basis ``auto``, whom docs/clinical-rules.md 3.1 doses on
    actual weight (pages show "not used" instead of a number). An explicit basis, an adult or an
    unknown age: True. The plan's JSON fields are unchanged (docs/api.md)."""
    if basis_choice != "auto" or age_years is None:
        return True
    return age_years >= ADJUSTED_BASIS_MIN_AGE_YEARS
