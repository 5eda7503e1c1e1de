"""Premedication (docs/clinical-rules.md 3.5): children's weight-based defaults and
PREMEDICATION_DOSE_HIGH, with worked examples and properties."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivig.engine import (
    SEVERITY_BY_CODE,
    PlanRequest,
    PremedicationDrugFacts,
    PremedicationLine,
    child_dose_mg,
    compute_plan,
    default_dose,
    default_lines,
)
from ivig.engine.premedication import ACETAMINOPHEN, DIPHENHYDRAMINE
from tests.engine.factories import plan_request

CETIRIZINE = PremedicationDrugFacts(
    slug="cetirizine", name="Cetirizine", adult_dose=D(10), route="PO"
)


def line(drug: PremedicationDrugFacts, dose: str, route: str = "PO") -> PremedicationLine:
    return PremedicationLine.model_validate(
        {"drug": drug, "dose": D(dose), "route": route, "minutes_before": 30}
    )


def with_lines(request: PlanRequest, *lines: PremedicationLine) -> PlanRequest:
    return request.model_copy(update={"premedication": list(lines)})


def codes(request: PlanRequest) -> list[str]:
    return [finding.code for finding in compute_plan(request).findings]


# --- defaults -----------------------------------------------------------------------------


def test_an_adult_gets_diphenhydramine_25_mg_and_acetaminophen_500_mg_30_minutes_before() -> None:
    lines = default_lines(40, D(70))
    assert [(x.drug.slug, x.dose, x.dose_unit, x.route, x.minutes_before) for x in lines] == [
        ("diphenhydramine", D(25), "mg", "PO", 30),
        ("acetaminophen", D(500), "mg", "PO", 30),
    ]


def test_a_12_kg_child_gets_12_mg_and_180_mg() -> None:
    # The example: the adult default gave this child 2 mg/kg and 42 mg/kg.
    assert default_dose(DIPHENHYDRAMINE, 3, D(12)) == D(12)
    assert default_dose(ACETAMINOPHEN, 3, D(12)) == D(180)


def test_a_child_dose_is_rounded_down_to_a_whole_mg() -> None:
    assert child_dose_mg(DIPHENHYDRAMINE, D("12.9")) == D(12)
    assert child_dose_mg(ACETAMINOPHEN, D("12.9")) == D(193)  # 193.5 mg down


def test_a_child_dose_is_never_above_the_adult_dose() -> None:
    assert default_dose(DIPHENHYDRAMINE, 17, D(60)) == D(25)  # 60 mg/kg x 1 capped
    assert default_dose(ACETAMINOPHEN, 17, D(40)) == D(500)  # 600 mg capped
    assert default_dose(ACETAMINOPHEN, 17, D("33.4")) == D(500)  # 501 mg capped


def test_at_18_the_adult_dose_applies_whatever_the_weight() -> None:
    assert default_dose(DIPHENHYDRAMINE, 18, D(12)) == D(25)
    assert default_dose(ACETAMINOPHEN, 18, D(12)) == D(500)


def test_a_drug_without_a_childrens_dose_has_no_default_for_a_child() -> None:
    assert default_dose(CETIRIZINE, 5, D(20)) is None
    assert default_dose(CETIRIZINE, 30, D(70)) == D(10)


def test_a_child_without_a_known_weight_has_no_default() -> None:
    assert default_dose(DIPHENHYDRAMINE, 5, None) is None
    assert default_lines(5, None) == []


# --- PREMEDICATION_DOSE_HIGH --------------------------------------------------------------


def child(weight_kg: str = "12", age_years: int = 3) -> PlanRequest:
    return plan_request(weight_kg=weight_kg, height_cm="90", age_years=age_years)


def test_premedication_dose_high_is_an_override() -> None:
    assert SEVERITY_BY_CODE["PREMEDICATION_DOSE_HIGH"] == "override"


def test_the_adult_default_given_to_a_12_kg_child_is_too_high() -> None:
    plan = compute_plan(
        with_lines(child(), line(DIPHENHYDRAMINE, "25"), line(ACETAMINOPHEN, "500"))
    )
    (found,) = [x for x in plan.findings if x.code == "PREMEDICATION_DOSE_HIGH"]
    assert found.severity == "override"
    assert found.message == (
        "Premedication above the children's maximum for this child's actual weight "
        "(Diphenhydramine 25 mg is 2.08 mg/kg, above 1.25 mg/kg; "
        "Acetaminophen 500 mg is 41.67 mg/kg, above 15 mg/kg): "
        "lower the dose, or give the reason for it."
    )


def test_at_the_maximum_per_kg_is_allowed_above_it_is_not() -> None:
    # 12 kg: diphenhydramine 1.25 mg/kg = 15 mg; acetaminophen 15 mg/kg = 180 mg.
    assert "PREMEDICATION_DOSE_HIGH" not in codes(
        with_lines(child(), line(DIPHENHYDRAMINE, "15"), line(ACETAMINOPHEN, "180"))
    )
    assert "PREMEDICATION_DOSE_HIGH" in codes(with_lines(child(), line(DIPHENHYDRAMINE, "15.1")))
    assert "PREMEDICATION_DOSE_HIGH" in codes(with_lines(child(), line(ACETAMINOPHEN, "181")))


def test_only_the_line_above_its_maximum_is_named() -> None:
    plan = compute_plan(
        with_lines(child(), line(DIPHENHYDRAMINE, "12"), line(ACETAMINOPHEN, "200"))
    )
    (found,) = [x for x in plan.findings if x.code == "PREMEDICATION_DOSE_HIGH"]
    assert "Acetaminophen 200 mg is 16.67 mg/kg" in found.message
    assert "Diphenhydramine" not in found.message


def test_an_adult_is_not_judged_per_kg() -> None:
    adult = plan_request(weight_kg="40", age_years=18)
    assert "PREMEDICATION_DOSE_HIGH" not in codes(
        with_lines(adult, line(DIPHENHYDRAMINE, "50"), line(ACETAMINOPHEN, "1000"))
    )


def test_a_drug_without_a_childrens_maximum_is_not_judged() -> None:
    assert "PREMEDICATION_DOSE_HIGH" not in codes(with_lines(child(), line(CETIRIZINE, "10")))


def test_an_invalid_weight_is_not_judged() -> None:
    request = with_lines(child(weight_kg="0.5"), line(DIPHENHYDRAMINE, "25"))
    found = codes(request)
    assert "INVALID_INPUT" in found
    assert "PREMEDICATION_DOSE_HIGH" not in found


def test_no_lines_no_finding() -> None:
    assert "PREMEDICATION_DOSE_HIGH" not in codes(child())


@pytest.mark.parametrize("age_years", [0, 17])
def test_children_are_0_to_17_years(age_years: int) -> None:
    request = with_lines(child(age_years=age_years), line(DIPHENHYDRAMINE, "25"))
    assert "PREMEDICATION_DOSE_HIGH" in codes(request)


# --- properties ---------------------------------------------------------------------------

weights_kg = st.integers(10, 3500).map(lambda tenths: D(tenths) / 10)  # 1-350 kg
ages = st.integers(0, 130)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(weight_kg=weights_kg, age_years=ages)
def test_the_default_never_raises_the_finding(weight_kg: D, age_years: int) -> None:
    request = plan_request(weight_kg=str(weight_kg), height_cm="150", age_years=age_years)
    request = with_lines(request, *default_lines(age_years, weight_kg))
    assert "PREMEDICATION_DOSE_HIGH" not in codes(request)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(weight_kg=weights_kg, age_years=st.integers(0, 17))
def test_a_childs_default_is_a_whole_mg_never_above_the_adult_dose_nor_its_per_kg(
    weight_kg: D, age_years: int
) -> None:
    for drug in (DIPHENHYDRAMINE, ACETAMINOPHEN):
        dose = default_dose(drug, age_years, weight_kg)
        assert dose is not None
        assert dose == dose.to_integral_value()
        assert 0 < dose <= drug.adult_dose
        assert drug.child_dose_mg_per_kg is not None
        assert dose <= drug.child_dose_mg_per_kg * weight_kg


def test_a_catalogue_row_with_a_childrens_dose_above_its_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="maximum per kg"):
        PremedicationDrugFacts(
            slug="x",
            name="X",
            adult_dose=D(10),
            route="PO",
            child_dose_mg_per_kg=D(2),
            child_max_mg_per_kg=D(1),
        )


per_kg = st.integers(1, 5000).map(lambda hundredths: D(hundredths) / 100)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    weight_kg=weights_kg,
    adult_dose=st.integers(1, 2000).map(D),
    child_per_kg=per_kg,
    extra_per_kg=st.one_of(st.none(), per_kg),
)
def test_any_catalogue_drugs_default_never_raises_the_finding(
    weight_kg: D, adult_dose: D, child_per_kg: D, extra_per_kg: D | None
) -> None:
    drug = PremedicationDrugFacts(
        slug="any",
        name="Any",
        adult_dose=adult_dose,
        route="PO",
        child_dose_mg_per_kg=child_per_kg,
        child_max_mg_per_kg=None if extra_per_kg is None else child_per_kg + extra_per_kg,
    )
    lines = default_lines(5, weight_kg, (drug,))
    for item in lines:
        assert item.dose <= adult_dose
    request = with_lines(plan_request(weight_kg=str(weight_kg), age_years=5), *lines)
    assert "PREMEDICATION_DOSE_HIGH" not in codes(request)
