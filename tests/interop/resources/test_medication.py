"""FHIR Medication (formulary products) and MedicationRequest (the order version in force, its
plan from the one plan accessor)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from formulary.models import Product
from ivig.audit.models import AccessLog
from orders.dose_plans.plan_accessor import order_plan
from orders.models import OrderStatus
from orders.services import order_create, order_discontinue, order_sign, order_verify
from tests.conftest import TEST_PASSWORD
from tests.interop.conftest import BASE, validated
from tests.orders.factories import order_values, worked_example_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(clinician):
    patient = worked_example_patient(clinician)
    draft = order_create(by=clinician, **order_values(patient))
    return order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=draft.version
    )


def test_every_product_is_a_valid_medication_with_its_strength(clinician, fhir_client):
    client = fhir_client(clinician)
    bundle = validated(client.get(f"{BASE}/Medication?_count=100").json())
    assert bundle.total == Product.objects.count() > 0
    for entry in bundle.entry:
        product = Product.objects.get(pk=int(entry.resource.id))
        medication = entry.resource
        strength = medication.ingredient[0].strength
        assert strength.numerator.value / strength.denominator.value == (
            product.concentration_pct / 100
        )
        assert (strength.numerator.code, strength.denominator.code) == ("g", "mL")
        assert product.brand_name in medication.code.text
        if product.hcpcs_code:
            assert medication.code.coding[0].code == product.hcpcs_code
    # Formulary reads show no patient: nothing is read-logged.
    assert not AccessLog.objects.exists()


def test_a_signed_order_reads_as_the_order_page_plans_it(clinician, fhir_client, signed):
    response = fhir_client(clinician).get(f"{BASE}/MedicationRequest/{signed.pk}")
    assert response.status_code == 200, response.json()
    request = validated(response.json())
    plan = order_plan(signed, as_of=timezone.localdate()).plan
    assert plan.titration and plan.cycles and plan.dosing_weight_kg and plan.daily_dose_g
    assert request.status == "draft"  # signed: awaits the pharmacist's verification
    assert request.intent == "order"
    assert request.subject.reference == f"Patient/{signed.patient_id}"
    assert request.medicationReference.reference == f"Medication/{signed.product_id}"
    [dosage] = request.dosageInstruction
    dose, *steps = dosage.doseAndRate
    assert (dose.doseQuantity.value, dose.doseQuantity.code) == (Decimal(plan.daily_dose_g), "g")
    assert [s.rateQuantity.value for s in steps] == [t.rate_ml_per_h for t in plan.titration]
    assert all(s.rateQuantity.code == "mL/h" for s in steps)
    planned_days = [day for cycle in plan.cycles for day in cycle.days]
    assert [str(event) for event in dosage.timing.event] == [str(d) for d in planned_days]
    assert dosage.timing.repeat is None  # never "daily from the first to the last day"
    assert f"{Decimal(plan.dosing_weight_kg).normalize():f} kg" in request.note[0].text
    # docs/clinical-rules.md 3.5: the premedication lines in words.
    assert request.note[1].text == (
        "Premedication: Diphenhydramine 25 mg PO, 30 min before the start; "
        "Acetaminophen 500 mg PO, 30 min before the start"
    )
    assert request.reasonCode[0].coding[0].code == signed.indication.icd10_code


def test_statuses_are_mapped(clinician, pharmacist, fhir_client, signed):
    client = fhir_client(pharmacist)

    def status() -> str:
        return validated(client.get(f"{BASE}/MedicationRequest/{signed.pk}").json()).status

    verified = order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)
    assert verified.status == OrderStatus.VERIFIED and status() == "active"
    order_discontinue(verified, by=clinician, reason="Remission", version=verified.version)
    request = validated(client.get(f"{BASE}/MedicationRequest/{signed.pk}").json())
    assert request.status == "stopped" and request.statusReason.text == "Remission"
    stopped = validated(client.get(f"{BASE}/MedicationRequest?status=stopped").json())
    assert [e.resource.id for e in stopped.entry] == [str(signed.pk)]


def test_a_draft_is_not_served(clinician, fhir_client):
    patient = worked_example_patient(clinician)
    draft = order_create(by=clinician, **order_values(patient))
    response = fhir_client(clinician).get(f"{BASE}/MedicationRequest/{draft.pk}")
    assert response.status_code == 404
    assert not validated(
        fhir_client(clinician).get(f"{BASE}/MedicationRequest?patient={patient.pk}").json()
    ).entry


def test_medication_request_reads_log_the_order_and_patient(clinician, fhir_client, signed):
    fhir_client(clinician).get(f"{BASE}/MedicationRequest?patient=Patient/{signed.patient_id}")
    [log] = AccessLog.objects.all()
    assert log.records == {
        "orders.order": [str(signed.pk)],
        "orders.patient": [str(signed.patient_id)],
    }


def test_roles_without_order_reads_are_refused(authadmin, fhir_client, signed):
    from orders.policies import can_read_orders

    response = fhir_client(authadmin).get(f"{BASE}/MedicationRequest/{signed.pk}")
    assert response.status_code == (200 if can_read_orders(authadmin) else 403)
