"""The patient's last cycle given, for the orders app's engine inputs (docs/clinical-rules.md
3.8.2, HEMOLYSIS_SUSPECTED): registered at start-up as orders' ``LastCycleSource``
(``last_cycles_of``, many patients at once)."""

from collections.abc import Sequence
from datetime import date

from django.db.models import OuterRef, Subquery

from infusions.booking.models import InfusionSession, SessionStatus
from infusions.common import local
from ivig.engine import CycleFacts
from ivig.engine.dosing import ordered_cycle_dose_g_per_kg
from orders.models import Patient

# Sessions whose infusion was given (or is being given).
GIVEN_STATUSES = (SessionStatus.COMPLETED, SessionStatus.IN_PROGRESS)


def patient_last_cycle(patient: Patient, as_of: date) -> CycleFacts | None:
    """The patient's last cycle given on or before ``as_of`` (``last_cycles_of`` for one
    patient)."""
    return last_cycles_of([patient], as_of)[patient.pk]


def last_cycles_of(patients: Sequence[Patient], as_of: date) -> dict[int, CycleFacts | None]:
    """Per patient id, the cycle of the patient's latest session given on or before ``as_of``:
    its first and last day given, and its dose per cycle as ordered (g/kg); None when nothing was
    given. One query, whatever the number of patients and their history: each one's last cycle's
    sessions with their order."""
    given = InfusionSession.objects.filter(status__in=GIVEN_STATUSES)
    latest = given.filter(patient_id=OuterRef("patient_id"), planned_day__lte=as_of).order_by(
        "-planned_start", "-id"
    )
    sessions: dict[int, list[InfusionSession]] = {patient.pk: [] for patient in patients}
    for session in given.filter(
        patient_id__in=list(sessions),
        order_id=Subquery(latest.values("order_id")[:1]),
        cycle_number=Subquery(latest.values("cycle_number")[:1]),
    ).select_related("order"):
        sessions[session.patient_id].append(session)
    return {pk: _cycle_facts(rows) for pk, rows in sessions.items()}


def _cycle_facts(sessions: Sequence[InfusionSession]) -> CycleFacts | None:
    """The cycle ``sessions`` (one cycle's, given) make: None when there are none or their
    order names no dose."""
    if not sessions:
        return None
    order = sessions[0].order
    days = sorted(local(session.planned_start).date() for session in sessions)
    dose = ordered_cycle_dose_g_per_kg(
        total_dose_g_per_kg=order.total_dose_g_per_kg,
        daily_dose_mg_per_kg=order.daily_dose_mg_per_kg,
        days_per_cycle=order.days_per_cycle,
    )
    if dose is None:
        return None
    return CycleFacts(first_day=days[0], last_day=days[-1], dose_g_per_kg=dose)
