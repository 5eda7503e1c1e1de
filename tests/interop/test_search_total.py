"""A search's ``Bundle.total`` is counted up to ``TOTAL_COUNTED`` matches (docs/fhir.md, "What is
served"), so that a page costs the same however many rows the centre holds; beyond, no total is
stated, the ``next`` link still says more follow, and ``_total=accurate`` counts them all."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import interop.fhir
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from tests.interop.conftest import BASE, validated
from tests.orders.factories import PatientFactory, worked_example_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_counted(monkeypatch):
    monkeypatch.setattr(interop.fhir, "TOTAL_COUNTED", 3)


def _bundle(client, address: str, **params: str):
    response = client.get(address, params)
    assert response.status_code == 200, response.json()
    return validated(response.json())


def _walk(client, address: str) -> list[str]:
    """Every entry's id, following ``next`` links from ``address``."""
    seen: list[str] = []
    while address:
        bundle = validated(client.get(address).json())
        seen += [entry.resource.id for entry in bundle.entry or []]
        address = next((link.url for link in bundle.link if link.relation == "next"), "")
    return seen


def test_a_search_matching_more_than_counted_states_no_total(clinician, fhir_client, three_counted):
    patients = PatientFactory.create_batch(5)
    client = fhir_client(clinician)
    bundle = _bundle(client, f"{BASE}/Patient", _count="2")
    assert bundle.total is None and len(bundle.entry) == 2
    assert sorted(_walk(client, f"{BASE}/Patient?_count=2")) == sorted(str(p.pk) for p in patients)
    assert _bundle(client, f"{BASE}/Patient", _total="accurate").total == 5
    assert _bundle(client, f"{BASE}/Patient", _count="0").total == 5
    assert _bundle(client, f"{BASE}/Patient", _total="none", _count="1").total is None
    # Up to the bound, the total is stated (a patient's own rows, say).
    assert _bundle(client, f"{BASE}/Patient", _id=f"{patients[0].pk},{patients[1].pk}").total == 2
    refused = client.get(f"{BASE}/Patient", {"_total": "exact"})
    assert refused.status_code == 400
    assert validated(refused.json()).issue[0].details.text == (
        "_total must be none, estimate or accurate."
    )


def test_the_total_is_counted_in_a_bounded_query(clinician, fhir_client):
    PatientFactory.create_batch(2)
    client = fhir_client(clinician)
    client.get(f"{BASE}/Patient")
    with CaptureQueriesContext(connection) as queries:
        assert _bundle(client, f"{BASE}/Patient").total == 2
    [counted] = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert f"LIMIT {interop.fhir.TOTAL_COUNTED + 1}" in counted


def test_observation_pages_run_across_sources_without_their_totals(
    clinician, fhir_client, three_counted
):
    """Labs, then weights, then heights, paged as one list whatever the page size, with no
    source counted whole."""
    client = fhir_client(clinician)
    for _ in range(2):
        patient = worked_example_patient(clinician)  # a weight and a height
        lab_result_record(
            patient,
            by=clinician,
            test=LabTest.objects.get(code="62238-1"),
            taken_on=timezone.localdate() - timedelta(days=2),
            value=Decimal("48"),
        )
    everything = _bundle(client, f"{BASE}/Observation", _count="100", _total="accurate")
    ids = [entry.resource.id for entry in everything.entry]
    assert (
        everything.total == 6
        and [i.split("-")[0] for i in ids] == ["lab"] * 2 + ["weight"] * 2 + ["height"] * 2
    )
    for size in range(1, 7):
        assert _walk(client, f"{BASE}/Observation?_count={size}") == ids
    for offset in range(8):
        page = _bundle(client, f"{BASE}/Observation", _count="2", _offset=str(offset))
        assert [entry.resource.id for entry in page.entry or []] == ids[offset : offset + 2]
        assert page.total is None
