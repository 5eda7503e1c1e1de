"""Demo patients (DESIGN 9): varied, each with a recent weight, idempotent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders.engine_inputs import patient_facts
from orders.models import Order, Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    today = timezone.localdate()
    return {p.mrn: patient_facts(p, as_of=today) for p in Patient.objects.all()}


def test_seed_is_idempotent_and_every_patient_has_a_recent_weight(demo):
    assert len(demo) == 5
    assert Patient.objects.count() == 5
    recent = timezone.localdate() - timedelta(days=30)
    for facts in demo.values():
        assert facts.weight_kg is not None
        assert facts.weight_measured_on is not None and facts.weight_measured_on >= recent
    assert all(p.weights.count() == 1 for p in Patient.objects.all())


def test_the_demo_patients_are_varied(demo):
    facts = list(demo.values())

    def bmi(f):
        return f.weight_kg / (f.height_cm / 100) ** 2

    assert any(f.age_years >= 18 and bmi(f) > Decimal(30) for f in facts)
    assert any(f.age_years < 18 for f in facts)
    assert any(f.age_years == 70 and "diabetes" in f.risk_factors for f in facts)
    assert any(f.iga_status == "deficient_with_antibodies" for f in facts)
    assert any(f.pregnant for f in facts)


def test_no_demo_patients_without_debug(settings):
    settings.DEBUG = False
    call_command("seed_demo")
    assert not Patient.objects.exists()


def test_demo_orders_a_draft_one_awaiting_verification_and_one_verified(demo):
    statuses = dict(Order.objects.values_list("patient__mrn", "status"))
    # The infusions demo may book the verified order's sessions: then it is active.
    assert statuses.pop("DEMO-0005") in ("verified", "active")
    assert statuses == {"DEMO-0001": "draft", "DEMO-0003": "signed"}
    signed = Order.objects.get(status="signed")
    assert signed.signed_by is not None and signed.signed_by.username == "clinician"
    assert {o.code for o in signed.overrides.all()} == {"RENAL_RISK", "THROMBOSIS_RISK"}
    verified = Order.objects.get(patient__mrn="DEMO-0005")
    assert verified.verified_by is not None
    assert verified.verified_by.username == "pharmacist"
    assert Order.objects.count() == 3  # the second seed added none
