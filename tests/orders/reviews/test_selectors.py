"""HEMOLYSIS_SUSPECTED answered by a clinician (docs/clinical-rules.md 3.8.2): a response review
with the decision to continue, recorded on or after the fallen hemoglobin it names, releases
the next cycle; without one (or naming no result, or deciding otherwise, or after a lower fall
since) the stop stands. Through the review page and the API."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.booking.session_plan import current_plan, session_plan
from orders.labs.models import LabResult, LabTest
from orders.labs.services import lab_result_record
from orders.models import OrderStatus
from orders.reviews.models import ResponseReview
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.orders.factories import PatientWeightFactory

pytestmark = pytest.mark.django_db

HB = "718-7"


def day(days_ago: int) -> date:
    return timezone.localdate() - timedelta(days=days_ago)


def at(days_ago: int, clock: str) -> datetime:
    return local(day(days_ago), clock)


@pytest.fixture
def fallen(nurse, clinician, client_for):
    """A 2 g/kg cycle started three days ago; hemoglobin 13.5 before it and 11.2 after it
    (2.3 g/dL lower): the next session (tomorrow) stops on HEMOLYSIS_SUSPECTED."""
    order = verified_order(status=OrderStatus.ACTIVE, start_date=day(3))
    PatientWeightFactory.create(
        patient=order.patient, weight_kg=Decimal("82.5"), measured_on=day(20), recorded_by=nurse
    )
    chair = ChairFactory.create()
    first = session_for(order, chair, at(3, "09:00"), by=nurse)
    later = session_for(order, chair, at(-1, "09:00"), by=nurse, day_number=2)
    moment = timezone.localtime(at(3, "09:30")).strftime("%Y-%m-%dT%H:%M")
    started = client_for(nurse).post(
        reverse("infusions:session-record", args=[first.pk]),
        {"occurred_at": moment, "kind": "started"},
    )
    assert started.status_code == 302
    test = LabTest.objects.get(code=HB)
    lab_result_record(order.patient, by=clinician, test=test, taken_on=day(10), value="13.5")
    drop, _ = lab_result_record(
        order.patient, by=clinician, test=test, taken_on=day(1), value="11.2"
    )
    assert stops(later, order) == (True, True)
    return order, later, drop


def stops(later, order) -> tuple[bool, bool]:
    """(the next session's plan stops on it, the order's plan now stops on it)."""
    on_session = "HEMOLYSIS_SUSPECTED" in [f.code for f in session_plan(later).stops]
    on_order = "HEMOLYSIS_SUSPECTED" in [f.code for f in current_plan(order).stops]
    return on_session, on_order


def review(client, order, **values):
    body = {
        "reviewed_on": timezone.localdate().isoformat(),
        "score": "12",
        "prednisone_mg_per_day": "10",
        "response": "partial",
        "decision": "continue",
        "notes": "Hemolysis work-up negative; Hb stable clinically.",
        **values,
    }
    return client.post(reverse("orders:order-reviews", args=[order.pk]), body)


def test_a_review_to_continue_naming_the_fall_releases_the_next_cycle(
    fallen, clinician, client_for
):
    order, later, drop = fallen
    doctor = client_for(clinician)
    page = doctor.get(reverse("orders:order-reviews", args=[order.pk])).content.decode()
    assert f'<option value="{drop.pk}">11.2 g/dL on {day(1):%Y-%m-%d}</option>' in page
    assert review(doctor, order).status_code == 302  # a review naming no result
    assert stops(later, order) == (True, True)  # the stop stands
    assert review(doctor, order, decision="stop", hemoglobin_result=drop.pk).status_code == 302
    assert stops(later, order) == (True, True)  # not a decision to continue
    assert review(doctor, order, hemoglobin_result=drop.pk).status_code == 302
    assert stops(later, order) == (False, False)  # released
    named = ResponseReview.objects.filter(hemoglobin_result=drop, decision="continue").get()
    page = doctor.get(reverse("orders:order-reviews", args=[order.pk])).content.decode()
    assert f"Answers hemoglobin 11.2 g/dL of {day(1):%Y-%m-%d}" in page
    assert f'data-testid="review-hemoglobin-{named.pk}"' in page
    # A lower fall since is a new fall: the stop is back until it is reviewed too.
    lab_result_record(order.patient, by=clinician, test=drop.test, taken_on=day(0), value="10.4")
    assert stops(later, order) == (True, True)


def test_a_review_before_the_fall_or_of_another_result_is_refused(fallen, clinician, client_for):
    order, later, drop = fallen
    doctor = client_for(clinician)
    early = review(doctor, order, reviewed_on=day(2).isoformat(), hemoglobin_result=drop.pk)
    assert early.status_code == 400
    assert "taken on or before the review" in early.content.decode()
    other = LabResult.objects.exclude(pk=drop.pk).get(test__code=HB)  # the pre-cycle 13.5
    answered = review(doctor, order, hemoglobin_result=other.pk)
    assert answered.status_code == 302  # a review may name it, but it is no fall
    assert stops(later, order) == (True, True)


def test_the_api_records_a_review_naming_the_hemoglobin(fallen, clinician, client_for):
    order, later, drop = fallen
    url = f"/api/v1/orders/{order.pk}/reviews/"
    client = client_for(clinician)
    body = {
        "reviewed_on": timezone.localdate().isoformat(),
        "score": "12",
        "prednisone_mg_per_day": "10",
        "response": "partial",
        "decision": "continue",
        "hemoglobin_result": drop.pk,
    }
    made = client.post(url, json.dumps(body), content_type="application/json")
    assert made.status_code == 201 and made.json()["hemoglobin_result"] == drop.pk
    assert stops(later, order) == (False, False)
    listed = client.get(url).json()
    assert listed[0]["hemoglobin_result"] == drop.pk
