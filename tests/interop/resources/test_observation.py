"""FHIR Observation: labs by LOINC with UCUM units, weight and height as vital signs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from interop.resources.observation import UCUM_BY_UNIT
from ivig.audit.models import AccessLog
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from tests.interop.conftest import BASE, validated
from tests.orders.factories import PatientFactory, worked_example_patient

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@pytest.fixture
def patient_with_facts(clinician):
    patient = worked_example_patient(clinician)  # 82.5 kg today, 168 cm
    today = timezone.localdate()
    egfr, _ = lab_result_record(
        patient,
        by=clinician,
        test=LabTest.objects.get(code="62238-1"),
        taken_on=today - timedelta(days=2),
        value=Decimal("48"),
    )
    anti_iga, _ = lab_result_record(
        patient,
        by=clinician,
        test=LabTest.objects.get(code="L-ANTI-IGA"),
        taken_on=today - timedelta(days=2),
        value="negative",
    )
    return patient, egfr, anti_iga


def _search(client, **params):
    response = client.get(f"{BASE}/Observation", params)
    assert response.status_code == 200, response.json()
    return validated(response.json())


def test_a_lab_result_reads_with_loinc_and_ucum(clinician, fhir_client, patient_with_facts):
    patient, egfr, _ = patient_with_facts
    response = fhir_client(clinician).get(f"{BASE}/Observation/lab-{egfr.pk}")
    assert response.status_code == 200
    observation = validated(response.json())
    assert observation.status == "final"
    assert observation.category[0].coding[0].code == "laboratory"
    assert (observation.code.coding[0].system, observation.code.coding[0].code) == (
        LOINC,
        "62238-1",
    )
    assert observation.subject.reference == f"Patient/{patient.pk}"
    value = observation.valueQuantity
    assert value.value == Decimal("48")
    assert (value.system, value.code) == (UCUM, "mL/min/{1.73_m2}")
    assert observation.effectiveDateTime == egfr.taken_on
    assert observation.referenceRange[0].low.value == Decimal("60")


def test_a_qualitative_result_is_a_string_under_the_local_system(
    clinician, fhir_client, patient_with_facts
):
    _, _, anti_iga = patient_with_facts
    observation = validated(
        fhir_client(clinician).get(f"{BASE}/Observation/lab-{anti_iga.pk}").json()
    )
    assert observation.valueString == "negative" and observation.valueQuantity is None
    assert observation.code.coding[0].system != LOINC


def test_weight_and_height_are_vital_signs(clinician, fhir_client, patient_with_facts):
    patient, _, _ = patient_with_facts
    bundle = _search(fhir_client(clinician), patient=str(patient.pk), category="vital-signs")
    by_code = {e.resource.code.coding[0].code: e.resource for e in bundle.entry}
    assert set(by_code) == {"29463-7", "8302-2"}
    weight, height = by_code["29463-7"], by_code["8302-2"]
    assert (weight.valueQuantity.value, weight.valueQuantity.code) == (Decimal("82.5"), "kg")
    assert weight.effectiveDateTime == timezone.localdate()
    assert (height.valueQuantity.value, height.valueQuantity.code) == (Decimal("168"), "cm")
    for vital in (weight, height):
        assert vital.category[0].coding[0].code == "vital-signs"
        assert vital.valueQuantity.system == UCUM


def test_search_by_patient_finds_only_that_patients_observations(
    clinician, fhir_client, patient_with_facts
):
    patient, egfr, anti_iga = patient_with_facts
    worked_example_patient(clinician, mrn="OTHER-1")
    client = fhir_client(clinician)
    ids = {e.resource.id for e in _search(client, patient=f"Patient/{patient.pk}").entry}
    weight = patient.weights.get()
    assert ids == {
        f"lab-{egfr.pk}",
        f"lab-{anti_iga.pk}",
        f"weight-{weight.pk}",
        f"height-{patient.pk}",
    }
    assert {e.resource.id for e in _search(client, subject=f"Patient/{patient.pk}").entry} == ids
    assert not _search(client, patient="Practitioner/1").entry


def test_search_by_code_and_date(clinician, fhir_client, patient_with_facts):
    patient, egfr, _ = patient_with_facts
    client = fhir_client(clinician)
    found = _search(client, patient=str(patient.pk), code=f"{LOINC}|62238-1")
    assert [e.resource.id for e in found.entry] == [f"lab-{egfr.pk}"]
    both = _search(client, patient=str(patient.pk), code="29463-7,8302-2")
    assert {e.resource.code.coding[0].code for e in both.entry} == {"29463-7", "8302-2"}
    assert not _search(client, code="urn:other|62238-1").entry
    recent = _search(client, patient=str(patient.pk), date=f"ge{timezone.localdate()}")
    assert [e.resource.code.coding[0].code for e in recent.entry] == ["29463-7"]


def test_paging_runs_across_labs_weights_and_heights(clinician, fhir_client, patient_with_facts):
    patient, _, _ = patient_with_facts
    client = fhir_client(clinician)
    everything = _search(client, patient=str(patient.pk))
    assert everything.total == 4
    seen = []
    for offset in range(0, 4):
        page = _search(client, patient=str(patient.pk), _count="1", _offset=str(offset))
        assert page.total == 4 and len(page.entry) == 1
        seen.append(page.entry[0].resource.id)
    assert seen == [e.resource.id for e in everything.entry]


def test_every_catalogue_unit_has_a_ucum_code():
    units = set(LabTest.objects.exclude(unit="").values_list("unit", flat=True))
    assert units and units <= set(UCUM_BY_UNIT)


def test_unknown_observation_ids_are_404(clinician, fhir_client):
    patient = PatientFactory.create(height_cm=None)
    client = fhir_client(clinician)
    for resource_id in ("lab-999999", "weight-x", "nothing-1", "12", f"height-{patient.pk}"):
        response = client.get(f"{BASE}/Observation/{resource_id}")
        assert response.status_code == 404, resource_id


def test_observation_reads_are_logged_with_their_patient(
    clinician, fhir_client, patient_with_facts
):
    patient, egfr, _ = patient_with_facts
    client = fhir_client(clinician)
    client.get(f"{BASE}/Observation/lab-{egfr.pk}")
    client.get(f"{BASE}/Observation", {"patient": str(patient.pk)})
    logs = list(AccessLog.objects.order_by("pk"))
    assert [log.records for log in logs] == [{"orders.patient": [str(patient.pk)]}] * 2


def test_a_height_has_no_date_so_a_date_search_skips_it(clinician, fhir_client):
    patient = PatientFactory.create(height_cm=Decimal("170"), date_of_birth=date(1970, 1, 1))
    found = _search(fhir_client(clinician), patient=str(patient.pk), date="ge1900")
    assert not found.entry
