"""The CapabilityStatement states exactly what is served: every type and search parameter it
lists answers a valid Bundle, and nothing else is served."""

import pytest
from django.test import Client

from interop.endpoints import ENDPOINTS
from tests.interop.conftest import BASE, validated
from tests.orders.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _statement():
    response = Client().get(f"{BASE}/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    return validated(response.json())


def test_metadata_is_a_valid_public_capability_statement():
    statement = _statement()
    assert statement.kind == "instance" and statement.status == "active"
    assert statement.fhirVersion.startswith("4.")
    assert "json" in statement.format
    [rest] = statement.rest
    assert rest.mode == "server"
    assert [r.type for r in rest.resource] == [e.resource_type for e in ENDPOINTS]


def test_every_listed_type_and_search_parameter_answers_a_valid_bundle(clinician, fhir_client):
    PatientFactory.create_batch(2)
    client = fhir_client(clinician)
    examples = {
        (e.resource_type, p.name): p.example for e in ENDPOINTS for p in e.search_parameters
    }
    walked = 0
    for resource in _statement().rest[0].resource:
        assert {i.code for i in resource.interaction} == {"read", "search-type"}
        for parameter in resource.searchParam:
            # The paging parameters take a number, ``_total`` one of its modes.
            fallback = "accurate" if parameter.name == "_total" else "1"
            value = examples.get((resource.type, parameter.name), fallback)
            response = client.get(f"{BASE}/{resource.type}", {parameter.name: value})
            assert response.status_code == 200, (resource.type, parameter.name, response.json())
            bundle = validated(response.json())
            assert bundle.type == "searchset"
            assert all(
                entry.resource.get_resource_type() == resource.type for entry in bundle.entry or []
            )
            walked += 1
        everything = validated(client.get(f"{BASE}/{resource.type}").json())
        for entry in everything.entry or []:
            read = client.get(f"{BASE}/{resource.type}/{entry.resource.id}")
            assert read.status_code == 200
            assert validated(read.json()) == entry.resource
    assert walked >= 7


@pytest.mark.parametrize("kind", ["Practitioner", "Encounter", "Claim"])
def test_a_type_not_listed_is_not_served(clinician, fhir_client, kind):
    listed = {r.type for r in _statement().rest[0].resource}
    assert kind not in listed
    response = fhir_client(clinician).get(f"{BASE}/{kind}")
    assert response.status_code == 404
    assert validated(response.json()).get_resource_type() == "OperationOutcome"
