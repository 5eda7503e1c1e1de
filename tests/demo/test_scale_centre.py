"""``seed_scale`` plans its new patients' orders from their weights and the policy read once for
all (demo/seeding/scale_centre.py ``_facts_reader``): every plan frozen at signing is the one
the order services' path (``plan_request_for_order``, reading each fact from the database)
gives; a patient who already has a laboratory result is planned through that path itself."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.seeding import scale_centre
from ivig.accounts.models import User
from ivig.engine import compute_plan, dose_plan_to_json
from orders.dose_plans.engine_inputs import plan_request_for_order
from orders.labs.models import LabResult, LabTest
from orders.models import Order, OrderStatus, Patient

pytestmark = pytest.mark.django_db


def _seed(patients: int) -> None:
    call_command("seed_scale", patients=patients, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _planned_one_by_one(order: Order) -> dict[str, Any]:
    signed_on = timezone.localdate(order.signed_at)
    return dose_plan_to_json(compute_plan(plan_request_for_order(order, evaluated_on=signed_on)))


def test_the_seeded_plans_are_those_the_order_services_make() -> None:
    _seed(30)
    signed = list(
        Order.objects.exclude(signed_at=None).select_related("patient", "product", "indication")
    )
    assert len(signed) > 20
    for order in signed:
        assert order.plan_at_signing == _planned_one_by_one(order), order.number


def test_patients_with_results_are_planned_one_by_one(monkeypatch) -> None:
    """The facts read at once are for patients with nothing but weights: the reader says so
    with three queries and otherwise gives nothing (each order's facts then read as usual)."""
    _seed(10)
    patient = Patient.objects.filter(mrn__startswith=scale_centre.MRN_PREFIX).first()
    assert patient is not None
    LabResult.objects.create(
        patient=patient,
        test=LabTest.objects.filter(analyte="egfr").order_by("pk")[0],
        taken_on=date(2020, 1, 1),
        value=Decimal(50),
        recorded_by=User.objects.get(username="scale-clinician"),
    )
    orders = list(Order.objects.filter(patient=patient).exclude(signed_at=None))
    assert orders
    assert scale_centre._facts_reader(orders)(orders[0]) == {}
    # Signed, not yet verified: no session booked, nothing but weights.
    others = list(Order.objects.filter(status=OrderStatus.SIGNED).exclude(patient=patient))
    assert others
    assert set(scale_centre._facts_reader(others)(others[0])) == {"facts", "policy"}
