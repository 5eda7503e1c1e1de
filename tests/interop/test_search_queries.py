"""Every FHIR search reads a page in a bounded number of queries (issue 21): the same with one of
everything as with three, each within its budget, and no order planned on the way."""

import pytest

from interop.endpoints import ENDPOINTS
from tests.interop.conftest import BASE, one_of_everything, searched_without_planning

pytestmark = pytest.mark.django_db

# Per search: the token with its user, the user's groups, the count, the page, what the page
# prefetches, the read log (not for Medication, Schedule and Slot: no patient shown).
BUDGET = {
    "Patient": 5,
    "Observation": 9,  # three sources, each counted and paged (docs/fhir.md)
    "Medication": 4,
    "MedicationAdministration": 6,  # the sessions' records
    "AllergyIntolerance": 5,
    "Condition": 5,
    "Coverage": 5,
    "ClaimResponse": 5,
    "Appointment": 5,
    "Schedule": 4,
    "Slot": 4,
}
# Searches that plan each order on their page, with why (the plan on today's facts, as the order
# page shows it: one truth on every screen; a page of plans made in bulk is left for later).
PLANS_EACH_ROW = {
    "MedicationRequest": "its dosage is the one plan accessor's, the order page's",
}


def test_every_search_s_queries_are_bounded_and_do_not_grow(
    clinician, nurse, fhir_client, monkeypatch
):
    assert set(BUDGET) | set(PLANS_EACH_ROW) == {endpoint.resource_type for endpoint in ENDPOINTS}
    client = fhir_client(clinician)
    counted: dict[int, dict[str, int]] = {}
    made = 0
    for size in (1, 3):
        while made < size:
            one_of_everything(clinician, nurse)
            made += 1
        counted[size] = {}
        for resource_type, budget in BUDGET.items():
            bundle, queries = searched_without_planning(
                client, f"{BASE}/{resource_type}", monkeypatch, budget
            )
            assert bundle.entry, resource_type  # a page with rows on it
            counted[size][resource_type] = queries
    assert counted[1] == counted[3]
