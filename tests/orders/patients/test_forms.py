"""docs/clinical-rules.md 3.1.1 through the real URLs: a weight differing by 20 % or more from the
previous one within 30 days, or an adult BMI under 12 or over 80, is saved only when the person
confirms it ("I confirm this weight" on the pages, ``confirm_unusual: true`` in the API);
otherwise a 400 with the reason on the weight field. A child is not subject to the BMI check."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, Patient, PatientWeight
from tests.orders.factories import PatientFactory, PatientWeightFactory
from tests.orders.test_order_views import form_data

pytestmark = pytest.mark.django_db

PATIENTS = "/api/v1/patients/"
CHECKBOX = 'type="checkbox" name="confirm_unusual"'


def today() -> date:
    return timezone.localdate()


def weighed(clinician, kg: str, days_ago: int, **patient: Any) -> Patient:
    values = {"height_cm": Decimal("170"), **patient}
    person = PatientFactory.create(**values)
    PatientWeightFactory.create(
        patient=person,
        weight_kg=Decimal(kg),
        measured_on=today() - timedelta(days=days_ago),
        recorded_by=clinician,
    )
    return person


def api_weight(client, patient: Patient, kg: str, **extra: Any):
    return client.post(
        f"{PATIENTS}{patient.pk}/weights/",
        {"weight_kg": kg, "measured_on": today().isoformat(), **extra},
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("previous", "days_ago", "new", "unusual"),
    [
        ("100", 12, "80.1", False),  # 19.9 % less
        ("100", 12, "80", True),  # 20 % less
        ("100", 12, "120", True),  # 20 % more
        ("100", 30, "80", True),  # 30 days earlier: still compared
        ("100", 31, "80", False),  # 31 days earlier: not compared
    ],
)
def test_the_api_refuses_an_unconfirmed_change_of_20_percent_within_30_days(
    clinician, client_for, previous, days_ago, new, unusual
) -> None:
    patient = weighed(clinician, previous, days_ago)
    client = client_for(clinician)
    response = api_weight(client, patient, new)
    if not unusual:
        assert response.status_code == 201
        return
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unusual_weight"
    (message,) = body["field_errors"]["weight_kg"]
    assert message.endswith(": confirm it if it is right.")
    assert f"measured {days_ago} days earlier" in message
    assert patient.weights.count() == 1
    confirmed = api_weight(client, patient, new, confirm_unusual=True)
    assert confirmed.status_code == 201
    assert "confirm_unusual" not in confirmed.json()
    assert patient.weights.count() == 2


def test_the_refusal_names_the_figures(clinician, client_for) -> None:
    patient = weighed(clinician, "72.4", 12)
    response = api_weight(client_for(clinician), patient, "7.24")
    change, bmi = response.json()["field_errors"]["weight_kg"]
    assert change == (
        "7.24 kg is 90 % less than 72.4 kg measured 12 days earlier: confirm it if it is right."
    )
    assert bmi.startswith("BMI 2.5 (7.24 kg at 170 cm) is under 12 for an adult")


@pytest.mark.parametrize(
    ("kg", "unusual"),
    [("11.9", True), ("12", False), ("80", False), ("80.1", True)],  # BMI at 100 cm
)
def test_an_adults_bmi_under_12_or_over_80_needs_confirmation(
    clinician, client_for, kg, unusual
) -> None:
    patient = PatientFactory.create(height_cm=Decimal("100"))  # no previous weight
    response = api_weight(client_for(clinician), patient, kg)
    assert response.status_code == (400 if unusual else 201)
    if unusual:
        assert "BMI" in response.json()["field_errors"]["weight_kg"][0]


def test_a_child_is_not_subject_to_the_bmi_check(clinician, client_for) -> None:
    child = PatientFactory.create(
        date_of_birth=today().replace(year=today().year - 4, month=1, day=1),
        height_cm=Decimal("100"),
    )
    assert api_weight(client_for(clinician), child, "11").status_code == 201


def test_registering_through_the_api_with_an_unusual_first_weight(clinician, client_for) -> None:
    body = {
        "mrn": "U-1",
        "family_name": "Doe",
        "given_name": "Jane",
        "date_of_birth": "1969-05-17",
        "sex": "female",
        "height_cm": "100",
        "weight_kg": "85",
    }
    client = client_for(clinician)
    refused = client.post(PATIENTS, body, content_type="application/json")
    assert refused.status_code == 400
    assert "BMI" in refused.json()["field_errors"]["weight_kg"][0]
    assert not Patient.objects.filter(mrn="U-1").exists()
    saved = client.post(
        PATIENTS, {**body, "confirm_unusual": True}, content_type="application/json"
    )
    assert saved.status_code == 201
    assert Decimal(saved.json()["latest_weight_kg"]) == Decimal("85")


# --- the pages ---------------------------------------------------------------------------------


def test_the_weight_page_asks_for_confirmation_then_saves(clinician, client_for) -> None:
    patient = weighed(clinician, "72.4", 12)
    client = client_for(clinician)
    url = reverse("orders:patient-weight-add", args=[patient.pk])
    page = client.get(url).content.decode()
    assert CHECKBOX not in page  # no checkbox before a warning
    data = {"weight_kg": "7.24", "measured_on": today().isoformat()}
    refused = client.post(url, data)
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "90 % less than 72.4 kg measured 12 days earlier: confirm it if it is right" in page
    assert CHECKBOX in page and "I confirm this weight" in page
    assert patient.weights.count() == 1
    saved = client.post(url, {**data, "confirm_unusual": "on"})
    assert saved.status_code == 302
    latest = patient.weights.first()
    assert latest is not None and latest.weight_kg == Decimal("7.24")


def test_the_weight_page_saves_a_usual_weight_without_asking(clinician, client_for) -> None:
    patient = weighed(clinician, "100", 12)
    response = client_for(clinician).post(
        reverse("orders:patient-weight-add", args=[patient.pk]),
        {"weight_kg": "80.1", "measured_on": today().isoformat()},
    )
    assert response.status_code == 302


def test_the_registration_page_asks_for_confirmation(clinician, client_for) -> None:
    data = {
        "mrn": "U-2",
        "family_name": "Doe",
        "given_name": "Jane",
        "date_of_birth": "1969-05-17",
        "sex": "female",
        "height_cm": "100",
        "blood_group": "unknown",
        "iga_status": "unknown",
        "weight_kg": "11",
        "weight_measured_on": today().isoformat(),
    }
    client = client_for(clinician)
    refused = client.post(reverse("orders:patient-create"), data)
    page = refused.content.decode()
    assert "is under 12 for an adult: confirm it if it is right" in page
    assert CHECKBOX in page
    assert not Patient.objects.filter(mrn="U-2").exists()
    saved = client.post(reverse("orders:patient-create"), {**data, "confirm_unusual": "on"})
    assert saved.status_code == 302
    assert PatientWeight.objects.get(patient__mrn="U-2").weight_kg == Decimal("11")


def test_the_order_forms_weight_today_asks_for_confirmation(clinician, client_for) -> None:
    patient = weighed(clinician, "82.5", 0, height_cm=Decimal("168"))
    client = client_for(clinician)
    data = form_data(patient, weight_today_kg="60")
    refused = client.post(reverse("orders:order-create"), data)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "60 kg is 27 % less than 82.5 kg measured the same day" in page
    assert CHECKBOX in page
    assert not Order.objects.exists() and patient.weights.count() == 1
    saved = client.post(reverse("orders:order-create"), {**data, "confirm_unusual": "on"})
    assert saved.status_code == 302
    latest = patient.weights.first()
    assert latest is not None and latest.weight_kg == Decimal("60")
