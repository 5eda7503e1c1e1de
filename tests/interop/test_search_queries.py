"""Every FHIR search reads a page in a bounded number of queries (issue 21): the same with one of
everything as with three, each within its budget, and no order planned on the way."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interop.endpoints import ENDPOINTS
from orders.services import order_create, order_sign
from tests.conftest import TEST_PASSWORD
from tests.interop.conftest import BASE, one_of_everything, searched_without_planning, validated
from tests.orders.factories import order_values

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
# page shows it: one truth on every screen). Their facts are read for the page at once
# (orders/dose_plans/plan_facts.py): their queries do not grow with the page either (below).
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


def test_the_orders_plans_on_a_page_are_read_in_queries_that_do_not_grow_with_it(
    clinician, nurse, fhir_client
):
    """MedicationRequest plans each order of its page (PLANS_EACH_ROW) on facts read for the
    whole page at once: ten orders of five patients (labs, approvals, sessions given and
    cancelled, a second order each) in as many queries as two."""
    for _ in range(5):
        order = one_of_everything(clinician, nurse)
        draft = order_create(
            by=clinician,
            **order_values(
                order.patient, start_date=order.start_date + timedelta(days=28 * order.cycles)
            ),
        )
        order_sign(
            draft,
            by=clinician,
            password=TEST_PASSWORD,
            override_reasons={"RENAL_RISK": "Hydrated, the rate kept low."},
            version=draft.version,
        )
    client = fhir_client(clinician)
    client.get(f"{BASE}/MedicationRequest")  # the token's first use is behind us
    counted = {}
    for size in (2, 10):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{BASE}/MedicationRequest?_count={size}")
        assert len(validated(response.json()).entry) == size
        counted[size] = len(queries)
    assert counted[2] == counted[10]
