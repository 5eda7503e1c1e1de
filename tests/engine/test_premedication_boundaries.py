"""Premedication at its edges (docs/clinical-rules.md 3.5): the smallest child, a dose that
rounds to 0 mg, a catalogue drug without a children's dose before one with it, and the
per-kg figure of PREMEDICATION_DOSE_HIGH's message rounded half up.

Every expected value is worked by hand from 3.5: dose = children's mg/kg x actual weight, down
to a whole mg, never above the adult dose; no default when that is 0 mg.
"""

from __future__ import annotations

from decimal import Decimal as D

from ivig.engine import PremedicationDrugFacts, PremedicationLine, compute_plan, default_lines
from ivig.engine.premedication import (
    ACETAMINOPHEN,
    DIPHENHYDRAMINE,
    child_dose_mg,
    default_dose,
    dose_mg_per_kg,
    lines_above_child_maximum,
)
from tests.engine.factories import plan_request

CETIRIZINE = PremedicationDrugFacts(
    slug="cetirizine", name="Cetirizine", adult_dose=D(10), route="PO"
)
# A catalogue drug whose children's dose is under 1 mg/kg: 0.5 mg/kg, adult 4 mg.
HALF_MG_PER_KG = PremedicationDrugFacts(
    slug="half",
    name="Half",
    adult_dose=D(4),
    route="PO",
    child_dose_mg_per_kg=D("0.5"),
    child_max_mg_per_kg=D("0.5"),
)


def line(drug: PremedicationDrugFacts, dose: str) -> PremedicationLine:
    return PremedicationLine.model_validate(
        {"drug": drug, "dose": D(dose), "route": "PO", "minutes_before": 30}
    )


def test_a_child_dose_of_exactly_1_mg_is_given() -> None:
    # 0.5 mg/kg x 2 kg = 1 mg: the smallest dose there is, not "none".
    assert child_dose_mg(HALF_MG_PER_KG, D(2)) == D(1)
    assert child_dose_mg(HALF_MG_PER_KG, D("3.9")) == D(1)  # 1.95 mg down to 1


def test_a_child_dose_that_rounds_down_to_0_mg_has_no_default() -> None:
    # 0.5 mg/kg x 1.9 kg = 0.95 mg, down to 0 mg: the prescriber enters one.
    assert child_dose_mg(HALF_MG_PER_KG, D("1.9")) is None
    assert default_dose(HALF_MG_PER_KG, 0, D("1.9")) is None


def test_the_lightest_valid_child_gets_1_mg_and_15_mg() -> None:
    # 1 kg (the lowest valid weight): 1 mg/kg x 1 = 1 mg; 15 mg/kg x 1 = 15 mg.
    assert default_dose(DIPHENHYDRAMINE, 0, D(1)) == D(1)
    assert default_dose(ACETAMINOPHEN, 0, D(1)) == D(15)


def test_a_childs_default_lines_are_weight_based() -> None:
    # 20 kg, 5 years: 20 mg and 300 mg (both under the adult 25 mg and 500 mg).
    lines = default_lines(5, D(20))
    assert [(x.drug.slug, x.dose, x.dose_unit, x.minutes_before) for x in lines] == [
        ("diphenhydramine", D(20), "mg", 30),
        ("acetaminophen", D(300), "mg", 30),
    ]


def test_a_drug_without_a_childrens_dose_is_skipped_not_the_end_of_the_list() -> None:
    lines = default_lines(5, D(20), (CETIRIZINE, DIPHENHYDRAMINE))
    assert [(x.drug.slug, x.dose) for x in lines] == [("diphenhydramine", D(20))]


def test_dose_per_kg_at_the_lightest_valid_weight() -> None:
    assert dose_mg_per_kg(line(DIPHENHYDRAMINE, "15"), D(1)) == D(15)
    (above,) = lines_above_child_maximum((line(DIPHENHYDRAMINE, "2"),), D(1))
    assert above[1] == D(2)  # 2 mg/kg, above 1.25


def test_dose_per_kg_of_no_weight_is_unknown() -> None:
    assert dose_mg_per_kg(line(DIPHENHYDRAMINE, "15"), D(0)) is None
    assert dose_mg_per_kg(line(DIPHENHYDRAMINE, "15"), D(-1)) is None
    assert lines_above_child_maximum((line(DIPHENHYDRAMINE, "15"),), D(0)) == []


def test_the_message_rounds_the_dose_per_kg_half_up() -> None:
    # 17 mg for an 8 kg child: 2.125 mg/kg, shown 2.13 (half up; half even would show 2.12).
    request = plan_request(weight_kg="8", height_cm="70", age_years=1)
    request = request.model_copy(update={"premedication": [line(DIPHENHYDRAMINE, "17")]})
    (found,) = [x for x in compute_plan(request).findings if x.code == "PREMEDICATION_DOSE_HIGH"]
    assert "Diphenhydramine 17 mg is 2.13 mg/kg, above 1.25 mg/kg" in found.message
