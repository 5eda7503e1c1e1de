"""FHIR Schedule (chairs), Slot (their busy times) and Appointment (sessions)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from infusions.models import InfusionSession, SessionStatus
from ivig.audit.models import AccessLog
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, session_for, verified_order
from tests.interop.conftest import BASE, validated

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(nurse) -> tuple[InfusionSession, InfusionSession, InfusionSession]:
    order = verified_order(status=OrderStatus.ACTIVE)
    chair = ChairFactory.create(name="3", location="Day unit, bay 2")
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    booked = session_for(order, chair, start, by=nurse, minutes=221)
    tentative = session_for(
        order, chair, start + timedelta(days=1), by=nurse, status="tentative", day_number=2
    )
    cancelled = session_for(
        order, chair, start + timedelta(days=3), by=nurse, status="cancelled", day_number=3
    )
    InfusionSession.objects.filter(pk=cancelled.pk).update(status_reason="Patient unwell")
    cancelled.refresh_from_db()
    return booked, tentative, cancelled


def test_a_session_reads_as_an_appointment(pharmacist, fhir_client, sessions):
    booked, _, cancelled = sessions
    client = fhir_client(pharmacist)
    response = client.get(f"{BASE}/Appointment/{booked.pk}")
    assert response.status_code == 200, response.json()
    appointment = validated(response.json())
    assert appointment.status == "booked"
    assert (appointment.start, appointment.end) == (booked.planned_start, booked.planned_end)
    assert appointment.minutesDuration == 221
    assert appointment.description == "Cycle 1, day 1"
    patient, chair = appointment.participant
    assert patient.actor.reference == f"Patient/{booked.patient_id}"
    assert chair.actor.display == "Chair 3"
    assert appointment.slot[0].reference == f"Slot/{booked.pk}"
    assert appointment.supportingInformation[0].reference == (
        f"MedicationRequest/{booked.order_id}"
    )
    log = AccessLog.objects.latest("pk")
    assert log.records["infusions.infusionsession"] == [str(booked.pk)]

    gone = validated(client.get(f"{BASE}/Appointment/{cancelled.pk}").json())
    assert (gone.status, gone.cancelationReason.text, gone.slot) == (
        "cancelled",
        "Patient unwell",
        None,
    )


def test_appointments_search_by_patient_status_and_date(nurse, fhir_client, sessions):
    booked, tentative, cancelled = sessions
    client = fhir_client(nurse)

    def found(**params: str) -> list[str]:
        response = client.get(f"{BASE}/Appointment", params)
        assert response.status_code == 200, response.json()
        return [e.resource.id for e in validated(response.json()).entry or []]

    assert found(patient=str(booked.patient_id)) == [
        str(booked.pk),
        str(tentative.pk),
        str(cancelled.pk),
    ]
    assert found(status="pending") == [str(tentative.pk)]
    assert found(date=booked.planned_day.isoformat()) == [str(booked.pk)]
    assert found(date=f"gt{tentative.planned_day.isoformat()}") == [str(cancelled.pk)]


def test_chairs_are_schedules_and_sessions_their_busy_slots(authadmin, fhir_client, sessions):
    booked, tentative, cancelled = sessions
    client = fhir_client(authadmin)
    schedule = validated(client.get(f"{BASE}/Schedule/{booked.chair_id}").json())
    assert schedule.active is True
    assert schedule.actor[0].display == "Chair 3"
    assert schedule.comment == "Day unit, bay 2"
    slots = validated(
        client.get(f"{BASE}/Slot", {"schedule": f"Schedule/{booked.chair_id}"}).json()
    )
    assert {(e.resource.id, e.resource.status) for e in slots.entry} == {
        (str(booked.pk), "busy"),
        (str(tentative.pk), "busy-tentative"),
    }  # a cancelled session frees its chair
    slot = validated(client.get(f"{BASE}/Slot/{booked.pk}").json())
    assert (slot.start, slot.end) == (booked.planned_start, booked.planned_end)
    assert client.get(f"{BASE}/Slot/{cancelled.pk}").status_code == 404
    # Chairs and busy times name no patient: nothing is read-logged.
    assert not AccessLog.objects.exists()


def test_a_bad_active_value_is_a_400(clinician, fhir_client):
    response = fhir_client(clinician).get(f"{BASE}/Schedule", {"active": "maybe"})
    assert response.status_code == 400
    assert validated(response.json()).issue[0].code == "invalid"


def test_status_mapping_covers_every_session_status():
    from interop.resources.appointment import APPOINTMENT_STATUS

    assert set(APPOINTMENT_STATUS) == set(SessionStatus)
