"""A schemathesis-style run over ``/fhir/R4/``: every type and search parameter the
CapabilityStatement lists, every read, and the transaction, with edge values; no answer is a 5xx,
every answer is FHIR JSON that fhir.resources reads (a Bundle of the type, or an
OperationOutcome for an error)."""

import json
from typing import Any

import pytest
from django.utils import timezone

from tests.interop.conftest import BASE, one_of_everything, validated

pytestmark = pytest.mark.django_db

# Values no parameter expects, and some it does, of every kind.
EDGE_VALUES = (
    "",
    " ",
    ",",
    "|",
    "a|b|c",
    "0",
    "-1",
    "1",
    "1.5",
    "1e400",
    "NaN",
    "99999999999999999999999999",
    "abc",
    "x" * 3000,
    "💥",
    "Ω≈ç√",
    "true",
    "null",
    "eq2026-12-01",
    "ge1969-05",
    "2026-02-30",
    "2026-13",
    "lt0001",
    "gt9999-12-31",
    "sa2020",
    "Patient/1",
    "Patient/",
    "Patient/abc",
    "Group/1",
    "Schedule/1",
    "http://example.org/fhir/Patient/1",
    "http://loinc.org|29463-7",
    "urn:other|x",
    "%00",
)
EDGE_IDS = ("0", "-1", "abc", "1" * 30, "lab-", "lab-abc", "weight-1x", "height-", "1.0", "💥")


@pytest.fixture
def world(clinician, nurse):
    """One of everything the server serves, so that reads and searches find rows."""
    return one_of_everything(clinician, nurse)


def _fhir(response) -> Any:
    assert response.status_code < 500, (response.request, response.content[:500])
    assert response["Content-Type"].startswith("application/fhir+json"), response.request
    return validated(response.json())


def test_every_search_parameter_with_edge_values_answers_fhir(clinician, fhir_client, world):
    client = fhir_client(clinician)
    statement = validated(client.get(f"{BASE}/metadata").json())
    walked = 0
    for resource in statement.rest[0].resource:
        address = f"{BASE}/{resource.type}"
        for parameter in resource.searchParam:
            for value in EDGE_VALUES:
                answer = _fhir(client.get(address, {parameter.name: value}))
                if answer.get_resource_type() == "Bundle":
                    assert answer.type == "searchset"
                    types = {e.resource.get_resource_type() for e in answer.entry or []}
                    assert types <= {resource.type}
                else:
                    assert answer.get_resource_type() == "OperationOutcome"
                    assert answer.issue[0].severity == "error"
                walked += 1
        for modifier in (":exact", ":missing", ":not", ":contains"):
            name = resource.searchParam[0].name + modifier
            assert _fhir(client.get(address, {name: "1"})).get_resource_type() == "OperationOutcome"
        for edge_id in EDGE_IDS:
            outcome = _fhir(client.get(f"{address}/{edge_id}"))
            assert outcome.get_resource_type() == "OperationOutcome"
        everything = _fhir(client.get(address, {"_count": "100"}))
        for entry in everything.entry or []:
            read = _fhir(client.get(f"{address}/{entry.resource.id}"))
            assert read == entry.resource
        for method in ("post", "put", "patch", "delete"):
            refused = _fhir(getattr(client, method)(address, "{}", content_type="application/json"))
            assert refused.get_resource_type() == "OperationOutcome"
    assert walked >= 40 * len(EDGE_VALUES)


def test_the_transaction_with_edge_values_answers_fhir(clinician, fhir_client, world):
    client = fhir_client(clinician)
    edge_numbers: tuple[Any, ...] = (None, "", "1e400", -1, 0, True, [], {}, "NaN", 10**30, 0.3)
    for value in edge_numbers:
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "62238-1"}]},
            "subject": {"reference": f"Patient/{world.patient_id}"},
            "effectiveDateTime": timezone.localdate().isoformat(),
            "valueQuantity": {"value": value, "code": "mL/min/{1.73_m2}"},
        }
        body = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"resource": observation, "request": {"method": "POST", "url": "Observation"}}
            ],
        }
        answer = _fhir(client.post(f"{BASE}/", json.dumps(body), content_type="application/json"))
        assert answer.get_resource_type() in ("OperationOutcome", "Bundle")
