"""FHIR in: a transaction Bundle of Patient and Observation creates (docs/fhir.md, "In")."""

import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from interop.inbound.ingest import MAX_ENTRIES
from orders.labs.models import LabResult, LabSource, LabTest
from orders.labs.services import lab_result_record
from orders.models import Patient, PatientWeight
from tests.dates import next_monday
from tests.interop.conftest import BASE, validated
from tests.orders.factories import PatientFactory, worked_example_patient

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MRN_SYSTEM = "https://hospital.example/mrn"
PATIENT_URL = "urn:uuid:7f1c2a4e-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def _mrn_system(settings):
    settings.FHIR_MRN_SYSTEM = MRN_SYSTEM


def patient_entry(mrn: str = "EHR-1", **overrides: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": MRN_SYSTEM, "value": mrn}],
        "name": [{"use": "official", "family": "Okafor", "given": ["Ada"]}],
        "gender": "female",
        "birthDate": "1969-05-17",
        **overrides,
    }
    return {
        "fullUrl": PATIENT_URL,
        "resource": resource,
        "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={mrn}"},
    }


def observation_entry(
    code: str,
    value: Any,
    unit: str,
    *,
    subject: str = PATIENT_URL,
    on: date | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": subject},
        "effectiveDateTime": (on or timezone.localdate() - timedelta(days=1)).isoformat(),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        **overrides,
    }
    return {"resource": resource, "request": {"method": "POST", "url": "Observation"}}


def transaction(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def new_patient_bundle(egfr: Any = 48) -> dict[str, Any]:
    return transaction(
        patient_entry(),
        observation_entry("29463-7", 82.5, "kg"),
        observation_entry("8302-2", 168, "cm"),
        observation_entry("62238-1", egfr, "mL/min/{1.73_m2}"),
    )


def post_bundle(client, body: Any) -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"{BASE}/", raw, content_type="application/fhir+json")


def refused(response, status: int = 400) -> list[Any]:
    """The OperationOutcome's issues, after checking it is one with ``status``."""
    assert response.status_code == status, response.content
    outcome = validated(response.json())
    assert outcome.get_resource_type() == "OperationOutcome"
    return outcome.issue


# --- the Done-when ---------------------------------------------------------------------------


