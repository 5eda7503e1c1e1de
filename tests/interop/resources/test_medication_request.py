"""FHIR MedicationRequest carries the plan the order page shows: the one plan accessor's, on
today's facts (docs/fhir.md "MedicationRequest"). One order reads the same on every screen, the
FHIR API included, also after the facts changed since signing."""

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ivig.engine import dose_plan_to_json
from orders.dose_plans.plan_accessor import order_plan
from orders.models import Order
from orders.services import order_create, order_sign
from tests.conftest import TEST_PASSWORD
from tests.interop.conftest import BASE, validated
from tests.orders.factories import PatientWeightFactory, order_values, worked_example_patient

pytestmark = pytest.mark.django_db


def _signed(clinician, **overrides: Any) -> Order:
    patient = worked_example_patient(clinician)
    draft = order_create(by=clinician, **order_values(patient, **overrides))
    return _sign(draft, clinician)


def _sign(draft: Order, clinician) -> Order:
    return order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=draft.version
    )


def _numbers(request: Any) -> dict[str, Any]:
    """The plan's numbers a MedicationRequest carries, as read back from it."""
    [dosage] = request.dosageInstruction
    dose, *steps = dosage.doseAndRate
    return {
        "daily_dose_g": Decimal(str(dose.doseQuantity.value)),
        "rates": [int(step.rateQuantity.value) for step in steps],
        "steps": [step.type.text for step in steps],
        "days": [str(day) for day in dosage.timing.event],
        "weight": request.note[0].text,
    }


def _plan_numbers(plan: Any) -> dict[str, Any]:
    """The same numbers from a plan in the engine's JSON shape."""
    return {
        "daily_dose_g": Decimal(plan["daily_dose_g"]),
        "rates": [step["rate_ml_per_h"] for step in plan["titration"]],
        "steps": [
            f"step {n}: from minute {s['start_min']} for {Decimal(s['minutes']).normalize():f}"
            f" min, {Decimal(s['volume_ml']).normalize():f} mL"
            for n, s in enumerate(plan["titration"], start=1)
        ],
        "days": [day for cycle in plan["cycles"] for day in cycle["days"]],
        "weight": (
            f"Dosing weight {Decimal(plan['dosing_weight_kg']).normalize():f} kg"
            f" ({plan['dosing_weight_basis']})"
        ),
    }


def _served(client, order: Order) -> dict[str, Any]:
    response = client.get(f"{BASE}/MedicationRequest/{order.pk}")
    assert response.status_code == 200, response.json()
    return _numbers(validated(response.json()))


def _order_page_text(client, order: Order) -> str:
    response = client.get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_weight_change_since_signing_reads_as_the_order_page_plans_it_today(
    clinician, fhir_client, client_for
):
    """A new weight (9 % less: no WEIGHT_CHANGED, so no new version) changes today's plan, which
    the order page and the sheet show; the request carries that plan, not the one frozen at
    signing, so that the FHIR API never disagrees with the order page (docs/fhir.md)."""
    signed = _signed(clinician)
    PatientWeightFactory.create(
        patient=signed.patient, weight_kg=Decimal("75"), recorded_by=clinician
    )
    today = dose_plan_to_json(order_plan(signed, as_of=timezone.localdate()).plan)
    assert "WEIGHT_CHANGED" not in {finding["code"] for finding in today["findings"]}
    assert _plan_numbers(today)["weight"] != _plan_numbers(signed.plan_at_signing)["weight"]
    served = _served(fhir_client(clinician), signed)
    assert served == _plan_numbers(today)
    assert served != _plan_numbers(signed.plan_at_signing)
    page = _order_page_text(client_for(clinician), signed)
    assert f"{served['daily_dose_g'].normalize():f} g" in page
