"""FHIR MedicationRequest carries the order version as signed: its dosage is the plan frozen at
signing (``Order.plan_at_signing``, docs/fhir.md "MedicationRequest"), the numbers the orders API
serves, read from the stored plan (never the engine per row) whatever changed since."""

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from interop.resources.medication_request import SignedDosage, signed_dosage
from ivig.engine import dose_plan_to_json
from orders.dose_plans.plan_accessor import order_plan
from orders.models import Order, OrderStatus
from orders.services import (
    order_create,
    order_discontinue,
    order_sign,
    order_update,
    order_verify,
)
from tests.conftest import TEST_PASSWORD
from tests.interop.conftest import BASE, searched_without_planning, validated
from tests.orders.factories import PatientWeightFactory, order_values, worked_example_patient

pytestmark = pytest.mark.django_db


def _signed(clinician, **overrides: Any) -> Order:
    patient = worked_example_patient(clinician)
    draft = order_create(by=clinician, **order_values(patient, **overrides))
    return _sign(draft, clinician)


def _sign(draft: Order, clinician) -> Order:
    return order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=draft.version
    )


def _numbers(request: Any) -> dict[str, Any]:
    """The plan's numbers a MedicationRequest carries, as read back from it."""
    [dosage] = request.dosageInstruction
    dose, *steps = dosage.doseAndRate
    return {
        "daily_dose_g": Decimal(str(dose.doseQuantity.value)),
        "rates": [int(step.rateQuantity.value) for step in steps],
        "steps": [step.type.text for step in steps],
        "days": [str(day) for day in dosage.timing.event],
        "weight": request.note[0].text,
    }


def _plan_numbers(plan: Any) -> dict[str, Any]:
    """The same numbers from a plan in the engine's JSON shape."""
    return {
        "daily_dose_g": Decimal(plan["daily_dose_g"]),
        "rates": [step["rate_ml_per_h"] for step in plan["titration"]],
        "steps": [
            f"step {n}: from minute {s['start_min']} for {Decimal(s['minutes']).normalize():f}"
            f" min, {Decimal(s['volume_ml']).normalize():f} mL"
            for n, s in enumerate(plan["titration"], start=1)
        ],
        "days": [day for cycle in plan["cycles"] for day in cycle["days"]],
        "weight": (
            f"Dosing weight {Decimal(plan['dosing_weight_kg']).normalize():f} kg"
            f" ({plan['dosing_weight_basis']})"
        ),
    }


def _served(client, order: Order) -> dict[str, Any]:
    response = client.get(f"{BASE}/MedicationRequest/{order.pk}")
    assert response.status_code == 200, response.json()
    return _numbers(validated(response.json()))


def _api_plan(client, order: Order) -> dict[str, Any]:
    response = client.get(f"/api/v1/orders/{order.pk}/")
    assert response.status_code == 200
    plan: dict[str, Any] = response.json()["plan_at_signing"]
    return plan


def test_every_step_of_an_order_serves_the_plan_signed_for_its_version(
    clinician, pharmacist, fhir_client
):
    """Signing, verifying, a new version signed and verified, discontinuing: each served
    version carries its own signed plan, which at signing is the plan of the day (the order
    page's), and which the orders API serves."""
    client = fhir_client(clinician)
    signed = _signed(clinician)
    today = order_plan(signed, as_of=timezone.localdate()).plan
    assert _served(client, signed) == _plan_numbers(dose_plan_to_json(today))
    assert _served(client, signed) == _plan_numbers(_api_plan(client, signed))

    verified = order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)
    assert _served(client, verified) == _plan_numbers(signed.plan_at_signing)

    # A new version (a smaller dose) is a new request with its own signed plan; once it is
    # verified the old version is superseded and no longer served.
    draft = order_update(
        verified, by=clinician, version=verified.version, total_dose_g_per_kg=Decimal("1")
    )
    second = _sign(draft, clinician)
    assert second.pk != verified.pk
    assert _served(client, second) == _plan_numbers(second.plan_at_signing)
    assert _served(client, second)["daily_dose_g"] < _served(client, verified)["daily_dose_g"]
    second = order_verify(second, by=pharmacist, acknowledged_codes=[], version=second.version)
    assert client.get(f"{BASE}/MedicationRequest/{verified.pk}").status_code == 404
    assert _served(client, second) == _plan_numbers(
        dose_plan_to_json(order_plan(second, as_of=timezone.localdate()).plan)
    )

    stopped = order_discontinue(second, by=clinician, reason="Remission", version=second.version)
    assert _served(client, stopped) == _plan_numbers(second.plan_at_signing)
    assert stopped.status == OrderStatus.DISCONTINUED