def test_a_new_patient_with_weight_height_and_egfr_48_shows_renal_risk(
    clinician, fhir_client, client_for
):
    response = post_bundle(fhir_client(clinician), new_patient_bundle())
    assert response.status_code == 200, response.content
    answer = validated(response.json())
    assert answer.type == "transaction-response"
    statuses = [entry.response.status for entry in answer.entry]
    assert statuses == ["201 Created"] * 4
    patient = Patient.objects.get(mrn="EHR-1")
    assert answer.entry[0].response.location == f"Patient/{patient.pk}"
    assert (patient.family_name, patient.given_name, patient.sex) == ("Okafor", "Ada", "female")
    assert patient.date_of_birth == date(1969, 5, 17)
    assert patient.height_cm == Decimal("168")
    [weight] = PatientWeight.objects.filter(patient=patient)
    assert weight.weight_kg == Decimal("82.5")
    assert answer.entry[1].response.location == f"Observation/weight-{weight.pk}"
    [egfr] = LabResult.objects.filter(patient=patient)
    assert (egfr.test.code, egfr.value) == ("62238-1", Decimal("48"))
    assert answer.entry[3].response.location == f"Observation/lab-{egfr.pk}"
    # Each location reads back as the resource that was posted.
    read = fhir_client(clinician).get(f"{BASE}/{answer.entry[3].response.location}")
    assert validated(read.json()).valueQuantity.value == Decimal("48")

    # An order for that patient now shows RENAL_RISK in its plan (the API's plan accessor).
    client = client_for(clinician)
    created = client.post(
        "/api/v1/orders/",
        {
            "patient": patient.pk,
            "indication": "pemphigus-vulgaris",
            "product": "privigen",
            "total_dose_g_per_kg": "2",
            "days_per_cycle": 5,
            "cycles": 6,
            "cycle_interval_days": 28,
            "start_date": next_monday().isoformat(),
            "concomitant_immunosuppressant": "mycophenolate",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    plan = client.get(f"/api/v1/orders/{created.json()['id']}/plan/").json()
    assert "RENAL_RISK" in {finding["code"] for finding in plan["findings"]}


def test_without_the_low_egfr_there_is_no_renal_risk(clinician, fhir_client, client_for):
    """The control: the finding comes from the eGFR that arrived."""
    response = post_bundle(fhir_client(clinician), new_patient_bundle(egfr=95))
    assert response.status_code == 200, response.content
    patient = Patient.objects.get(mrn="EHR-1")
    client = client_for(clinician)
    created = client.post(
        "/api/v1/orders/",
        {
            "patient": patient.pk,
            "indication": "pemphigus-vulgaris",
            "product": "privigen",
            "total_dose_g_per_kg": "2",
            "days_per_cycle": 5,
            "cycles": 6,
            "cycle_interval_days": 28,
            "start_date": next_monday().isoformat(),
            "concomitant_immunosuppressant": "mycophenolate",
        },
        content_type="application/json",
    )
    plan = client.get(f"/api/v1/orders/{created.json()['id']}/plan/").json()
    assert "RENAL_RISK" not in {finding["code"] for finding in plan["findings"]}


# --- matching, duplicates, conversions -------------------------------------------------------


def test_posting_the_same_bundle_twice_records_nothing_twice(clinician, fhir_client):
    client = fhir_client(clinician)
    first = post_bundle(client, new_patient_bundle())
    again = post_bundle(client, new_patient_bundle())
    assert again.status_code == 200, again.content
    assert [e.response.status for e in validated(again.json()).entry] == ["200 OK"] * 4
    locations = [e.response.location for e in validated(first.json()).entry]
    assert [e.response.location for e in validated(again.json()).entry] == locations
    assert Patient.objects.filter(mrn="EHR-1").count() == 1
    assert PatientWeight.objects.count() == 1
    assert LabResult.objects.count() == 1


def test_an_existing_patient_is_matched_by_mrn_and_referenced_by_identifier(clinician, fhir_client):
    patient = worked_example_patient(clinician, mrn="EHR-9", date_of_birth=date(1969, 5, 17))
    body = transaction(
        patient_entry("EHR-9"),
        observation_entry("718-7", 135, "g/L", subject=f"Patient?identifier={MRN_SYSTEM}|EHR-9"),
        observation_entry("2465-3", "8.5", "g/L", subject=f"Patient/{patient.pk}"),
    )
    body["entry"][2]["resource"]["valueQuantity"]["value"] = 8.5
    response = post_bundle(fhir_client(clinician), body)
    assert response.status_code == 200, response.content
    statuses = [e.response.status for e in validated(response.json()).entry]
    assert statuses == ["200 OK", "201 Created", "201 Created"]
    assert Patient.objects.count() == 1
    # Converted exactly into the catalogue's units: 135 g/L = 13.5 g/dL, 8.5 g/L = 850 mg/dL.
    values = dict(LabResult.objects.values_list("test__code", "value"))
    assert values == {"718-7": Decimal("13.5"), "2465-3": Decimal("850")}


def test_a_matched_mrn_with_another_birth_date_is_refused(clinician, fhir_client):
    PatientFactory.create(mrn="EHR-1", date_of_birth=date(1950, 1, 1), sex="female")
    issues = refused(post_bundle(fhir_client(clinician), new_patient_bundle()))
    assert issues[0].expression == ["Bundle.entry[0]"]
    assert "another date of birth" in issues[0].details.text
    assert LabResult.objects.count() == PatientWeight.objects.count() == 0


def test_grams_and_metres_are_converted_and_a_detection_limit_kept(clinician, fhir_client):
    body = transaction(
        patient_entry(),
        observation_entry("29463-7", 70500, "g"),
        observation_entry("8302-2", "1.72", "m"),
        observation_entry("2458-8", 5, "mg/dL"),
    )
    body["entry"][2]["resource"]["valueQuantity"]["value"] = 1.72
    body["entry"][3]["resource"]["valueQuantity"]["comparator"] = "<"
    response = post_bundle(fhir_client(clinician), body)
    assert response.status_code == 200, response.content
    patient = Patient.objects.get(mrn="EHR-1")
    assert patient.height_cm == Decimal("172")
    assert PatientWeight.objects.get(patient=patient).weight_kg == Decimal("70.5")
    iga = LabResult.objects.get(patient=patient)
    assert (iga.value, iga.below_detection_limit) == (Decimal("5"), True)


def test_qualitative_and_blood_group_results(clinician, fhir_client):
    anti_iga = observation_entry("L-ANTI-IGA", None, "")
    resource = anti_iga["resource"]
    del resource["valueQuantity"]
    resource["code"]["coding"][0]["system"] = "urn:ivig:lab-code"
    resource["valueCodeableConcept"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "260385009"}]
    }
    group = observation_entry("882-1", None, "")
    del group["resource"]["valueQuantity"]
    group["resource"]["valueString"] = "O NEG"
    response = post_bundle(fhir_client(clinician), transaction(patient_entry(), anti_iga, group))
    assert response.status_code == 200, response.content
    texts = dict(LabResult.objects.values_list("test__code", "text"))
    assert texts == {"L-ANTI-IGA": "negative", "882-1": "O-"}


