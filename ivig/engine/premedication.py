"""Premedication lines and children's weight-based doses (docs/clinical-rules.md 3.5).

A line is a drug from the pharmacist's catalogue (``PremedicationDrugFacts``), a dose with its
unit, a route and the minutes before the infusion start. The catalogue row carries the adult
dose and, where there is one, the children's dose per kg and the children's maximum per kg; the
engine reads those numbers from the row, as it reads a product's label steps, so the
pharmacist's catalogue is the one place they are kept. ``DIPHENHYDRAMINE`` and ``ACETAMINOPHEN``
are the rows docs/clinical-rules.md 3.5 names; the catalogue's seed agrees with them (tested).

Children (under 18 years) get, per drug with a children's dose: the dose per kg times the actual
weight, rounded DOWN to a whole mg, never above the adult dose. A child's line above the drug's
children's maximum per kg raises PREMEDICATION_DOSE_HIGH (override; rules.py).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Final

from ivig.engine.models import PremedicationDrugFacts, PremedicationLine

CHILD_MAX_AGE_YEARS: Final = 17  # children are under 18 years (docs/clinical-rules.md 3.5)
WHOLE_MG: Final = Decimal(1)
MG_PER_KG_DISPLAY_QUANTUM: Final = Decimal("0.01")
DEFAULT_MINUTES_BEFORE: Final = 30  # 15-30 minutes before the start, default 30
MINUTES_BEFORE_MIN: Final = 15
MINUTES_BEFORE_MAX: Final = 30

DIPHENHYDRAMINE: Final = PremedicationDrugFacts(
    slug="diphenhydramine",
    name="Diphenhydramine",
    adult_dose=Decimal(25),
    dose_unit="mg",
    route="PO",
    child_dose_mg_per_kg=Decimal(1),
    child_max_mg_per_kg=Decimal("1.25"),
)
ACETAMINOPHEN: Final = PremedicationDrugFacts(
    slug="acetaminophen",
    name="Acetaminophen",
    adult_dose=Decimal(500),
    dose_unit="mg",
    route="PO",
    child_dose_mg_per_kg=Decimal(15),
    child_max_mg_per_kg=Decimal(15),
)
# The default lines of docs/clinical-rules.md 3.5, in order.
DEFAULT_DRUGS: Final = (DIPHENHYDRAMINE, ACETAMINOPHEN)


def is_child(age_years: int) -> bool:
    return 0 <= age_years <= CHILD_MAX_AGE_YEARS


def child_dose_mg(drug: PremedicationDrugFacts, actual_weight_kg: Decimal) -> Decimal | None:
    """A child's dose: ``child_dose_mg_per_kg`` x actual weight, rounded down to a whole mg and
    never above the adult dose. None where the drug has no children's dose (or it rounds to
    0 mg): the prescriber enters one."""
    if drug.child_dose_mg_per_kg is None or drug.dose_unit != "mg":
        return None
    dose_mg = (drug.child_dose_mg_per_kg * actual_weight_kg).quantize(
        WHOLE_MG, rounding=ROUND_FLOOR
    )
    dose_mg = min(dose_mg, drug.adult_dose)
    return dose_mg if dose_mg > 0 else None


def default_dose(
    drug: PremedicationDrugFacts, age_years: int, actual_weight_kg: Decimal | None
) -> Decimal | None:
    """The dose a new line starts with: the adult dose for an adult, the weight-based dose for a
    child (None for a child without a known weight or a drug without a children's dose)."""
    if not is_child(age_years):
        return drug.adult_dose
    if actual_weight_kg is None or actual_weight_kg <= 0:
        return None
    return child_dose_mg(drug, actual_weight_kg)


def default_lines(
    age_years: int,
    actual_weight_kg: Decimal | None,
    drugs: tuple[PremedicationDrugFacts, ...] = DEFAULT_DRUGS,
) -> list[PremedicationLine]:
    """The default premedication of docs/clinical-rules.md 3.5 for this patient: one line per
    drug with a default dose, each 30 minutes before the start."""
    lines = []
    for drug in drugs:
        dose = default_dose(drug, age_years, actual_weight_kg)
        if dose is None:
            continue
        lines.append(
            PremedicationLine(
                drug=drug,
                dose=dose,
                dose_unit=drug.dose_unit,
                route=drug.route,
                minutes_before=DEFAULT_MINUTES_BEFORE,
            )
        )
    return lines


def dose_mg_per_kg(line: PremedicationLine, actual_weight_kg: Decimal) -> Decimal | None:
    """The line's dose per kg of actual weight (full precision); None unless dosed in mg."""
    if line.dose_unit != "mg" or actual_weight_kg <= 0:
        return None
    return line.dose / actual_weight_kg


def lines_above_child_maximum(
    lines: tuple[PremedicationLine, ...], actual_weight_kg: Decimal
) -> list[tuple[PremedicationLine, Decimal]]:
    """Each line above its drug's children's maximum per kg, with its dose per kg (compared
    unrounded: at the maximum is allowed, above it is not)."""
    above = []
    for line in lines:
        maximum = line.drug.child_max_mg_per_kg
        per_kg = dose_mg_per_kg(line, actual_weight_kg)
        if maximum is not None and per_kg is not None and per_kg > maximum:
            above.append((line, per_kg))
    return above


def mg_per_kg_for_display(value: Decimal) -> Decimal:
    return value.quantize(MG_PER_KG_DISPLAY_QUANTUM, rounding=ROUND_HALF_UP)
