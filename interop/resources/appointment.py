"""``Schedule``, ``Slot`` and ``Appointment`` (FHIR R4): the infusion chairs and the sessions
booked on them (docs/clinical-rules.md 6).

A chair is a ``Schedule``; each session holding or having held a chair is a busy ``Slot`` of it
and an ``Appointment`` of the patient. Free slots are not served (a chair's free time depends on
the plan's chair minutes of the order to book, which booking computes).

Schedule (no patient data: not read-logged)
=============================  ==============================================================
``id``                         ``Chair.pk``
``active``                     ``Chair.active``
``actor[0].display``           "Chair {name}" (chairs are not served as resources)
``serviceType[0].text``        "IVIg infusion"
``comment``                    ``Chair.location``
=============================  ==============================================================

Slot (sessions tentative, booked, in progress or completed; no patient data)
=============================  ==============================================================
``id``                         ``InfusionSession.pk``
``schedule``                   ``Schedule/{chair.pk}``
``status``                     busy-tentative (tentative), busy (the others)
``start`` / ``end``            ``planned_start`` / ``planned_end``
=============================  ==============================================================

Appointment (every session)
=============================  ==============================================================
``id``                         ``InfusionSession.pk``
``identifier[0]``              ``urn:ivig:infusion-session`` ``{id}``
``status``                     tentative → pending, booked → booked, in progress → arrived,
                               completed → fulfilled, cancelled → cancelled, missed → noshow
``cancelationReason.text``     ``status_reason`` (cancelled or missed)
``serviceType[0].text``        "IVIg infusion"
``description``                "Cycle {c}, day {d}"
``start`` / ``end``            ``planned_start`` / ``planned_end``
``minutesDuration``            their difference in whole minutes
``slot[0]``                    ``Slot/{id}`` while the session holds (or held) its chair
``supportingInformation[0]``   ``MedicationRequest/{order.pk}``
``participant[0]``             the patient (``Patient/{id}``), required, accepted
``participant[1]``             the chair (``display`` "Chair {name}"), required, accepted
=============================  ==============================================================
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import Model, Q, QuerySet
from fhir.resources.R4B.appointment import Appointment, AppointmentParticipant
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot
from rest_framework.request import Request

from infusions.models import LIVE_STATUSES, Chair, InfusionSession, SessionStatus
from infusions.policies import can_read_schedule
from interop.fhir import (
    FhirError,
    PatientDataEndpoint,
    ResourceEndpoint,
    SearchParameter,
    record_id,
)
from interop.resources.medication_administration import SESSION_SYSTEM
from interop.resources.observation import patient_q
from interop.resources.patient import date_q, id_q, patient_reference
from ivig.audit.services import access_record_ids

SERVICE = "IVIg infusion"
APPOINTMENT_STATUS = {
    SessionStatus.TENTATIVE: "pending",
    SessionStatus.BOOKED: "booked",
    SessionStatus.IN_PROGRESS: "arrived",
    SessionStatus.COMPLETED: "fulfilled",
    SessionStatus.CANCELLED: "cancelled",
    SessionStatus.MISSED: "noshow",
}


def _chair_name(chair: Chair) -> str:
    return f"Chair {chair.name}"


def schedule_resource(chair: Chair) -> Schedule:
    return Schedule(
        id=str(chair.pk),
        active=chair.active,
        serviceType=[CodeableConcept(text=SERVICE)],
        actor=[Reference(display=_chair_name(chair))],
        comment=chair.location or None,
    )


def slot_resource(session: InfusionSession) -> Slot:
    return Slot(
        id=str(session.pk),
        schedule=Reference(reference=f"Schedule/{session.chair_id}"),
        status="busy-tentative" if session.status == SessionStatus.TENTATIVE else "busy",
        start=session.planned_start,
        end=session.planned_end,
    )


def appointment_resource(session: InfusionSession) -> Appointment:
    status = SessionStatus(session.status)
    ended = status in (SessionStatus.CANCELLED, SessionStatus.MISSED)
    minutes = int((session.planned_end - session.planned_start).total_seconds() // 60)
    return Appointment(
        id=str(session.pk),
        identifier=[Identifier(system=SESSION_SYSTEM, value=str(session.pk))],
        status=APPOINTMENT_STATUS[status],
        cancelationReason=CodeableConcept(text=session.status_reason)
        if ended and session.status_reason
        else None,
        serviceType=[CodeableConcept(text=SERVICE)],
        description=f"Cycle {session.cycle_number}, day {session.day_number}",
        start=session.planned_start,
        end=session.planned_end,
        minutesDuration=minutes if minutes > 0 else None,
        slot=None if ended else [Reference(reference=f"Slot/{session.pk}")],
        supportingInformation=[Reference(reference=f"MedicationRequest/{session.order_id}")],
        participant=[
            AppointmentParticipant(
                actor=Reference(**patient_reference(session.patient)),
                required="required",
                status="accepted",
            ),
            AppointmentParticipant(
                actor=Reference(display=_chair_name(session.chair)),
                required="required",
                status="accepted",
            ),
        ],
    )


# --- search ----------------------------------------------------------------------------------


def _patient_q(value: str) -> Q:
    return patient_q(value).by_source["lab"]


def appointment_status_q(value: str) -> Q:
    return Q(status__in=[ours for ours, theirs in APPOINTMENT_STATUS.items() if theirs == value])


def schedule_q(value: str) -> Q:
    """reference: ``Schedule/{id}`` or ``{id}``."""
    parts = value.rstrip("/").rsplit("/", 2)
    if len(parts) > 1 and parts[-2] != "Schedule":
        return Q(pk__in=[])
    chair = record_id(parts[-1])
    return Q(chair_id=chair) if chair is not None else Q(pk__in=[])


def slot_status_q(value: str) -> Q:
    if value == "busy-tentative":
        return Q(status=SessionStatus.TENTATIVE)
    if value == "busy":
        return Q(status__in=[s for s in LIVE_STATUSES if s != SessionStatus.TENTATIVE])
    return Q(pk__in=[])


def active_q(value: str) -> Q:
    if value not in ("true", "false"):
        raise FhirError(400, "invalid", "active must be true or false.")
    return Q(active=value == "true")


def _sessions() -> QuerySet[InfusionSession]:
    return InfusionSession.objects.select_related("patient", "chair").order_by("pk")


class ScheduleEndpoint(ResourceEndpoint):
    """Chairs: whoever reads the schedule (every role); no patient data, no read log."""

    resource_type = "Schedule"
    policy = staticmethod(can_read_schedule)
    search_parameters = (
        SearchParameter("_id", "token", "The logical id (the chair).", id_q, "1"),
        SearchParameter("active", "token", "true or false.", active_q, "true"),
    )

    def rows(self) -> QuerySet[Chair]:
        return Chair.objects.order_by("pk")

    def to_resource(self, row: Any) -> Schedule:
        return schedule_resource(row)


class SlotEndpoint(ResourceEndpoint):
    """The chairs' busy times: no patient is named, so no read log."""

    resource_type = "Slot"
    policy = staticmethod(can_read_schedule)
    search_parameters = (
        SearchParameter("_id", "token", "The logical id (the session).", id_q, "1"),
        SearchParameter("schedule", "reference", "Schedule/{id} or {id}.", schedule_q, "1"),
        SearchParameter("status", "token", "busy or busy-tentative.", slot_status_q, "busy"),
        SearchParameter(
            "start",
            "date",
            "The day it starts (the session's day), with prefix eq, ne, lt, gt, le, ge.",
            lambda value: date_q("planned_day", value, "start"),
            "ge2000",
        ),
    )

    def rows(self) -> QuerySet[InfusionSession]:
        return _sessions().filter(status__in=LIVE_STATUSES)

    def to_resource(self, row: Any) -> Slot:
        return slot_resource(row)


