"""Urgent orders, rules v3 (docs/clinical-rules.md 3.10): only an emergency indication's order may
be urgent, with a reason; urgent orders head the verification queue with their waiting time;
verification opens the retrospective authorization at once and the follow-up sweep chases it."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationStatus
from authorizations.services import business_days_after
from ivig.notifications.models import Kind, Notification
from orders.errors import OrderError
from orders.models import Indication
from orders.services import order_create, order_update, order_verify
from reminders.sweeps import authorization_follow_ups

from .factories import order_values, worked_example_patient

pytestmark = pytest.mark.django_db

TEN = "toxic-epidermal-necrolysis"


def _ten(**overrides):
    return {
        "indication": Indication.objects.get(slug=TEN),
        "total_dose_g_per_kg": "3",
        "days_per_cycle": 3,
        "cycles": 1,
        "start_date": timezone.localdate(),
        "concomitant_immunosuppressant": "",
        **overrides,
    }


def test_an_indication_without_the_flag_cannot_be_urgent(clinician, worked_patient):
    with pytest.raises(OrderError) as refused:
        order_create(
            by=clinician,
            **order_values(worked_patient, urgent=True, urgent_reason="Flare"),
        )
    assert refused.value.code == OrderError.URGENT_NOT_ALLOWED
    assert "Pemphigus vulgaris is not an emergency indication" in refused.value.message
    assert list(refused.value.field_errors) == ["urgent"]


def test_an_urgent_order_says_why(clinician, worked_patient):
    with pytest.raises(OrderError) as refused:
        order_create(by=clinician, **order_values(worked_patient, **_ten(urgent=True)))
    assert refused.value.code == OrderError.URGENT_REASON_MISSING
    assert list(refused.value.field_errors) == ["urgent_reason"]
    order = order_create(
        by=clinician,
        **order_values(worked_patient, **_ten(urgent=True, urgent_reason=" TEN, 30 % BSA ")),
    )
    assert (order.urgent, order.urgent_reason) == (True, "TEN, 30 % BSA")
    # changing the indication of an urgent draft to one without the flag is refused too
    with pytest.raises(OrderError) as changed:
        order_update(
            order,
            by=clinician,
            version=order.version,
            indication=Indication.objects.get(slug="pemphigus-vulgaris"),
        )
    assert changed.value.code == OrderError.URGENT_NOT_ALLOWED


def test_the_api_refuses_urgent_for_an_indication_without_the_flag(
    client_for, clinician, worked_patient
):
    body = {
        "patient": worked_patient.pk,
        "indication": "pemphigus-vulgaris",
        "product": "privigen",
        "total_dose_g_per_kg": "2",
        "days_per_cycle": 5,
        "cycles": 1,
        "cycle_interval_days": 28,
        "start_date": "2027-01-04",
        "urgent": True,
        "urgent_reason": "Flare",
    }
    client = client_for(clinician)
    response = client.post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "not an emergency indication" in str(response.json()["field_errors"]["urgent"])
    ok = client.post(
        "/api/v1/orders/",
        {**body, "indication": TEN, "urgent_reason": "TEN, 30 % BSA"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["urgent"] is True


def test_urgent_orders_head_the_queue_with_their_waiting_minutes(
    clinician, pharmacist, worked_patient, sign, client_for
):
    routine = order_create(by=clinician, **order_values(worked_patient, cycles=1))
    routine = sign(routine, clinician, {"WEIGHT_OUTDATED": "x"})
    second = worked_example_patient(clinician)
    urgent = order_create(
        by=clinician, **order_values(second, **_ten(urgent=True, urgent_reason="TEN, 30 % BSA"))
    )
    urgent = sign(urgent, clinician)
    assert urgent.signed_at > routine.signed_at  # signed later, yet first
    page = client_for(pharmacist).get(reverse("orders:verification-queue")).content.decode()
    assert page.index(urgent.number) < page.index(routine.number)
    row = page[page.index('data-testid="urgent-row"') :]
    assert "Urgent" in row[:600] and "TEN, 30 % BSA" in row[:600] and "min" in row[:900]


def test_verification_opens_the_retrospective_authorization_and_the_sweep_chases_it(
    clinician, pharmacist, authadmin, worked_patient, sign
):
    order = order_create(
        by=clinician,
        **order_values(worked_patient, **_ten(urgent=True, urgent_reason="TEN, 30 % BSA")),
    )
    order = sign(order, clinician)
    assert not Authorization.objects.filter(order=order).exists()
    order_verify(order, by=pharmacist, acknowledged_codes=[], version=order.version)
    opened = Authorization.objects.get(order=order)
    assert opened.status == AuthorizationStatus.RETROSPECTIVE_DUE
    assert "2 business days" in opened.notes
    counts = authorization_follow_ups()
    assert counts["retrospective_due"] == 1
    notice = Notification.objects.get(kind=Kind.RETROSPECTIVE_DUE)
    assert notice.recipient == authadmin
    assert notice.due_date == business_days_after(timezone.localdate(), 2)
    assert order.number in notice.title
    authorization_follow_ups()  # idempotent: nothing twice
    assert Notification.objects.filter(kind=Kind.RETROSPECTIVE_DUE).count() == 1


@pytest.mark.parametrize(
    ("day", "after"),
    [
        (date(2026, 12, 7), date(2026, 12, 9)),  # Monday -> Wednesday
        (date(2026, 12, 10), date(2026, 12, 14)),  # Thursday -> Monday
        (date(2026, 12, 12), date(2026, 12, 15)),  # Saturday -> Tuesday
    ],
)
def test_two_business_days(day, after):
    assert business_days_after(day, 2) == after
    assert business_days_after(day, 0) == day
    assert after - day >= timedelta(days=2)
