"""A real FHIR client library (fhirpy) against the live test server: search with paging, read,
and the error it sees for a missing resource."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound
from rest_framework.authtoken.models import Token

from ivig.audit.models import AccessLog
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _client(live_server, user) -> SyncFHIRClient:
    token, _ = Token.objects.get_or_create(user=user)
    return SyncFHIRClient(f"{live_server.url}/fhir/R4", authorization=f"Token {token.key}")


def test_round_trip_of_patients_through_fhirpy(live_server, clinician):
    ada = PatientFactory.create(
        mrn="RT-1", family_name="Okafor", given_name="Ada", date_of_birth=date(1969, 5, 17)
    )
    others = PatientFactory.create_batch(4)
    client = _client(live_server, clinician)

    everyone = client.resources("Patient").limit(2).fetch_all()  # follows the next links
    assert sorted(p["id"] for p in everyone) == sorted(str(p.pk) for p in [ada, *others])

    [found] = client.resources("Patient").search(identifier="RT-1").fetch()
    assert found["name"][0]["family"] == "Okafor"
    assert found["birthDate"] == "1969-05-17"

    read = client.reference("Patient", str(ada.pk)).to_resource()
    assert read.serialize() == found.serialize()
    assert AccessLog.objects.filter(user=clinician, subject_id=str(ada.pk)).exists()

    with pytest.raises(ResourceNotFound):
        client.reference("Patient", "999999").to_resource()


def test_fhirpy_sees_a_refused_search_as_an_operation_outcome(live_server, clinician):
    client = _client(live_server, clinician)
    with pytest.raises(OperationOutcome):
        client.resources("Patient").search(mrn="RT-1").fetch()


def test_a_transaction_posted_through_fhirpy_reads_back(live_server, clinician):
    """In and back out with the client library: the EHR's transaction, then the patient and
    the eGFR as fhirpy reads them."""
    client = _client(live_server, clinician)
    taken_on = (timezone.localdate() - timedelta(days=1)).isoformat()
    answer = client.execute(
        "",
        method="post",
        data={
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": "urn:uuid:patient-1",
                    "resource": {
                        "resourceType": "Patient",
                        "identifier": [{"system": "urn:ivig:mrn", "value": "RT-9"}],
                        "name": [{"family": "Okafor", "given": ["Ada"]}],
                        "gender": "female",
                        "birthDate": "1969-05-17",
                    },
                    "request": {"method": "POST", "url": "Patient"},
                },
                {
                    "resource": {
                        "resourceType": "Observation",
                        "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": "62238-1"}]},
                        "subject": {"reference": "urn:uuid:patient-1"},
                        "effectiveDateTime": taken_on,
                        "valueQuantity": {
                            "value": 48,
                            "system": "http://unitsofmeasure.org",
                            "code": "mL/min/{1.73_m2}",
                        },
                    },
                    "request": {"method": "POST", "url": "Observation"},
                },
            ],
        },
    )
    assert answer["type"] == "transaction-response"
    patient_location, egfr_location = (e["response"]["location"] for e in answer["entry"])
    patient = client.reference(*patient_location.split("/")).to_resource()
    assert patient["identifier"][0]["value"] == "RT-9"
    [egfr] = client.resources("Observation").search(patient=patient["id"], code="62238-1").fetch()
    assert egfr["id"] == egfr_location.split("/")[1]
    assert egfr["valueQuantity"]["value"] == 48
    assert egfr["effectiveDateTime"] == taken_on