def test_arrived_results_are_recorded_by_the_token_s_user(clinician, fhir_client):
    """Results are recorded by the lab service (``lab_result_record``, which stores them as
    entered), with the history naming the token's user."""
    post_bundle(fhir_client(clinician), new_patient_bundle())
    result = LabResult.objects.get()
    assert result.recorded_by == clinician
    assert result.source == LabSource.ENTERED
    assert result.history.first().history_user == clinician


# --- refusals: all or nothing, the entry named -----------------------------------------------


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (observation_entry("9999-9", 1, "mg/dL"), "lab catalogue"),
        (observation_entry("62238-1", 48, "mmol/L"), "cannot be converted"),
        (observation_entry("718-7", 13, "mg"), "cannot be converted"),
        (observation_entry("62238-1", 480, "mL/min/{1.73_m2}"), "not plausible"),
        (observation_entry("62238-1", 1e300, "mL/min/{1.73_m2}"), "outside"),
        (observation_entry("29463-7", 2000, "kg"), "weight_kg"),
        (observation_entry("29463-7", 70.123, "kg"), "weight_kg"),
        (observation_entry("8302-2", 3.5, "m"), "height"),
        (observation_entry("62238-1", 48, "mL/min/{1.73_m2}", status="preliminary"), "status"),
        (observation_entry("62238-1", 48, "mL/min/{1.73_m2}", subject="Patient/999999"), "not"),
        (
            observation_entry(
                "62238-1", 48, "mL/min/{1.73_m2}", on=timezone.localdate() + timedelta(days=3)
            ),
            "effectiveDateTime: Taken on",
        ),
    ],
)
def test_a_refused_entry_refuses_the_bundle_naming_it(clinician, fhir_client, entry, words):
    body = transaction(patient_entry(), observation_entry("29463-7", 82.5, "kg"), entry)
    issues = refused(post_bundle(fhir_client(clinician), body))
    assert [issue.expression for issue in issues] == [["Bundle.entry[2]"]]
    assert words in issues[0].details.text
    assert not Patient.objects.exists()  # all or nothing
    assert not PatientWeight.objects.exists()


def test_every_refused_entry_is_named(clinician, fhir_client):
    body = transaction(
        patient_entry(gender="unknown"),
        observation_entry("62238-1", 48, "mL/min/{1.73_m2}"),
        observation_entry("9999-9", 1, "mg/dL", subject="Patient/1"),
    )
    issues = refused(post_bundle(fhir_client(clinician), body))
    assert [issue.expression[0] for issue in issues] == [
        "Bundle.entry[0]",
        "Bundle.entry[1]",
        "Bundle.entry[2]",
    ]
    assert "gender" in issues[0].details.text
    assert "was refused" in issues[1].details.text


def test_an_unusual_weight_is_refused_as_on_the_pages(clinician, fhir_client):
    patient = worked_example_patient(clinician, mrn="EHR-1", date_of_birth=date(1969, 5, 17))
    body = transaction(
        observation_entry(
            "29463-7", 50, "kg", subject=f"Patient/{patient.pk}", on=timezone.localdate()
        ),
    )
    issues = refused(post_bundle(fhir_client(clinician), body))
    assert "confirm" in issues[0].details.text
    assert patient.weights.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        '{"resourceType": "Bundle", "type": "transaction", "entry": [NaN]}',
        '{"a": Infinity}',
        "[" * 100_000,
        "1" * 5000,
        [],
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "batch", "entry": []},
        {"resourceType": "Bundle", "type": "transaction"},
        {"resourceType": "Bundle", "type": "transaction", "entry": "x"},
        {"resourceType": "Bundle", "type": "transaction", "entry": [1]},
        transaction({"resource": {"resourceType": "Foo"}, "request": {"method": "POST"}}),
        transaction({**patient_entry(), "request": {"method": "PUT", "url": "Patient/1"}}),
        transaction({**patient_entry(), "request": {"method": "POST", "url": "Observation"}}),
        transaction(patient_entry(birthDate="1969-13-01")),
        transaction(patient_entry(birthDate="1969")),
        transaction(patient_entry(identifier=[{"system": "urn:other", "value": "1"}])),
        transaction(patient_entry(name=[{"family": "x" * 500, "given": ["A"]}])),
        transaction(patient_entry(), {**observation_entry("718-7", 1, "g/dL"), "extra": 1}),
        transaction(patient_entry(), observation_entry("718-7", "abc", "g/dL")),
        transaction(patient_entry(), observation_entry("718-7", 1, "g/dL", subject="Group/1")),
        transaction(patient_entry(), observation_entry("718-7", 1, "g/dL", effectiveDateTime=None)),
    ],
)
def test_bad_input_is_a_400_operation_outcome_never_a_500(clinician, fhir_client, body):
    refused(post_bundle(fhir_client(clinician), body))
    assert not Patient.objects.exists()


