"""FHIR Condition (the order's indication, ICD-10-CM) and AllergyIntolerance (the record's
allergy text)."""

import pytest

from ivig.audit.models import AccessLog
from orders.models import OrderStatus
from orders.services import order_create, order_discontinue, order_sign
from tests.conftest import TEST_PASSWORD
from tests.interop.conftest import BASE, validated
from tests.orders.factories import PatientFactory, order_values, worked_example_patient

pytestmark = pytest.mark.django_db
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.fixture
def signed(clinician):
    patient = worked_example_patient(clinician)
    draft = order_create(by=clinician, **order_values(patient))
    return order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=draft.version
    )


def test_an_order_s_indication_reads_as_a_condition(clinician, fhir_client, signed):
    client = fhir_client(clinician)
    response = client.get(f"{BASE}/Condition/{signed.pk}")
    assert response.status_code == 200, response.json()
    condition = validated(response.json())
    indication = signed.indication
    assert indication.icd10_code
    assert (condition.code.coding[0].system, condition.code.coding[0].code) == (
        ICD10CM,
        indication.icd10_code,
    )
    assert condition.code.text == indication.name
    assert condition.subject.reference == f"Patient/{signed.patient_id}"
    assert condition.clinicalStatus.coding[0].code == "active"
    assert condition.recorder.display == clinician.get_username()
    # The MedicationRequest names it as its reason.
    request = validated(client.get(f"{BASE}/MedicationRequest/{signed.pk}").json())
    assert request.reasonReference[0].reference == f"Condition/{signed.pk}"
    log = AccessLog.objects.latest("pk")
    assert log.records["orders.order"] == [str(signed.pk)]


def test_condition_search_by_code_patient_and_status(clinician, fhir_client, signed):
    client = fhir_client(clinician)
    code = signed.indication.icd10_code

    def found(**params: str) -> list[str]:
        response = client.get(f"{BASE}/Condition", params)
        assert response.status_code == 200, response.json()
        return [e.resource.id for e in validated(response.json()).entry or []]

    assert found(code=code) == [str(signed.pk)]
    assert found(code=f"{ICD10CM}|{code}") == [str(signed.pk)]
    assert found(code="urn:other|" + code) == []
    assert found(patient=str(signed.patient_id)) == [str(signed.pk)]
    assert found(patient=str(signed.patient_id + 1000)) == []
    assert found(**{"clinical-status": "active"}) == [str(signed.pk)]
    order_discontinue(signed, by=clinician, reason="Remission", version=signed.version)
    assert found(**{"clinical-status": "active"}) == []
    ended = validated(client.get(f"{BASE}/Condition/{signed.pk}").json())
    assert ended.clinicalStatus is None  # an ended course says nothing of remission


def test_a_draft_has_no_condition(clinician, fhir_client):
    draft = order_create(by=clinician, **order_values(worked_example_patient(clinician)))
    assert draft.status == OrderStatus.DRAFT
    assert fhir_client(clinician).get(f"{BASE}/Condition/{draft.pk}").status_code == 404


def test_recorded_allergies_read_as_an_allergy_intolerance(clinician, nurse, fhir_client):
    allergic = PatientFactory.create(allergies="Penicillin (rash)")
    PatientFactory.create(allergies="")
    PatientFactory.create(allergies="  ")
    client = fhir_client(nurse)
    bundle = validated(client.get(f"{BASE}/AllergyIntolerance").json())
    assert [e.resource.id for e in bundle.entry] == [str(allergic.pk)]
    allergy = validated(client.get(f"{BASE}/AllergyIntolerance/{allergic.pk}").json())
    assert allergy.code.text == "Penicillin (rash)"
    assert allergy.patient.reference == f"Patient/{allergic.pk}"
    assert allergy.clinicalStatus.coding[0].code == "active"
    assert allergy.verificationStatus.coding[0].code == "unconfirmed"
    found = validated(client.get(f"{BASE}/AllergyIntolerance", {"patient": allergic.pk}).json())
    assert found.total == 1
    assert AccessLog.objects.latest("pk").records["orders.patient"] == [str(allergic.pk)]


def test_a_patient_without_allergy_text_has_none(clinician, fhir_client):
    patient = PatientFactory.create(allergies="")
    response = fhir_client(clinician).get(f"{BASE}/AllergyIntolerance/{patient.pk}")
    assert response.status_code == 404