def test_a_weight_change_since_signing_leaves_the_request_as_signed(clinician, fhir_client):
    """docs/fhir.md: the request is the order as signed. A new weight (9 % less: no
    WEIGHT_CHANGED, so no new version) changes today's plan, which the order page shows; the
    request keeps the signed dose and rates, as the orders API's ``plan_at_signing`` does."""
    client = fhir_client(clinician)
    signed = _signed(clinician)
    PatientWeightFactory.create(
        patient=signed.patient, weight_kg=Decimal("75"), recorded_by=clinician
    )
    today = dose_plan_to_json(order_plan(signed, as_of=timezone.localdate()).plan)
    assert "WEIGHT_CHANGED" not in {finding["code"] for finding in today["findings"]}
    assert _plan_numbers(today)["weight"] != _plan_numbers(signed.plan_at_signing)["weight"]
    served = _served(client, signed)
    assert (
        served == _plan_numbers(signed.plan_at_signing) == _plan_numbers(_api_plan(client, signed))
    )
    assert served != _plan_numbers(today)


def test_an_order_without_a_signed_plan_carries_no_numbers(clinician, fhir_client):
    """An order made outside the order services (no plan frozen at signing) states no dose,
    rate or day rather than one planned for the occasion."""
    signed = _signed(clinician)
    Order.objects.filter(pk=signed.pk).update(plan_at_signing=None)
    response = fhir_client(clinician).get(f"{BASE}/MedicationRequest/{signed.pk}")
    [dosage] = validated(response.json()).dosageInstruction
    assert dosage.doseAndRate is None and dosage.timing.event is None
    assert dosage.text.startswith("No dose (see the order), 5 day(s) per cycle")
    assert signed_dosage({"titration": [{"rate_ml_per_h": "fast"}]}) == SignedDosage()
    assert signed_dosage({"cycles": ["2027-01-04"]}) == SignedDosage()
    # A plan stored with more than the numbers read (an older engine's) is read for them.
    step = {"start_min": 0, "rate_ml_per_h": 20, "minutes": "30.0", "volume_ml": "10.0"}
    read = signed_dosage({"daily_dose_g": "25", "titration": [{**step, "limited_by": "label"}]})
    assert read.daily_dose_g == Decimal(25) and read.titration[0].rate_ml_per_h == 20


def test_a_search_never_plans_and_its_queries_do_not_grow(clinician, fhir_client, monkeypatch):
    """A page reads its orders, their lines and the signed plans in a bounded number of
    queries, the same for 2 orders as for 5, and never runs the engine (docs/fhir.md; issue
    21: never the engine per row)."""
    client = fhir_client(clinician)
    counted = []
    for orders in (2, 5):
        while Order.objects.count() < orders:
            _signed(clinician)
        bundle, queries = searched_without_planning(
            client, f"{BASE}/MedicationRequest", monkeypatch, SEARCH_QUERIES
        )
        counted.append(queries)
        assert bundle.total == orders == len(bundle.entry)
        for entry in bundle.entry:
            order = Order.objects.get(pk=int(entry.resource.id))
            assert _numbers(entry.resource) == _plan_numbers(order.plan_at_signing)
    assert counted[0] == counted[1]


# The token with its user, the user's groups; the count, the page, its premedication lines;
# the read log.
SEARCH_QUERIES = 6