class AppointmentEndpoint(PatientDataEndpoint):
    """Sessions: whoever reads the schedule reads them."""

    resource_type = "Appointment"
    policy = staticmethod(can_read_schedule)
    search_parameters = (
        SearchParameter("_id", "token", "The logical id (the session).", id_q, "1"),
        SearchParameter(
            "patient", "reference", "The patient: Patient/{id} or {id}.", _patient_q, "1"
        ),
        SearchParameter(
            "date",
            "date",
            "The session's day, with prefix eq, ne, lt, gt, le, ge.",
            lambda value: date_q("planned_day", value, "date"),
            "ge2000",
        ),
        SearchParameter(
            "status",
            "token",
            "pending, booked, arrived, fulfilled, cancelled or noshow.",
            appointment_status_q,
            "booked",
        ),
    )

    def rows(self) -> QuerySet[InfusionSession]:
        return _sessions()

    def to_resource(self, row: Any) -> Appointment:
        return appointment_resource(row)

    def note_reads(self, request: Request, rows: Sequence[Model]) -> None:
        access_record_ids(request._request, "infusions.infusionsession", [row.pk for row in rows])
        access_record_ids(
            request._request,
            "orders.patient",
            [row.patient_id for row in rows],  # type: ignore[attr-defined]
        )
