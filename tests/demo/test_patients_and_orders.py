"""Demo patients (docs/clinical-rules.md 9): varied, each with a recent weight, idempotent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.seeding.patients_and_orders import BOOKED_DEMO_MRN, DEMO_COURSES, NURSE_DEMO_MRN
from orders.dose_plans.engine_inputs import patient_facts
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
    assert len(demo) == 7
    assert Patient.objects.count() == 7
    recent = timezone.localdate() - timedelta(days=30)
    for facts in demo.values():
        assert facts.weight_kg is not None
        assert facts.weight_measured_on is not None and facts.weight_measured_on >= recent
    # One weight each, and the course patients' weights before the course, never twice.
    before_course = {course.mrn: len(course.weights) for course in DEMO_COURSES}
    assert {p.mrn: p.weights.count() for p in Patient.objects.all()} == {
        p.mrn: 1 + before_course.get(p.mrn, 0) for p in Patient.objects.all()
    }


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


def test_demo_orders_a_draft_one_awaiting_verification_and_two_verified(demo):
    statuses = dict(Order.objects.filter(notes="Demo order.").values_list("patient__mrn", "status"))
    # The infusions demo books the booked demo order's first cycle: then it is active.
    assert statuses.pop(BOOKED_DEMO_MRN) in ("verified", "active")
    assert statuses == {
        "DEMO-0001": "draft",
        "DEMO-0003": "signed",
        NURSE_DEMO_MRN: "verified",
    }
    signed = Order.objects.get(status="signed")
    assert signed.signed_by is not None and signed.signed_by.username == "clinician"
    assert {o.code for o in signed.overrides.all()} == {"RENAL_RISK", "THROMBOSIS_RISK"}
    verified = Order.objects.get(patient__mrn=BOOKED_DEMO_MRN)
    assert verified.verified_by is not None
    assert verified.verified_by.username == "pharmacist"
    assert Order.objects.count() == 6  # the courses' orders too; the second seed added none


def test_the_verified_demo_orders_start_today_with_a_plan_frozen_at_signing(demo):
    today = timezone.localdate()
    for mrn in (BOOKED_DEMO_MRN, NURSE_DEMO_MRN):
        order = Order.objects.get(patient__mrn=mrn)
        assert order.start_date == today
        assert order.plan_at_signing and order.plan_at_signing["cycles"]
        assert order.verified_by is not None and order.verified_by != order.signed_by


def test_patients_without_an_order_are_left_for_the_clinician(demo):
    assert set(Patient.objects.filter(orders__isnull=True).values_list("mrn", flat=True)) == {
        "DEMO-0002",
        "DEMO-0004",
    }
