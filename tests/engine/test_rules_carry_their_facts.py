"""Each rule hands its finding the facts of this plan (docs/clinical-rules.md 3.8): the brand,
the indication's name, the patient's age, the rate cap and where it comes from, the dates of a
laboratory result. ``test_finding_messages.py`` pins the words of each message for given facts;
here a whole plan is computed and its finding must be the message for the facts worked out by
hand from the request (a rule passing the wrong fact, or none, gives another message).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ivig.engine import CalendarDay, DosingPolicy, Finding, PatientCalendar, compute_plan
from ivig.engine import findings as f
from tests.engine.factories import plan_request

D = Decimal
LAB_DAY = date(2026, 11, 3)


def finding(code: str, patient: dict[str, Any] | None = None, **overrides: Any) -> Finding:
    request = plan_request(**overrides)
    if patient:
        request = request.model_copy(update={"patient": request.patient.model_copy(update=patient)})
    (found,) = [item for item in compute_plan(request).findings if item.code == code]
    return found


def test_blood_group_check_names_the_recorded_group_the_lab_group_and_its_day() -> None:
    found = finding("BLOOD_GROUP_CHECK", {"abo_from_lab": "A", "abo_on": LAB_DAY}, blood_group="O")
    assert found.message == f.blood_group_check("O", "A", LAB_DAY).message


def test_iga_status_check_names_the_status_and_the_day() -> None:
    found = finding(
        "IGA_STATUS_CHECK", {"iga_below_detection": True, "iga_on": LAB_DAY}, iga_status="normal"
    )
    assert found.message == f.iga_status_check("normal", LAB_DAY).message


def test_cycle_interval_unusual_names_the_interval() -> None:
    found = finding("CYCLE_INTERVAL_UNUSUAL", cycles=2, cycle_interval_days=35)
    assert found.message == f.cycle_interval_unusual(35).message


def test_dosing_weight_overridden_names_the_basis_and_the_weight() -> None:
    # 175 cm man: IBW = 50 + 2.3 x (175 / 2.54 - 60) = 70.46... -> 70.5 kg.
    found = finding("DOSING_WEIGHT_OVERRIDDEN", dosing_weight_basis="ideal")
    assert found.message == f.dosing_weight_overridden("ideal", D("70.5")).message


def test_fluid_overload_names_the_product_and_its_concentration() -> None:
    found = finding(
        "FLUID_OVERLOAD_RISK", risk_factors=("cardiac_insufficiency",), product_slug="octagam-5"
    )
    expected = f.fluid_overload_risk(["cardiac_insufficiency"], "Octagam 5%", D(5))
    assert found.message == expected.message


def test_hemolysis_risk_names_the_blood_group_and_the_cycle_dose() -> None:
    found = finding("HEMOLYSIS_RISK", blood_group="AB", total_dose_g_per_kg="2")
    assert found.message == f.hemolysis_risk("AB", D(2)).message


def test_iga_findings_name_the_product() -> None:
    found = finding("IGA_DEFICIENCY", iga_status="deficient")
    assert found.message == f.iga_deficiency("Privigen").message
    found = finding("IGA_DEFICIENCY_WITH_ANTIBODIES", iga_status="deficient_with_antibodies")
    assert found.message == f.iga_deficiency_with_antibodies("Privigen").message


def test_no_concomitant_immunosuppressant_names_the_indication() -> None:
    found = finding(
        "NO_CONCOMITANT_IMMUNOSUPPRESSANT",
        indication_slug="pemphigus-vulgaris",
        concomitant_immunosuppressant=None,
    )
    assert found.message == f.no_concomitant_immunosuppressant("Pemphigus vulgaris").message


def test_rate_above_maximum_names_the_target_and_the_maximum() -> None:
    found = finding("RATE_ABOVE_MAXIMUM", target_rate_ml_per_h=250)
    assert found.message == f.rate_above_maximum(250, 200).message
    found = finding(
        "RATE_ABOVE_MAXIMUM", target_rate_ml_per_h=180, policy=DosingPolicy(max_rate_ml_per_h=150)
    )
    assert found.message == f.rate_above_maximum(180, 150).message


def test_risk_by_age_names_the_age_and_the_policy_cap() -> None:
    # 70 years: both risks by age alone. Privigen records no at-risk maximum: the policy's
    # 3.3 mg/kg/min x 70 kg x 60 / 100 = 138.6 -> 138 mL/h.
    renal = finding("RENAL_RISK", age_years=70)
    assert renal.message == f.renal_risk([], 70, 138, None, cap_from_policy=True).message
    thrombosis = finding("THROMBOSIS_RISK", age_years=70)
    assert thrombosis.message == f.thrombosis_risk([], 70, 138, cap_from_policy=True).message
    assert "age 70" in thrombosis.message


def test_sucrose_renal_risk_names_the_product_and_the_age() -> None:
    found = finding("SUCROSE_RENAL_RISK", age_years=70, product_slug="carimune-nf")
    assert found.message == f.sucrose_renal_risk("Carimune NF (discontinued)", [], 70).message


def test_an_unknown_course_on_a_calendar_is_not_judged_concurrent() -> None:
    # Another open order two days after the start; this order's cycles are invalid (0), so it
    # has no days on the calendar: INVALID_INPUT says why, CONCURRENT_IVIG_ORDER is not judged.
    calendar = PatientCalendar(
        other_days=[CalendarDay(day=date(2027, 1, 6), dose_g=D(28), order_id=7, order_open=True)]
    )
    request = plan_request(cycles=0).model_copy(update={"calendar": calendar})
    codes = [item.code for item in compute_plan(request).findings]
    assert "INVALID_INPUT" in codes
    assert "CONCURRENT_IVIG_ORDER" not in codes
    # The same order with a valid course is concurrent with it.
    request = plan_request().model_copy(update={"calendar": calendar})
    assert "CONCURRENT_IVIG_ORDER" in [item.code for item in compute_plan(request).findings]
