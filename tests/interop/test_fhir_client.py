"""A real FHIR client library (fhirpy) against the live test server: search with paging, read,
and the error it sees for a missing resource."""

from datetime import date

import pytest
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