def test_too_many_entries_are_refused(clinician, fhir_client):
    body = transaction(*[{"resource": {}} for _ in range(MAX_ENTRIES + 1)])
    issues = refused(post_bundle(fhir_client(clinician), body))
    assert "split" in issues[0].details.text


def test_a_body_over_the_request_bound_is_a_413(clinician, fhir_client, settings):
    """Answered by the request-bounds middleware before any view (its plain 413)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert post_bundle(fhir_client(clinician), new_patient_bundle()).status_code == 413
    assert not Patient.objects.exists()


# --- who may --------------------------------------------------------------------------------


def test_only_a_clinician_may_post(nurse, authadmin, pharmacist, fhir_client, client):
    for user in (nurse, authadmin, pharmacist):
        issues = refused(post_bundle(fhir_client(user), new_patient_bundle()), status=403)
        assert issues[0].code == "forbidden"
    refused(post_bundle(client, new_patient_bundle()), status=401)
    assert not Patient.objects.exists()


def test_the_capability_statement_states_the_transaction(client):
    statement = validated(client.get(f"{BASE}/metadata").json())
    assert [i.code for i in statement.rest[0].interaction] == ["transaction"]


def test_get_on_the_base_is_still_a_404(clinician, fhir_client):
    refused(fhir_client(clinician).get(f"{BASE}/"), status=404)
    refused(fhir_client(clinician).get(BASE), status=404)


def test_the_base_without_its_trailing_slash_takes_the_transaction(clinician, fhir_client):
    """``POST [base]`` as FHIR clients write it: no redirect a POST cannot follow."""
    client = fhir_client(clinician)
    response = client.post(BASE, json.dumps(new_patient_bundle()), content_type="application/json")
    assert response.status_code == 200, response.content
    assert validated(response.json()).type == "transaction-response"
    refused(client.post(BASE, "[]", content_type="application/json"))


# --- the nightly file -----------------------------------------------------------------------


def test_the_command_ingests_a_bundle_file(clinician, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(new_patient_bundle()))
    out = StringIO()
    call_command("fhir_ingest", str(path), "--user", clinician.username, stdout=out)
    assert "4 entries: 4 created, 0 already recorded" in out.getvalue()
    assert LabResult.objects.filter(patient__mrn="EHR-1").count() == 1


def test_the_command_refuses_a_bad_file_naming_the_entry(clinician, nurse, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(transaction(patient_entry(), observation_entry("9999-9", 1, "mg/dL")))
    )
    with pytest.raises(CommandError, match=r"Bundle.entry\[1\]"):
        call_command("fhir_ingest", str(path), "--user", clinician.username)
    with pytest.raises(CommandError, match="may not"):
        call_command("fhir_ingest", str(path), "--user", nurse.username)
    with pytest.raises(CommandError, match="not JSON"):
        path.write_text("{")
        call_command("fhir_ingest", str(path), "--user", clinician.username)
    assert not Patient.objects.exists()


def test_a_result_already_recorded_by_hand_is_a_duplicate(clinician, fhir_client):
    patient = worked_example_patient(clinician, mrn="EHR-1", date_of_birth=date(1969, 5, 17))
    day = timezone.localdate() - timedelta(days=1)
    stored, _ = lab_result_record(
        patient,
        by=clinician,
        test=LabTest.objects.get(code="62238-1"),
        taken_on=day,
        value=Decimal(48),
    )
    body = transaction(
        patient_entry(),
        observation_entry("62238-1", 48, "mL/min/{1.73_m2}", on=day),
    )
    response = post_bundle(fhir_client(clinician), body)
    entry = validated(response.json()).entry[1]
    assert (entry.response.status, entry.response.location) == (
        "200 OK",
        f"Observation/lab-{stored.pk}",
    )
